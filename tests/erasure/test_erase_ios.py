"""``phonebench erase --udid`` through pymobiledevice3 and the simulated usbmuxd + lockdownd:
the certificate it signs, the refusals, and an erase that is never seen to finish."""

from __future__ import annotations

import io
import json

import pytest

from agent import paths
from agent.cli.main import main
from agent.report.signing import ERASURE_PAYLOAD_TYPE
from agent.simulator.usbmuxd import UsbmuxdSimulator
from tests.erasure.conftest import IMEI, SERIAL, UDID, erase, iphone, payload

SIDE = "erasures-simulated"


def test_erase_gives_a_verified_purge_certificate_that_verify_accepts(
        usbmuxd: UsbmuxdSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    usbmuxd.plug(iphone(find_my=False))
    code, out, _ = erase(capsys, "--udid", UDID, "--yes", "--json", "--simulated", "--disallow-proximity-setup")
    envelope = json.loads(out)
    cert = payload(envelope)
    assert code == 0 and envelope["payloadType"] == ERASURE_PAYLOAD_TYPE
    assert cert["result"] == "erased" and cert["verification"]["result"] == "passed"
    assert cert["sanitization"]["method"] == "purge"
    assert cert["sanitization"]["options"] == {"PreserveDataPlan": False, "DisallowProximitySetup": True}
    assert cert["device"] | {} == {"platform": "ios", "manufacturer": "Apple", "model": "iPhone14,5",
                                    "serial": SERIAL, "imei": IMEI, "os_version": "17.5"}
    assert cert["session"]["provenance"] == "simulated" and cert["media"]["type"] == "flash"
    folder = paths.side_records_dir(SIDE)
    assert main(["verify", str(folder)]) == 0
    assert "erasure ios iPhone14,5" in capsys.readouterr().out


def test_two_erases_chain_and_the_second_names_the_first(
        usbmuxd: UsbmuxdSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    usbmuxd.plug(iphone(find_my=False))
    first = payload(json.loads(erase(capsys, "--udid", UDID, "--yes", "--simulated", "--json")[1]))
    code, out, _ = erase(capsys, "--udid", UDID, "--yes", "--simulated", "--json", "--preserve-data-plan")
    second = payload(json.loads(out))
    assert code == 0 and UDID in usbmuxd.udids  # the fresh phone re-attached and was erased again
    assert second["chain"]["sequence"] == first["chain"]["sequence"] + 1
    assert second["sanitization"]["options"]["PreserveDataPlan"] is True
    assert main(["verify", str(paths.side_records_dir(SIDE))]) == 0
    assert "chain: ok (2 reports" in capsys.readouterr().out


def test_find_my_on_is_refused_and_nothing_is_erased(
        usbmuxd: UsbmuxdSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    usbmuxd.plug(iphone(find_my=True))
    code, out, err = erase(capsys, "--udid", UDID, "--yes", "--simulated")
    assert code == 10 and out == ""
    assert "Find My is on" in err and "Activation Lock" in err
    assert not paths.side_records_dir(SIDE).exists() or not list(paths.side_records_dir(SIDE).glob("*.dsse.json"))


def test_unknown_find_my_is_refused_unless_forced_and_the_certificate_says_forced(
        usbmuxd: UsbmuxdSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    usbmuxd.plug(iphone(find_my=None))
    assert erase(capsys, "--udid", UDID, "--yes", "--simulated")[0] == 10
    code, out, _ = erase(capsys, "--udid", UDID, "--yes", "--simulated", "--force", "--json")
    sanitization = payload(json.loads(out))["sanitization"]
    assert code == 0 and sanitization["forced"] is True and "Find My" in sanitization["forced_reason"]


def test_an_erase_the_phone_never_returns_from_is_not_verified_never_erased(
        usbmuxd_no_return: UsbmuxdSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    usbmuxd_no_return.plug(iphone(find_my=False))
    code, out, _ = erase(capsys, "--udid", UDID, "--yes", "--simulated", "--json", "--wait", "1")
    cert = payload(json.loads(out))
    assert code == 5 and cert["result"] == "not_verified"
    assert cert["verification"]["result"] == "not_verified" and "did not attach again" in cert["verification"]["findings"][0]
    assert main(["verify", str(paths.side_records_dir(SIDE))]) == 0


def test_without_yes_the_last_four_digits_are_asked_and_a_wrong_answer_erases_nothing(
        usbmuxd: UsbmuxdSimulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    usbmuxd.plug(iphone(find_my=False))
    monkeypatch.setattr("sys.stdin", io.StringIO("0000\n"))
    code, _, err = erase(capsys, "--udid", UDID, "--simulated")
    assert code == 10 and "last four" in err
    monkeypatch.setattr("sys.stdin", io.StringIO(IMEI[-4:] + "\n"))
    assert erase(capsys, "--udid", UDID, "--simulated")[0] == 0


def test_a_phone_behind_the_simulator_is_simulated_even_unsaid_and_stays_out_of_the_station_record(
        usbmuxd: UsbmuxdSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    usbmuxd.plug(iphone(find_my=False))
    code, out, _ = erase(capsys, "--udid", UDID, "--yes", "--json")  # no --simulated
    assert code == 0 and payload(json.loads(out))["session"]["provenance"] == "simulated"
    assert len(list(paths.side_records_dir(SIDE).glob("*.dsse.json"))) == 1
    assert not list(paths.reports_dir().glob("*.dsse.json"))


def test_an_iphone_unplugged_while_it_erases_gives_not_verified_never_erased(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import threading
    import time

    from tests.erasure.conftest import usbmuxd_with

    sim = usbmuxd_with(monkeypatch, 2.0)  # the erased phone would come back after 2 s
    try:
        sim.plug(iphone(find_my=False))

        def pull_when_away() -> None:
            deadline = time.monotonic() + 30
            while UDID not in sim._returning and time.monotonic() < deadline:
                time.sleep(0.02)
            sim.unplug(UDID)  # the technician takes it off the bench while it erases

        puller = threading.Thread(target=pull_when_away, daemon=True)
        puller.start()
        code, out, _ = erase(capsys, "--udid", UDID, "--yes", "--simulated", "--json", "--wait", "4")
        puller.join(10)
    finally:
        sim.stop()
    cert = payload(json.loads(out))
    assert code == 5 and cert["result"] == "not_verified"
