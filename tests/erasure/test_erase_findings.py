"""``phonebench erase`` where a tester found it wrong, through the real stacks (the real adb
server and the simulated adbd; pymobiledevice3 and the simulated usbmuxd): a malformed report
in a report folder, end of input at each question, missing phones, operator names, and the
nulls a certificate must explain (a stop after the erase request: test_erase_interrupted.py)."""

from __future__ import annotations

import base64
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest

from agent import paths
from agent.cli.main import main
from agent.erasure.android import NO_CRYPTO_TYPE
from agent.erasure.shift import NOT_ASKED_NO_TERMINAL
from agent.report.schema import validate_certificate
from agent.simulator.usbmuxd import UsbmuxdSimulator
from tests.erasure.conftest import UDID, erase, iphone, payload, unexplained_nulls
from tests.erasure.test_erase_android import SIDE, commands, phone  # noqa: F401  (phone is a fixture)
from tests.simulator_adb.conftest import adb_server, make_fixture  # noqa: F401  (adb_server is a fixture)


def certificates() -> list[dict[str, Any]]:
    return [payload(json.loads(p.read_text())) for p in sorted(paths.side_records_dir(SIDE).glob("*.dsse.json"))]


def test_a_malformed_report_in_a_report_folder_never_costs_the_certificate(
        phone: Any, capsys: pytest.CaptureFixture[str]) -> None:
    folder = paths.side_records_dir("replays")
    folder.mkdir(parents=True, exist_ok=True)
    bad = {"report_id": "x", "schema": 7}
    (folder / "bad.dsse.json").write_text(json.dumps({"payload": base64.b64encode(json.dumps(bad).encode()).decode()}))
    (folder / "deep.dsse.json").write_text("[" * 100_000)
    sim = phone(make_fixture("malformed", commands=commands()))
    code, out, err = erase(capsys, "--serial", sim.serial, "--yes", "--json", "--simulated", "--wait", "60")
    cert = payload(json.loads(out))  # signed, whatever the watch saw (a loaded machine may miss recovery)
    assert code in (0, 5) and cert["result"] in ("erased", "not_verified") and "Traceback" not in err
    assert cert["diagnostics_report_id"] is None
    assert "no diagnostics report of this serial" in cert["diagnostics_report_id_reason"]


def test_every_null_on_an_android_certificate_says_why(phone: Any, capsys: pytest.CaptureFixture[str]) -> None:
    cmds = commands()
    cmds["service call iphonesubinfo 1 s16 com.android.shell"] = {"stdout": ""}  # Android 10+: no IMEI over adb
    sim = phone(make_fixture("nulls", commands=cmds))
    code, out, _ = erase(capsys, "--serial", sim.serial, "--yes", "--json", "--simulated", "--wait", "60")
    cert = payload(json.loads(out))
    validate_certificate(cert)
    assert code in (0, 5) and cert["device"]["imei"] is None and "no IMEI read" in cert["device"]["imei_reason"]
    tool = cert["sanitization"]["tool"]
    assert tool["version"] is None and "ro.build.id" in tool["version_reason"]  # the fixture does not say it
    assert cert["diagnostics_report_id"] is None and cert["diagnostics_report_id_reason"]


def test_an_android_phone_that_does_not_list_ro_crypto_type_is_cleared_and_the_null_says_why(
        phone: Any, capsys: pytest.CaptureFixture[str]) -> None:
    cmds = commands()
    cmds["getprop"] = {"stdout": cmds["getprop"]["stdout"].replace("[ro.crypto.type]: [file]\n", "")}
    sim = phone(make_fixture("nocrypto", commands=cmds))
    code, out, _ = erase(capsys, "--serial", sim.serial, "--yes", "--json", "--simulated", "--wait", "60")
    cert = payload(json.loads(out))
    validate_certificate(cert)
    sanitization = cert["sanitization"]
    assert code in (0, 5) and sanitization["method"] == "clear"
    assert sanitization["options"] == {"ro.crypto.type": None, "ro.crypto.type_reason": NO_CRYPTO_TYPE}
    assert unexplained_nulls(cert) == []


def test_the_android_tool_version_is_the_build_its_recovery_belongs_to(
        phone: Any, capsys: pytest.CaptureFixture[str]) -> None:
    cmds = commands()
    cmds["getprop"] = {"stdout": cmds["getprop"]["stdout"] + "[ro.build.id]: [UQ1A.240205.004]\n"}
    sim = phone(make_fixture("build", commands=cmds))
    code, out, _ = erase(capsys, "--serial", sim.serial, "--yes", "--json", "--simulated", "--wait", "60")
    tool = payload(json.loads(out))["sanitization"]["tool"]
    assert code in (0, 5) and tool == {"name": "Android recovery, started by adb", "version": "UQ1A.240205.004"}
    assert "imei_reason" not in payload(json.loads(out))["device"]  # the IMEI was read: no reason


def test_end_of_input_at_the_technician_question_is_not_verified_and_nobody_is_named(
        phone: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    sim = phone(make_fixture("eof", commands=commands()), recovery_wipe_s=None)
    monkeypatch.setattr("sys.stdin", io.StringIO("0ABC"))  # the serial's last four, then the input ends
    code, out, _ = erase(capsys, "--serial", sim.serial, "--json", "--simulated", "--wait", "2")
    cert = payload(json.loads(out))
    verification = cert["verification"]
    assert code == 5 and cert["result"] == "not_verified" and verification["result"] == "not_verified"
    assert verification["by"] == "agent" and "technician_answer" not in verification
    assert any("no answer (end of input)" in f for f in verification["findings"])
    assert cert["operator_reason"] == NOT_ASKED_NO_TERMINAL


def test_end_of_input_at_the_digits_says_nothing_was_typed(
        usbmuxd: UsbmuxdSimulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    usbmuxd.plug(iphone(find_my=False))
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code, _, err = erase(capsys, "--udid", UDID, "--simulated")
    assert code == 10 and "no digits given (end of input)" in err and "typed" not in err
    assert "erasing" not in err and not certificates()


def test_the_prompt_names_the_model_and_erasing_is_said_when_it_starts(
        usbmuxd: UsbmuxdSimulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    usbmuxd.plug(iphone(find_my=False))
    monkeypatch.setattr("sys.stdin", io.StringIO("2346\n"))
    code, _, err = erase(capsys, "--udid", UDID, "--simulated")
    assert code == 0 and "Erase iPhone 13 (iPhone14,5) serial" in err
    assert err.index("erasing iPhone 13") > err.index("Type the last four")


def test_no_such_phones_and_an_unauthorized_one_are_named_for_what_they_are(
        usbmuxd: UsbmuxdSimulator, phone: Any, capsys: pytest.CaptureFixture[str]) -> None:
    usbmuxd.plug(iphone(find_my=False))
    code, _, err = erase(capsys, "--udid", "nope", "--yes", "--simulated")
    assert code == 5 and "no iPhone or iPad with this UDID on usbmuxd" in err and "went away" not in err
    phone(make_fixture("present", commands=commands()))
    code, _, err = erase(capsys, "--serial", "nope", "--yes", "--simulated")
    assert code == 5 and "no phone with this serial on this adb server" in err and "went away" not in err
    locked = phone(make_fixture("locked", state="unauthorized", commands=commands()))
    import asyncio

    from agent.links.adb import AdbAndroidLink
    from tests.simulator_adb.conftest import wait_until

    link = AdbAndroidLink(locked.serial, "127.0.0.1", int(os.environ["ANDROID_ADB_SERVER_PORT"]))
    wait_until(lambda: asyncio.run(link.state()) == "unauthorized", "the phone listed as unauthorized", 10)
    code, _, err = erase(capsys, "--serial", locked.serial, "--yes", "--simulated")
    assert code == 5 and "allow USB debugging" in err and "went away" not in err


@pytest.mark.parametrize("name", ["Ann\nEvil", "Ann\x1b[31m", "x" * 10_000], ids=["newline", "escape", "10k"])
def test_an_operator_name_with_control_characters_or_too_long_is_refused(
        usbmuxd: UsbmuxdSimulator, capsys: pytest.CaptureFixture[str], name: str) -> None:
    usbmuxd.plug(iphone(find_my=False))
    code, out, err = erase(capsys, "--udid", UDID, "--yes", "--simulated", "--operator", name)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and not certificates()


def test_a_too_long_operator_in_the_config_is_refused_too(tmp_path: Path) -> None:
    from agent.config import load_config
    from agent.errors import ConfigError

    path = tmp_path / "config.yaml"
    path.write_text("operator: " + "x" * 65 + "\n")
    with pytest.raises(ConfigError, match="at most 64"):
        load_config(path)


def test_an_ios_10_erase_says_the_options_were_not_applied(
        usbmuxd: UsbmuxdSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.erasure.test_erase_ios_services import OLD, OLD_UDID

    usbmuxd.plug(OLD)
    code, _, err = erase(capsys, "--udid", OLD_UDID, "--yes", "--simulated", "--preserve-data-plan",
                         "--disallow-proximity-setup")
    assert code == 0 and "were not applied" in err
