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


def test_a_simulated_android_phone_says_simulated_even_to_a_link_that_was_not_told(tmp_path: Path) -> None:
    with SimulatedHub([load_fixture(ROOT / "android" / "pixel-7.yaml")]) as sim:
        serial = sim.device_ids()[0]
        # the fake adbd is attached with `adb connect`, a TCP transport, as a phone over Wi-Fi
        # is; its banner's phonebench_simulated feature is what tells it from one
        unsaid = _report(AdbAndroidLink(serial, port=sim.adb_port), tmp_path / "a")["session"]
        said = _report(AdbAndroidLink(serial, port=sim.adb_port, simulated=True), tmp_path / "b")["session"]
    assert (unsaid["provenance"], unsaid["transport_id"]) == ("simulated", f"adb:{serial}")
    assert (said["provenance"], said["transport_id"]) == ("simulated", f"adb:{serial}")


def test_adb_says_usb_with_the_bus_path_or_network_with_the_serial(mocker) -> None:  # type: ignore[no-untyped-def]
    """adb's own device list decides (unit test of the link: the server is stood in for)."""
    from adbutils._proto import AdbDeviceInfo

    listed = [AdbDeviceInfo("2B151FDH2000AB", "device", {"usb": "1-1.3", "transport_id": "1"}),
              AdbDeviceInfo("192.168.1.20:5555", "device", {"transport_id": "2"})]
    mocker.patch("agent.links.adb._BoundedClient.list", return_value=listed)
    mocker.patch("agent.links.adb.AdbAndroidLink._simulator_says_so", return_value=False)
    usb = asyncio.run(AdbAndroidLink("2B151FDH2000AB", port=5999).provenance())
    network = asyncio.run(AdbAndroidLink("192.168.1.20:5555", port=5999).provenance())
    assert (usb.kind, usb.transport_id) == ("usb", "usb:1-1.3")
    assert (network.kind, network.transport_id) == ("network", "192.168.1.20:5555")


def test_a_simulated_iphone_says_simulated_even_to_a_link_that_was_not_told(tmp_path: Path) -> None:
    with SimulatedHub([load_fixture(ROOT / "ios" / "iphone-13.yaml")]) as sim:
        udid = sim.device_ids()[0]
        pairs = tmp_path / "pairs"
        # the fake usbmuxd lists the phone as a USB one; its own BUID tells it from a real usbmuxd
        unsaid = _report(PmdIosLink(udid, usbmux_address=sim.usbmux_address, pair_records=pairs), tmp_path / "a")
    assert unsaid["session"]["provenance"] == "simulated"
    assert unsaid["session"]["transport_id"] == f"usbmux:{udid}"
