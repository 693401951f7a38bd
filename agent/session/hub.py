"""A live bench: the discovery sources and link opener for real (or simulated) phones.

The same wiring serves a real station and the demo; only where the adb server and
usbmuxd live differs. Heavy libraries load when a phone does, not at start.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.discovery import GUIDANCE, Sighting
from agent.discovery.adb import AdbSource
from agent.discovery.usb import UsbSource
from agent.discovery.usbmux import UsbmuxSource
from agent.errors import LinkError, NotReady, PhoneLocked, TrustDenied, TrustPending
from agent.links.adb_address import adb_address
from agent.links.base import Link
from agent.session.engine import Station
from agent.session.resume import SETTLE_S
from agent.session.slots import SlotMap
from agent.session.supervisor import Supervisor

#: pairing makes RSA keys on the station: allow it more than a read
CONNECT_TIMEOUT_S = 20.0


@dataclass
class Hub:
    """``adb_port``/``adb_host`` None: the adb server the environment names
    (``ANDROID_ADB_SERVER_PORT``...), as adb itself would pick it; resolved once, at creation."""

    adb_port: int | None = None
    adb_host: str | None = None
    usbmux_address: str | None = None
    usb: bool = True
    slot_map: Mapping[str, int] = field(default_factory=dict)
    #: port path -> its name on the bench (the station config's ``ports:``)
    port_names: Mapping[str, str] = field(default_factory=dict)
    #: where the slots of ports the config does not map are remembered (None: not kept)
    slot_store: Path | None = None
    rejoin_s: float = 5.0
    #: how long after start phones a crash left unfinished may take to show up (agent.session.resume)
    settle_s: float = SETTLE_S
    #: start the bundled adb server when none runs (a real station); the demo starts its own
    start_adb: bool = True
    #: the phones are the protocol simulators': their reports say ``simulated``
    simulated: bool = False
    #: simulated phones' ports (``sim-1.3``) by device id: the fake adbds are attached over
    #: loopback TCP and have no USB port adb could report, so the simulated bench says it
    sim_ports: Mapping[str, str] = field(default_factory=dict)
    #: simulated Android phones' serials (ro.serialno) by adb serial (a loopback address that
    #: changes each run): how an unfinished simulated phone is known again after a restart
    sim_serials: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        address = adb_address(self.adb_port, self.adb_host)
        self.adb_host, self.adb_port = address.host, address.port

    def sources(self) -> list[Any]:
        adb = AdbSource(self.adb_host, self.adb_port, start_server=self.start_adb)
        out: list[Any] = [adb, UsbmuxSource(self.usbmux_address)]
        if self.usb:
            out.append(UsbSource())
        if self.sim_ports:
            out = [SimulatedPorts(source, self.sim_ports) for source in out]
        return out

    async def open_link(self, sighting: Sighting) -> Link:
        if sighting.platform == "android":
            if sighting.state != "ready":
                raise _not_ready(sighting.state)
            from agent.links.adb import AdbAndroidLink

            return AdbAndroidLink(sighting.key, self.adb_host, self.adb_port, simulated=self.simulated)
        return await self._open_ios(sighting.key)

    async def _open_ios(self, udid: str) -> Link:
        from agent.links.ios import PmdIosLink

        link = PmdIosLink(udid, usbmux_address=self.usbmux_address, simulated=self.simulated)
        try:
            await link.connect(timeout=CONNECT_TIMEOUT_S)
        except LinkError as e:
            await link.close()
            for kind, state in ((TrustPending, "trust_pending"), (TrustDenied, "denied"), (PhoneLocked, "locked")):
                if isinstance(e, kind):
                    raise _not_ready(state) from e
            raise
        return link

    def supervisor(self, bench: Station) -> Supervisor:
        slots = SlotMap(self.slot_map, self.port_names, self.slot_store, remember_simulated=self.simulated)
        supervisor = Supervisor(bench, self.sources(), self.open_link, slots, rejoin_s=self.rejoin_s,
                                settle_s=self.settle_s)
        supervisor.erase_address = self.erase_address
        if self.sim_serials:
            supervisor.sim_serial = self.sim_serials.get
        return supervisor

    def erase_address(self, platform: str, key: str) -> dict[str, Any]:
        """Where an eraser reaches this bench's phone (agent.erasure.job.EraseTarget's fields)."""
        return {"platform": platform, "device_id": key, "simulated": self.simulated,
                "usbmux_address": self.usbmux_address, "adb_host": self.adb_host, "adb_port": self.adb_port}


class SimulatedPorts:
    """A discovery source whose phones' ports are the simulated bench's (``sim-...``): the
    sightings of a device id in ``ports`` carry that port instead of whatever the source saw."""

    def __init__(self, source: Any, ports: Mapping[str, str]) -> None:
        self.source, self.name = source, source.name
        self.ports = {key.replace("-", "").upper(): port for key, port in ports.items()}

    async def watch(self) -> AsyncIterator[Sighting]:
        async for sighting in self.source.watch():
            port = self.ports.get(sighting.key.replace("-", "").upper())
            yield sighting if port is None else dataclasses.replace(sighting, usb_path=port)

    def stop(self) -> None:
        stop = getattr(self.source, "stop", None)
        if stop is not None:
            stop()


def _not_ready(state: str) -> NotReady:
    """The technician's next step, for the phone's card."""
    return NotReady(state, GUIDANCE.get(state, state))
