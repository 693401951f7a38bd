"""Links that replay a recorded phone in process.

Like httpx's MockTransport, a replay link stands in for the real one without the code
above it noticing: the same calls, the same timeouts, the same errors. Delays and faults
come from the fixture.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from agent.errors import LinkDisconnected, LinkError, LinkTimeout
from agent.fixtures.format import Fixture, garbage_for
from agent.links.base import (
    DEFAULT_TIMEOUT_S,
    MCINSTALL,
    AndroidLink,
    IosLink,
    Link,
    Provenance,
    ShellResult,
    ioregistry_read_key,
    lockdown_read_key,
    service_read_key,
)

MISSING_EXIT = 127


def missing_command(command: str) -> ShellResult:
    """What a replayed or simulated phone answers to a command its fixture lacks."""
    return ShellResult("", f"fixture lacks `{command}`\n", MISSING_EXIT)


class _Faults:
    """Shared fault handling: once a phone has disconnected it stays gone."""

    def __init__(self, fixture: Fixture) -> None:
        self.fixture = fixture
        self.gone = False

    async def before(self, key: str, delay_ms: int, timeout: float) -> bool:
        """Apply delay and faults for ``key``; True when the answer must be garbage."""
        if self.gone:
            raise LinkDisconnected(f"{self.fixture.device_id} is disconnected")
        fault = self.fixture.fault_at(key)
        if fault and fault.kind == "disconnect":
            self.gone = True
            raise LinkDisconnected(f"{self.fixture.device_id} disconnected during `{key}`")
        if (fault and fault.kind == "hang") or delay_ms / 1000 > timeout:
            await asyncio.sleep(timeout)
            raise LinkTimeout(f"`{key}` did not answer within {timeout:g} s")
        if delay_ms:
            await asyncio.sleep(delay_ms / 1000)
        return bool(fault and fault.kind == "garbage")


class _Replayed:
    describe: str

    async def provenance(self, timeout: float = DEFAULT_TIMEOUT_S) -> Provenance:
        """A fixture replayed in process: never a real phone."""
        return Provenance("replay", self.describe)


class ReplayAndroidLink(_Replayed, AndroidLink):
    def __init__(self, fixture: Fixture) -> None:
        assert fixture.android is not None
        self.fixture = fixture
        self.device_id = fixture.android.serial
        self.describe = f"replay:{fixture.path.name if fixture.path else fixture.name}"
        self._faults = _Faults(fixture)

    async def shell(self, command: str, timeout: float = DEFAULT_TIMEOUT_S) -> ShellResult:
        assert self.fixture.android is not None
        reply = self.fixture.android.commands.get(command)
        garbage = await self._faults.before(command, reply.delay_ms if reply else 0, timeout)
        if garbage:
            return ShellResult(garbage_for(command), "", 0)
        if reply is None:
            return missing_command(command)
        return ShellResult(reply.stdout, reply.stderr, reply.exit_code)


class ReplayIosLink(_Replayed, IosLink):
    def __init__(self, fixture: Fixture) -> None:
        assert fixture.ios is not None
        self.fixture = fixture
        self.device_id = fixture.ios.udid
        self.describe = f"replay:{fixture.path.name if fixture.path else fixture.name}"
        self._faults = _Faults(fixture)

    async def lockdown_value(self, domain: str = "", key: str | None = None, timeout: float = DEFAULT_TIMEOUT_S) -> Any:
        assert self.fixture.ios is not None
        read = lockdown_read_key(domain)
        if await self._faults.before(read, self.fixture.ios.delay_ms, timeout):
            return garbage_for(f"{read}/{key}") if key else {"?": garbage_for(read)}
        values = self.fixture.ios.lockdown.get(domain)
        if values is None:
            return None
        return dict(values) if key is None else values.get(key)

    async def ioregistry(self, name: str, timeout: float = DEFAULT_TIMEOUT_S) -> Mapping[str, Any] | None:
        assert self.fixture.ios is not None
        read = ioregistry_read_key(name)
        if await self._faults.before(read, self.fixture.ios.delay_ms, timeout):
            return {"?": garbage_for(read)}
        entry = self.fixture.ios.ioregistry.get(name)
        return dict(entry) if entry is not None else None

    async def mobile_config(self, request: str, timeout: float = DEFAULT_TIMEOUT_S) -> Mapping[str, Any]:
        """The fixture's reply, as pymobiledevice3 hands it over: without ``Status``, and a
        reply whose Status is not Acknowledged refused, as MobileConfigService refuses it."""
        assert self.fixture.ios is not None
        read = service_read_key(MCINSTALL, request)
        if await self._faults.before(read, self.fixture.ios.delay_ms, timeout):
            return {"CloudConfiguration" if request == "GetCloudConfiguration" else "?": garbage_for(read)}
        reply = self.fixture.ios.services.get(MCINSTALL, {}).get(request)
        if reply is None:
            raise LinkError(f"fixture lacks `{read}`")
        if reply.get("Status") != "Acknowledged":
            raise LinkError(f"{self.device_id}: `{read}` was refused: {reply.get('Status')!r}")
        if request == "GetCloudConfiguration":
            config = reply.get("CloudConfiguration")
            return {} if config is None else {"CloudConfiguration": config}
        return {k: v for k, v in reply.items() if k != "Status"}


def replay_link(fixture: Fixture) -> Link:
    """The replay link for a fixture, refusing phones that would not be usable yet."""
    if fixture.android is not None:
        if fixture.android.state != "device":
            raise LinkError(f"{fixture.device_id}: phone is in state '{fixture.android.state}', not ready for checks")
        return ReplayAndroidLink(fixture)
    assert fixture.ios is not None
    if fixture.ios.pairing != "paired":
        raise LinkError(f"{fixture.device_id}: phone is not paired ({fixture.ios.pairing})")
    return ReplayIosLink(fixture)
