"""One simulated iPhone: what it remembers and how it misbehaves.

The usbmuxd simulator owns the phones; lockdownd and the diagnostics relay read and
change their state. Everything here runs on the simulator's event loop thread.

Faults follow the fixture (``lockdown:<domain>``, ``ioregistry:<entry>``,
``service:<service>/<request>``, ``*``), checked at each read made inside a lockdown session
or on a service, in this order:

- ``disconnect``: the phone is unplugged at that read: every connection to it closes and
  usbmuxd announces ``Detached``; it stays gone until plugged in again.
- ``hang``: the read is never answered (the connection stays open, silent).
- ``garbage``: the read is answered, with ``agent.fixtures.format.garbage_for`` nonsense in the
  same shape the replay link gives, so replay and simulator agree.
- ``ios.delay_ms``: every answered read waits that long first.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from agent.fixtures.format import Fixture, IosSide
from agent.links.base import MCINSTALL
from agent.simulator.ios_certs import is_pinned_peer
from agent.simulator.ios_wire import read_service_message, service_message

FIRST_SERVICE_PORT = 49152
#: what an erased iPhone says where the fixture said otherwise: back in Setup Assistant, not
#: activated, Find My off (lockdown domain -> key -> value)
FACTORY_FRESH: Mapping[str, Mapping[str, Any]] = {
    "": {"ActivationState": "Unactivated"},
    "com.apple.purplebuddy": {"SetupDone": False},
    "com.apple.fmip": {"IsAssociated": False},
}
ReadOutcome = Literal["answer", "garbage", "hang", "gone"]


@dataclass(frozen=True)
class Pairing:
    """What the phone keeps from a host's Pair request."""

    host_id: str
    host_certificate: bytes
    device_certificate: bytes


def factory_fresh(fixture: Fixture) -> Fixture:
    """The same phone after Erase All Content and Settings: its identity, the fresh state
    of ``FACTORY_FRESH``, no faults, and a Trust dialog it does not show (Setup Assistant
    pairs without one)."""
    assert fixture.ios is not None
    lockdown = {domain: dict(values) for domain, values in fixture.ios.lockdown.items()}
    for domain, values in FACTORY_FRESH.items():
        lockdown[domain] = {**lockdown.get(domain, {}), **values}
    services = {**fixture.ios.services, MCINSTALL: _NO_MDM}
    ios = replace(fixture.ios, lockdown=lockdown, pairing="paired", services=services)
    return replace(fixture, ios=ios, faults=())


#: an erased phone's mobile-config answers: no cloud configuration, no profiles
_NO_MDM = {
    "GetCloudConfiguration": {"Status": "Acknowledged", "CloudConfiguration": {}},
    "GetProfileList": {"Status": "Acknowledged", "OrderedIdentifiers": [], "ProfileManifest": {}, "ProfileMetadata": {}},
}


class Conn:
    """One connection to the phone (lockdownd or a service), length-prefixed plists."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def read(self) -> Mapping[str, Any] | None:
        return await read_service_message(self.reader)

    async def send(self, body: Mapping[str, Any], *, binary: bool = False) -> None:
        self.writer.write(service_message(body, binary=binary))
        await self.writer.drain()

    async def start_tls(self, context: ssl.SSLContext, pairing: Pairing) -> bool:
        """Turn the connection into TLS as the server; False (and closed) unless the
        host presented the certificate it paired with."""
        try:
            await self.writer.start_tls(context)
        except (ssl.SSLError, OSError, ConnectionError):
            self.close()
            return False
        if not is_pinned_peer(self.writer.get_extra_info("ssl_object"), pairing.host_certificate):
            self.close()
            return False
        return True

    async def hang(self) -> None:
        """Answer nothing ever again, until the host gives up and closes."""
        with contextlib.suppress(OSError, ConnectionError, ssl.SSLError):
            while await self.reader.read(65536):
                pass

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()


class SimPhone:
    """A plugged-in phone. ``trust`` is "paired" (Pair succeeds), "trust_pending" (the
    Trust dialog is up) or "denied"; the simulator's trust()/deny() change it live."""

    def __init__(
        self,
        fixture: Fixture,
        device_id: int,
        pairings: dict[str, Pairing],
        on_gone: Callable[[SimPhone], None],
        on_erase: Callable[[SimPhone], None] | None = None,
    ) -> None:
        assert fixture.ios is not None
        self.fixture = fixture
        self.ios: IosSide = fixture.ios
        self.udid = fixture.ios.udid
        self.device_id = device_id
        self.trust = fixture.ios.pairing
        #: HostID -> pairing; shared with the simulator so a replugged phone remembers
        self.pairings = pairings
        self.gone = False
        self._services: dict[int, tuple[str, Pairing]] = {}
        self._conns: set[Conn] = set()
        self._on_gone = on_gone
        self._on_erase = on_erase
        #: the options of the EraseDevice request this phone obeyed, None until then
        self.erased_with: Mapping[str, bool] | None = None

    def open_service(self, name: str, pairing: Pairing) -> int:
        """Start ``name`` for the paired host and return its port."""
        port = FIRST_SERVICE_PORT + len(self._services)
        self._services[port] = (name, pairing)
        return port

    def service_at(self, port: int) -> tuple[str, Pairing] | None:
        return self._services.get(port)

    def track(self, conn: Conn) -> None:
        self._conns.add(conn)

    def untrack(self, conn: Conn) -> None:
        self._conns.discard(conn)

    def unplug(self) -> None:
        """Pull the cable: close every connection and tell usbmuxd (once)."""
        if self.gone:
            return
        self.gone = True
        for conn in list(self._conns):
            conn.close()
        self._conns.clear()
        self._on_gone(self)

    def erase(self, options: Mapping[str, bool]) -> None:
        """Obey an EraseDevice: forget every host, leave the bus, and let usbmuxd bring the
        phone back as a fresh one (``on_erase``)."""
        self.erased_with = dict(options)
        self.pairings.clear()
        self.unplug()
        if self._on_erase is not None:
            self._on_erase(self)

    async def before_read(self, key: str) -> ReadOutcome:
        """Apply the fixture's faults and delay for the read ``key``."""
        if self.gone:
            return "gone"
        fault = self.fixture.fault_at(key)
        if fault is not None and fault.kind == "disconnect":
            self.unplug()
            return "gone"
        if fault is not None and fault.kind == "hang":
            return "hang"
        if self.ios.delay_ms:
            await asyncio.sleep(self.ios.delay_ms / 1000)
        return "garbage" if fault is not None and fault.kind == "garbage" else "answer"

    async def serve_read(self, key: str, conn: Conn) -> Literal["answer", "garbage"] | None:
        """``before_read`` for a service connection: a hang holds ``conn`` open and silent,
        and None (after a hang, or with the phone gone) means the connection is finished."""
        outcome = await self.before_read(key)
        if outcome == "hang":
            await conn.hang()
            return None
        return None if outcome == "gone" else outcome
