"""Ports through the real stacks: the fake usbmuxd's LocationID read by pymobiledevice3, the
simulated bench's ports handed to the supervisor, and both in the signed report and on the card.
Each test stops its simulators (and their adb server) at teardown."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from agent.delivery.ledger import SideRecord
from agent.discovery import Sighting
from agent.discovery.usbmux import UsbmuxSource
from agent.fixtures.format import load_fixture
from agent.report.verify import trusted_key, verify_file
from agent.session.events import BenchEvent, PhoneSeen, ReportSaved, SlotEvent
from agent.session.hub import Hub
from agent.session.station import open_station
from agent.simulator.bench import SimulatedHub
from agent.simulator.usbmuxd import UsbmuxdSimulator
from agent.tui.model import BenchModel

ROOT = Path(__file__).resolve().parents[2] / "fixtures"
#: bus 200, address 99: on no machine's sysfs, so the source keeps it as the location
LOCATION = (200 << 16) | 99


async def _first(source: UsbmuxSource) -> Sighting:
    async for sighting in source.watch():
        return sighting
    raise AssertionError("usbmuxd announced nothing")


def test_the_usbmuxd_location_id_reaches_the_sighting_through_pymobiledevice3() -> None:
    """Pins the wrapper around PlistMuxConnection._receive/_process_device_state: a
    pymobiledevice3 that renames them fails here, not quietly on a bench."""
    with UsbmuxdSimulator() as mux:
        mux.plug(load_fixture(ROOT / "ios" / "iphone-13.yaml"), location_id=LOCATION)
        sighting = asyncio.run(asyncio.wait_for(_first(UsbmuxSource(mux.socket_address)), 30))
    assert (sighting.location_id, sighting.usb_path) == (LOCATION, "usbmux:0x00c80063")


def test_a_simulated_iphone_and_android_carry_their_ports_into_the_report_and_onto_the_card(tmp_path: Path) -> None:
    fixtures = [load_fixture(ROOT / "android" / "pixel-7.yaml"), load_fixture(ROOT / "ios" / "iphone-13.yaml")]
    events: list[BenchEvent] = []
    with SimulatedHub(fixtures) as sim:
        bench = open_station("default", record=SideRecord(tmp_path / "reports"))
        live = Hub(adb_port=sim.adb_port, usbmux_address=sim.usbmux_address, usb=False, start_adb=False,
                   simulated=True, sim_ports=sim.ports, port_names={"sim-1.2": "right 2"})

        async def run() -> None:
            stream = live.supervisor(bench).events()
            try:
                async with asyncio.timeout(120):
                    async for event in stream:
                        events.append(event)
                        if sum(isinstance(e, SlotEvent) and isinstance(e.event, ReportSaved) for e in events) == 2:
                            return
            finally:
                await stream.aclose()

        asyncio.run(run())
        android, iphone = sim.device_ids()
    saved = [e.event for e in events if isinstance(e, SlotEvent) and isinstance(e.event, ReportSaved)]
    by_platform = {r.report["device"]["platform"]: r for r in saved}
    ports = {p: r.report["session"]["port"] for p, r in by_platform.items()}
    assert ports["android"] == {"path": "sim-1.1", "name": None, "usbmux_location": None}
    # the iPhone: the simulated port (named by the config) and the LocationID usbmuxd said, in hex
    assert ports["ios"] == {"path": "sim-1.2", "name": "right 2", "usbmux_location": "0x0001000c"}
    for report in saved:  # inside what is signed, and the file verifies against the v2 schema
        verify_file(Path(report.path), trusted_key(None))
    seen = {e.phone.device_id: e for e in events if isinstance(e, PhoneSeen)}
    assert (seen[android].port, seen[iphone].port, seen[iphone].port_name) == ("sim-1.1", "sim-1.2", "right 2")
    model = BenchModel()
    for event in events:
        model.apply(event)
    cards: dict[str, Any] = {v.platform: v for v in model.slots.values()}
    assert cards["android"].port_shown == "sim-1.1" and cards["ios"].port_shown == "right 2"
