"""A whole simulated bench: fake adbds behind a real adb server, and one fake usbmuxd.

Used by ``phonebench simulate``, ``phonebench demo``, the end-to-end tests and the
benchmarks, so all of them reach simulated phones exactly as a station reaches real ones.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from agent.fixtures.format import Fixture
from agent.simulator import leftovers
from agent.simulator.adbd import AdbdSimulator

if TYPE_CHECKING:
    from agent.links.adb import AdbServer
    from agent.simulator.usbmuxd import UsbmuxdSimulator

log = logging.getLogger(__name__)


def free_port() -> int:
    """An ephemeral loopback port outside what adb claims: its default server port (5037)
    through the range it scans for emulators (5555-5585)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in range(5037, 5586):
            return port


def with_latency(fixture: Fixture, latency_ms: int) -> Fixture:
    """The same phone, answering every command ``latency_ms`` later (a slow USB hub)."""
    if latency_ms <= 0:
        return fixture
    if fixture.android is not None:
        commands = {
            cmd: dataclasses.replace(reply, delay_ms=reply.delay_ms + latency_ms)
            for cmd, reply in fixture.android.commands.items()
        }
        return dataclasses.replace(fixture, android=dataclasses.replace(fixture.android, commands=commands))
    assert fixture.ios is not None
    return dataclasses.replace(fixture, ios=dataclasses.replace(fixture.ios, delay_ms=fixture.ios.delay_ms + latency_ms))


#: how long the bench's simulated technician takes to pick "Wipe data/factory reset" in recovery
TECHNICIAN_WIPE_S = 2.0
class SimulatedHub:
    """Start with ``start()`` (or ``with``); ``stop()`` ends every simulator, and the adb
    server too when this bench started it. The process environment is left alone: whoever
    opens links to these phones is handed ``adb_port`` and ``usbmux_address``.

    While it runs, a trace under the state dir names its adb server and socket folder, so
    the next bench to start cleans them up if this process is killed (leftovers.py)."""

    def __init__(self, fixtures: Sequence[Fixture], latency_ms: int = 0, adb_port: int | None = None) -> None:
        self.fixtures = [with_latency(f, latency_ms) for f in fixtures]
        self.adb_port = adb_port or free_port()
        self.adb_host = "127.0.0.1"  # simulated phones are on this machine, whatever ANDROID_ADB_SERVER_ADDRESS says
        self.adb_server: AdbServer | None = None
        self.adbds: dict[str, AdbdSimulator] = {}
        self.usbmuxd: UsbmuxdSimulator | None = None
        self.names: dict[str, str] = {}
        #: device id -> the simulated USB port it is in (``sim-1.N``, N its place in ``fixtures``);
        #: hand it to Hub(sim_ports=...) so cards and reports show it
        self.ports: dict[str, str] = {}
        #: adb serial (a loopback address) -> the simulated phone's own serial: hand it to
        #: Hub(sim_serials=...) so an unfinished phone is known again after a restart
        self.serials: dict[str, str] = {}
        self.trace: leftovers.Trace | None = None

    def __enter__(self) -> SimulatedHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> SimulatedHub:
        from agent.links.adb import ensure_adb_server
        from agent.simulator.usbmuxd import UsbmuxdSimulator

        leftovers.sweep()
        try:
            android = [f for f in self.fixtures if f.android is not None]
            ios = [f for f in self.fixtures if f.ios is not None]
            if android:
                self._leave_trace(starting_adb=True)  # a SIGKILL while adb starts leaves it running
                self.adb_server = ensure_adb_server(self.adb_port, host=self.adb_host)
                self._leave_trace()
                for fixture in android:
                    place = _place(self.fixtures, fixture)
                    sim = AdbdSimulator(fixture, adb_server_port=self.adb_port,
                                        recovery_wipe_s=TECHNICIAN_WIPE_S).start()
                    self.adbds[sim.serial] = sim
                    self.names[sim.serial] = _name(fixture)
                    self.ports[sim.serial] = _sim_port(place)
                    self.serials[sim.serial] = fixture.android.serial  # type: ignore[union-attr]
            self.usbmuxd = UsbmuxdSimulator().start()
            self._leave_trace()
            for fixture in ios:
                place = _place(self.fixtures, fixture)
                # LocationID as Linux usbmuxd would say it for a phone on bus 1 at address 10+N
                self.usbmuxd.plug(fixture, location_id=(1 << 16) | (10 + place))
                self.names[fixture.device_id] = _name(fixture)
                self.ports[fixture.device_id] = _sim_port(place)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for sim in self.adbds.values():
            try:
                sim.stop()
            except Exception as e:  # keep stopping the rest
                log.warning("stopping %s: %s", sim.serial, e)
        self.adbds.clear()
        if self.usbmuxd is not None:
            self.usbmuxd.stop()
            self.usbmuxd = None
        if self.adb_server is not None:
            self.adb_server.stop()
            self.adb_server = None
        if self.trace is not None:
            self.trace.remove()
            self.trace = None

    def _leave_trace(self, starting_adb: bool = False) -> None:
        """Name what a SIGKILL would leave behind: the adb server we start or started (on a
        port chosen free, so ours), the socket folder."""
        started = self.adb_server is not None and self.adb_server.started_here
        port = self.adb_port if starting_adb or started else None
        folder = str(Path(self.usbmuxd.socket_address).parent) if self.usbmuxd is not None else None
        old, self.trace = self.trace, leftovers.Trace(os.getpid(), port, folder)
        self.trace.write()
        if old is not None and old.path != self.trace.path:
            old.remove()

    def answer_dialogs_after(self, seconds: float) -> threading.Timer:
        """After ``seconds``, allow USB debugging and tap Trust on every phone that waits
        for it, as a technician would: the demo shows both states, then the session."""

        def tap() -> None:
            for fixture in self.fixtures:
                try:
                    if fixture.android is not None and fixture.android.state == "unauthorized":
                        next(s for s in self.adbds.values() if s.fixture is fixture).authorize()
                    elif fixture.ios is not None and fixture.ios.pairing == "trust_pending" and self.usbmuxd:
                        self.usbmuxd.trust(fixture.device_id)
                except Exception as e:  # the bench may be stopping
                    log.info("could not answer the dialog on %s: %s", fixture.device_id, e)

        timer = threading.Timer(seconds, tap)
        timer.daemon = True
        timer.start()
        return timer

    @property
    def usbmux_address(self) -> str | None:
        return self.usbmuxd.socket_address if self.usbmuxd else None

    def device_ids(self) -> list[str]:
        return list(self.names)


def _name(fixture: Fixture) -> str:
    return fixture.path.name if fixture.path else fixture.name


def _place(fixtures: list[Fixture], fixture: Fixture) -> int:
    """1 for the first fixture given, 2 for the next... (by identity: a fixture may come twice)."""
    return next(i for i, f in enumerate(fixtures, 1) if f is fixture)


def _sim_port(place: int) -> str:
    """The simulated USB port of the phone in ``place``: ``sim-1.<place>``, never a real port path."""
    from agent.ports import SIM_PREFIX

    return f"{SIM_PREFIX}1.{place}"
