"""`phonebench record` through the real stacks: adb server + fake adbd, pymobiledevice3 + fake usbmuxd."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from agent.cli.main import _Parser
from agent.cli.record import add_parser
from agent.errors import LinkError
from agent.fixtures.format import load_fixture
from agent.links.adb import AdbServer
from agent.simulator import AdbdSimulator
from agent.simulator.usbmuxd import UsbmuxdSimulator

from .helpers import ROOT, measured_pair

PIXEL = ROOT / "fixtures/android/pixel-7.yaml"
IPHONE = ROOT / "fixtures/ios/iphone-13.yaml"


def record(*argv: str) -> int:
    parser = _Parser(prog="phonebench")
    add_parser(parser.add_subparsers())
    args: argparse.Namespace = parser.parse_args(["record", *argv])
    return args.func(args)


#: every bundled phone that runs to the end (the one that drops mid-check leaves no recording)
ANDROID = sorted(p for p in (ROOT / "fixtures/android").glob("*.yaml") if p.stem != "disconnect-mid-battery")
IOS = sorted((ROOT / "fixtures/ios").glob("*.yaml"))


def test_android_phone_keeps_its_own_serial_and_features(adb_server: AdbServer, out: Path) -> None:
    sim = AdbdSimulator(load_fixture(PIXEL), adb_server_port=adb_server.port).start()
    try:
        assert record("--serial", sim.serial, "-o", str(out), "--adb-port", str(adb_server.port), "--no-redact") == 0
    finally:
        sim.stop()
    recorded = load_fixture(out)
    assert recorded.android.features == load_fixture(PIXEL).android.features  # type: ignore[union-attr]
    assert recorded.android.serial == "2B151FDH2000AB"  # the phone's own, not the simulator's address  # type: ignore[union-attr]


@pytest.mark.parametrize("path", ANDROID, ids=lambda p: p.stem)
def test_android_phone_recorded_through_adb_replays_to_the_same_metrics(adb_server: AdbServer, out: Path,
                                                                       tmp_path: Path, path: Path) -> None:
    sim = AdbdSimulator(load_fixture(path), adb_server_port=adb_server.port).start()
    try:
        assert record("--serial", sim.serial, "-o", str(out), "--adb-port", str(adb_server.port), "--no-redact") == 0
    finally:
        sim.stop()
    again, before = measured_pair(load_fixture(out), load_fixture(path), tmp_path)
    assert again == before


@pytest.mark.parametrize("path", IOS, ids=lambda p: p.stem)
def test_iphone_recorded_through_usbmuxd_replays_to_the_same_metrics(usbmuxd: UsbmuxdSimulator, out: Path,
                                                                      tmp_path: Path, path: Path) -> None:
    original = load_fixture(path)
    usbmuxd.plug(original)
    assert record("--udid", original.device_id, "-o", str(out), "--no-redact") == 0
    again, before = measured_pair(load_fixture(out), original, tmp_path)
    assert again == before


def test_recording_redacts_by_default(usbmuxd: UsbmuxdSimulator, out: Path) -> None:
    original = load_fixture(IPHONE)
    usbmuxd.plug(original)
    record("--udid", original.device_id, "-o", str(out))
    text = out.read_text()
    assert original.device_id not in text
    assert original.ios.lockdown[""]["SerialNumber"] not in text  # type: ignore[union-attr]
    assert load_fixture(out).expect["metrics"]["identity.model"] == "iPhone14,5"


def test_unplugging_during_the_recording_leaves_no_file(usbmuxd: UsbmuxdSimulator, out: Path) -> None:
    text = IPHONE.read_text() + '\nfaults:\n  - {kind: disconnect, at: "ioregistry:AppleSmartBattery"}\n'
    dropping = out.parent / "dropping.yaml"
    dropping.write_text(text)
    usbmuxd.plug(load_fixture(dropping))
    with pytest.raises(LinkError):
        record("--udid", load_fixture(dropping).device_id, "-o", str(out))
    assert not out.exists()
    assert sorted(p.name for p in out.parent.iterdir()) == ["dropping.yaml"]


def test_a_serial_adb_does_not_list_is_a_one_line_link_error(adb_server: AdbServer, out: Path) -> None:
    with pytest.raises(LinkError, match="NOSUCHPHONE: not connected"):
        record("--serial", "NOSUCHPHONE", "-o", str(out), "--adb-port", str(adb_server.port))
    assert not out.exists()
