"""Every report says where its phone came from, inside what is signed."""

from __future__ import annotations

import asyncio
from pathlib import Path

from agent.delivery.ledger import SideRecord
from agent.fixtures.format import load_fixture
from agent.links.adb import AdbAndroidLink
from agent.links.ios import PmdIosLink
from agent.links.replay import replay_link
from agent.session.engine import run_session
from agent.session.events import ReportSaved
from agent.session.station import open_station
from agent.simulator.bench import SimulatedHub

ROOT = Path(__file__).resolve().parents[2] / "fixtures"


def _report(link, tmp_path: Path) -> dict:  # type: ignore[no-untyped-def]
    station = open_station("default", record=SideRecord(tmp_path / "reports"))

    async def go() -> list:
        return [e async for e in run_session(link, station)]

    return next(e for e in asyncio.run(go()) if isinstance(e, ReportSaved)).report


def test_a_replayed_fixture_says_replay_with_its_file(tmp_path: Path) -> None:
    session = _report(replay_link(load_fixture(ROOT / "android" / "pixel-7.yaml")), tmp_path)["session"]
    assert (session["provenance"], session["transport_id"]) == ("replay", "replay:pixel-7.yaml")


def test_adb_without_a_usb_transport_is_network_and_the_simulated_bench_says_simulated(tmp_path: Path) -> None:
    with SimulatedHub([load_fixture(ROOT / "android" / "pixel-7.yaml")]) as sim:
        serial = sim.device_ids()[0]
        # the fake adbd is attached with `adb connect`, a TCP transport, as a phone over Wi-Fi is
        network = _report(AdbAndroidLink(serial, port=sim.adb_port), tmp_path / "a")["session"]
        simulated = _report(AdbAndroidLink(serial, port=sim.adb_port, simulated=True), tmp_path / "b")["session"]
    assert (network["provenance"], network["transport_id"]) == ("network", serial)
    assert (simulated["provenance"], simulated["transport_id"]) == ("simulated", f"adb:{serial}")


def test_usbmux_says_usb_with_its_device_id_and_the_simulated_bench_says_simulated(tmp_path: Path) -> None:
    with SimulatedHub([load_fixture(ROOT / "ios" / "iphone-13.yaml")]) as sim:
        udid = sim.device_ids()[0]
        pairs = tmp_path / "pairs"
        usb = _report(PmdIosLink(udid, usbmux_address=sim.usbmux_address, pair_records=pairs), tmp_path / "a")
        simulated = _report(PmdIosLink(udid, usbmux_address=sim.usbmux_address, pair_records=pairs, simulated=True),
                            tmp_path / "b")
    assert usb["session"]["provenance"] == "usb"
    assert usb["session"]["transport_id"].startswith("usbmux:devid ")
    assert simulated["session"]["provenance"] == "simulated"
