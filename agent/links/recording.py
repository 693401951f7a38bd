"""Recording links: any live link, wrapped so that what the phone answered is noted.

Every shell command with its stdout, stderr, exit code and how long it took, every lockdown
domain and IORegistry entry. ``agent.session.record`` drives the real checks over one (so
the recording holds exactly what a replay will be asked) and ``agent.fixtures.record``
turns what it noted into a ``phonebench-fixture/1`` file.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from agent.errors import LinkDisconnected, LinkError, LinkTimeout
from agent.links.base import (
    DEFAULT_TIMEOUT_S,
    MCINSTALL,
    SIMULATOR_ADB_FEATURE,
    AndroidLink,
    IosLink,
    Link,
    Provenance,
    ShellResult,
    ioregistry_read_key,
    lockdown_read_key,
    service_read_key,
)


class Recording:
    """What one phone answered so far; shared by the recording link's calls."""

    def __init__(self, platform: str, device_id: str) -> None:
        self.platform = platform
        self.device_id = device_id
        self.commands: dict[str, dict[str, Any]] = {}
        self.lockdown: dict[str, dict[str, Any]] = {}
        self.ioregistry: dict[str, dict[str, Any]] = {}
        #: service -> request -> reply, as the fixture format keeps them (``ios.services``)
        self.services: dict[str, dict[str, Any]] = {}
        self.hangs: list[str] = []
        self.delays_ms: list[int] = []
        self.lost: str | None = None  # why the recording cannot be used

    def note_failure(self, key: str, error: LinkError) -> None:
        """A silent phone is recorded as a ``hang`` fault; any other failure spoils the recording."""
        if isinstance(error, LinkTimeout):
            if key not in self.hangs:
                self.hangs.append(key)
        elif self.lost is None:
            self.lost = str(error)


class RecordingAndroidLink(AndroidLink):
    def __init__(self, inner: AndroidLink, features: Sequence[str] = ()) -> None:
        self.inner = inner
        self.device_id = inner.device_id
        self.describe = inner.describe
        # the simulators' own mark is theirs, not the phone's: a replay through them adds it again
        self.features = tuple(f for f in features if f != SIMULATOR_ADB_FEATURE)
        self.recording = Recording("android", inner.device_id)

    async def shell(self, command: str, timeout: float = DEFAULT_TIMEOUT_S) -> ShellResult:
        started = time.monotonic()
        try:
            result = await self.inner.shell(command, timeout=timeout)
        except LinkError as e:
            self.recording.note_failure(command, e)
            raise
        reply: dict[str, Any] = {"stdout": result.stdout}
        if result.stderr:
            reply["stderr"] = result.stderr
        # adb shell v1 cannot tell an exit status: left at 0, and the missing shell_v2
        # feature makes a replay through the simulator answer without one again
        if result.exit_code:
            reply["exit_code"] = result.exit_code
        reply["delay_ms"] = _elapsed_ms(started)
        self.recording.commands[command] = reply
        return result

    async def provenance(self, timeout: float = DEFAULT_TIMEOUT_S) -> Provenance:
        return await self.inner.provenance(timeout)

    async def present(self, timeout: float = DEFAULT_TIMEOUT_S) -> bool | None:
        return await self.inner.present(timeout)

    async def close(self) -> None:
        await self.inner.close()


class RecordingIosLink(IosLink):
    def __init__(self, inner: IosLink) -> None:
        self.inner = inner
        self.device_id = inner.device_id
        self.describe = inner.describe
        self.recording = Recording("ios", inner.device_id)

    async def lockdown_value(self, domain: str = "", key: str | None = None, timeout: float = DEFAULT_TIMEOUT_S) -> Any:
        started = time.monotonic()
        try:
            value = await self.inner.lockdown_value(domain, key, timeout=timeout)
        except LinkError as e:
            self.recording.note_failure(lockdown_read_key(domain), e)
            raise
        self.recording.delays_ms.append(_elapsed_ms(started))
        if key is None and isinstance(value, Mapping):
            self.recording.lockdown.setdefault(domain, {}).update(_plain(value))
        elif key is not None and value is not None:
            self.recording.lockdown.setdefault(domain, {})[key] = _plain(value)
        return value

    async def ioregistry(self, name: str, timeout: float = DEFAULT_TIMEOUT_S) -> Mapping[str, Any] | None:
        started = time.monotonic()
        try:
            entry = await self.inner.ioregistry(name, timeout=timeout)
        except LinkError as e:
            self.recording.note_failure(ioregistry_read_key(name), e)
            raise
        self.recording.delays_ms.append(_elapsed_ms(started))
        if entry is not None:
            self.recording.ioregistry[name] = _plain(dict(entry))
        return entry

    async def mobile_config(self, request: str, timeout: float = DEFAULT_TIMEOUT_S) -> Mapping[str, Any]:
        started = time.monotonic()
        try:
            reply = await self.inner.mobile_config(request, timeout=timeout)
        except (LinkTimeout, LinkDisconnected) as e:
            self.recording.note_failure(service_read_key(MCINSTALL, request), e)
            raise
        except LinkError:
            raise  # a request the phone refused: not recorded, so a replay says the fixture lacks it
        self.recording.delays_ms.append(_elapsed_ms(started))
        # the link hands the reply over without its Status; a replay refuses one without it
        self.recording.services.setdefault(MCINSTALL, {})[request] = {"Status": "Acknowledged", **_plain(dict(reply))}
        return reply

    async def provenance(self, timeout: float = DEFAULT_TIMEOUT_S) -> Provenance:
        return await self.inner.provenance(timeout)

    async def present(self, timeout: float = DEFAULT_TIMEOUT_S) -> bool | None:
        return await self.inner.present(timeout)

    async def close(self) -> None:
        await self.inner.close()


RecordingLink = RecordingAndroidLink | RecordingIosLink


def recording_link(inner: Link, features: Sequence[str] = ()) -> RecordingLink:
    """The recording wrapper for ``inner`` (``features``: the adbd features, Android only)."""
    if isinstance(inner, AndroidLink):
        return RecordingAndroidLink(inner, features)
    if isinstance(inner, IosLink):
        return RecordingIosLink(inner)
    raise LinkError(f"{inner.describe or inner.device_id}: cannot record a {inner.platform} link")


def _plain(value: Any) -> Any:
    """A plist value as YAML can hold it: unusual types (plistlib.UID, ...) become text."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bytes, datetime)):
        return value
    return str(value)


def _elapsed_ms(started: float) -> int:
    return max(0, round((time.monotonic() - started) * 1000))
