"""``phonebench erase --udid`` picks its EraseDevice by iOS version and by the phone's answer,
through pymobiledevice3 and the simulated usbmuxd + lockdownd: MCInstall (options applied) on a
modern iPhone, mobilebackup2's DeviceLink EraseDevice (options not applied) on an iOS 10 one."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from pathlib import Path

import pytest

from agent import paths
from agent.cli.main import main
from agent.fixtures.format import Fixture, load_fixture
from agent.simulator.usbmuxd import UsbmuxdSimulator
from tests.erasure.conftest import UDID, erase, iphone, payload, usbmuxd_with

SIDE = "erasures-simulated"
OLD = load_fixture(Path(__file__).resolve().parents[2] / "fixtures/ios/iphone-5c-ios10.yaml")
OLD_UDID = OLD.device_id


def with_services(fixture: Fixture, version: str | None = None, **replies: dict) -> Fixture:
    """``fixture`` with extra service replies ({service: {request: reply}}) and another ProductVersion."""
    assert fixture.ios is not None
    services = {name: {**fixture.ios.services.get(name, {}), **reply} for name, reply in replies.items()}
    lockdown = {d: dict(v) for d, v in fixture.ios.lockdown.items()}
    if version is not None:
        lockdown[""]["ProductVersion"] = version
    ios = dataclasses.replace(fixture.ios, services={**fixture.ios.services, **services}, lockdown=lockdown)
    return dataclasses.replace(fixture, ios=ios)


def test_a_modern_iphone_is_erased_by_mcinstall_with_its_options_recorded(
        usbmuxd: UsbmuxdSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    usbmuxd.plug(iphone(find_my=False))
    code, out, _ = erase(capsys, "--udid", UDID, "--yes", "--json", "--simulated", "--preserve-data-plan")
    sanitization = payload(json.loads(out))["sanitization"]
    assert code == 0 and sanitization["command"] == "lockdown com.apple.mobile.MCInstall EraseDevice"
    assert "by mcinstall EraseDevice (iOS 17.5: MCInstall first" in sanitization["technique"]
    assert sanitization["options"] == {"PreserveDataPlan": True, "DisallowProximitySetup": False}
    assert main(["verify", str(paths.side_records_dir(SIDE))]) == 0


def test_an_ios_10_iphone_is_erased_by_mobilebackup2_and_the_options_are_not_claimed(
        usbmuxd: UsbmuxdSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    usbmuxd.plug(OLD)
    code, out, _ = erase(capsys, "--udid", OLD_UDID, "--yes", "--json", "--simulated", "--preserve-data-plan")
    cert = payload(json.loads(out))
    sanitization = cert["sanitization"]
    assert code == 0 and cert["result"] == "erased" and cert["verification"]["result"] == "passed"
    assert sanitization["command"] == "lockdown com.apple.mobilebackup2 DeviceLink process message EraseDevice"
    assert "by mobilebackup2 EraseDevice (iOS 10.3.3: MCInstall refuses" in sanitization["technique"]
    assert sanitization["options"]["PreserveDataPlan"] is None and sanitization["options"]["DisallowProximitySetup"] is None
    assert "takes no options (requested: PreserveDataPlan=true" in sanitization["options"]["options_not_applied"]
    assert cert["device"]["os_version"] == "10.3.3" and OLD_UDID in usbmuxd.udids  # back, factory fresh
    assert main(["verify", str(paths.side_records_dir(SIDE))]) == 0


def test_a_phone_whose_mcinstall_refuses_erase_falls_back_to_mobilebackup2_and_says_why(
        usbmuxd: UsbmuxdSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    usbmuxd.plug(with_services(iphone(find_my=False), **{
        "com.apple.mobile.MCInstall": {"EraseDevice": {"Status": "CommandFormatError"}}}))
    code, out, _ = erase(capsys, "--udid", UDID, "--yes", "--json", "--simulated")
    cert = payload(json.loads(out))
    assert code == 0 and cert["result"] == "erased"
    assert cert["sanitization"]["command"].startswith("lockdown com.apple.mobilebackup2")
    assert "the phone refused it" in cert["sanitization"]["technique"]
    assert "CommandFormatError" in cert["sanitization"]["technique"]


def test_a_phone_that_refuses_both_erases_nothing_and_signs_nothing(
        usbmuxd: UsbmuxdSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    usbmuxd.plug(with_services(OLD, **{"com.apple.mobilebackup2": {"EraseDevice": {
        "ErrorCode": 205, "ErrorDescription": "not activated"}}}))
    code, out, err = erase(capsys, "--udid", OLD_UDID, "--yes", "--simulated")
    assert code == 5 and out == "" and "mobilebackup2 EraseDevice refused: " in err
    assert err.strip().splitlines()[-1].startswith("phonebench: ") and "Traceback" not in err
    assert "report it" not in err
    assert OLD_UDID in usbmuxd.udids  # never left the bus
    assert not list(paths.side_records_dir(SIDE).glob("*.dsse.json"))


def test_an_iphone_before_ios_9_is_refused_before_anything_is_sent(
        usbmuxd: UsbmuxdSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    usbmuxd.plug(with_services(OLD, "8.4.1"))
    code, out, err = erase(capsys, "--udid", OLD_UDID, "--yes", "--simulated")
    assert code == 10 and out == "" and "before iOS 9" in err


def test_an_ios_10_iphone_unplugged_while_mobilebackup2_erases_it_is_not_verified(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    sim = usbmuxd_with(monkeypatch, 2.0)  # the erased phone would come back after 2 s
    try:
        sim.plug(OLD)

        def pull_when_away() -> None:
            deadline = time.monotonic() + 30
            while OLD_UDID not in sim._returning and time.monotonic() < deadline:
                time.sleep(0.02)
            sim.unplug(OLD_UDID)  # the technician takes it off the bench while it erases

        puller = threading.Thread(target=pull_when_away, daemon=True)
        puller.start()
        code, out, _ = erase(capsys, "--udid", OLD_UDID, "--yes", "--simulated", "--json", "--wait", "4")
        puller.join(10)
    finally:
        sim.stop()
    cert = payload(json.loads(out))
    assert code == 5 and cert["result"] == "not_verified"
    assert cert["sanitization"]["command"].startswith("lockdown com.apple.mobilebackup2")
    assert main(["verify", str(paths.side_records_dir(SIDE))]) == 0
