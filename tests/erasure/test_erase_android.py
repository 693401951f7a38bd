"""``phonebench erase --serial`` through the real adb server and the simulated adbd: the
preflight refusals, the watched recovery reset, and a reset that is never seen to finish."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest

from agent import paths
from agent.cli.main import main
from agent.erasure.android import count_accounts, frp_active, storage_kb
from agent.fixtures.format import Fixture
from agent.links.adb import AdbServer
from agent.simulator import AdbdSimulator
from tests.erasure.conftest import IMEI, erase, payload
from tests.simulator_adb.conftest import adb_server, make_fixture  # noqa: F401  (adb_server is a fixture)

SIDE = "erasures-simulated"
IMEI_PARCEL = """Result: Parcel(
  0x00000000: 00000000 0000000f 00350033 00370036 '........3.5.6.7.'
  0x00000010: 00390038 00300031 00350034 00320031 '8.9.1.0.4.5.1.2.'
  0x00000020: 00340033 00000036                   '3.4.6...        ')
"""
GOOGLE = "Accounts: 1\n  Account {name=someone@example.com, type=com.google}\n"


def commands(accounts: str = "Accounts: 0\n", frp: str = "0") -> dict[str, dict[str, Any]]:
    getprop = ("[ro.product.manufacturer]: [Google]\n[ro.product.model]: [Pixel 8]\n[ro.serialno]: [3A281FDJH00ABC]\n"
               "[ro.build.version.release]: [14]\n[ro.crypto.type]: [file]\n")
    return {
        "getprop": {"stdout": getprop},
        "service call iphonesubinfo 1 s16 com.android.shell": {"stdout": IMEI_PARCEL},
        "dumpsys account": {"stdout": accounts},
        "settings get global secure_frp_mode": {"stdout": frp + "\n"},
        "settings get secure user_setup_complete": {"stdout": "1\n"},
        "du -sk /sdcard/": {"stdout": "5242880\t/sdcard/\n"},
    }


@pytest.fixture
def phone(adb_server: AdbServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:  # noqa: F811
    """Start a simulated phone on the session's adb server (the technician wipes it in
    recovery ``recovery_wipe_s`` later, or never); stopped after the test. Two seconds in
    recovery, as a technician's menu steps take at least: a shorter stay can fall between
    two looks of a watch slowed by a busy machine."""
    started: list[AdbdSimulator] = []
    monkeypatch.setenv("ANDROID_ADB_SERVER_PORT", str(adb_server.port))

    def start(fixture: Fixture, recovery_wipe_s: float | None = 2.0) -> AdbdSimulator:
        sim = AdbdSimulator(fixture, adb_server_port=adb_server.port, recovery_wipe_s=recovery_wipe_s)
        started.append(sim)
        return sim.start()

    yield start
    for sim in started:
        sim.stop()


def test_a_watched_recovery_reset_gives_a_verified_purge_certificate(
        phone: Any, capsys: pytest.CaptureFixture[str]) -> None:
    sim = phone(make_fixture("wipe", commands=commands()))
    code, out, _ = erase(capsys, "--serial", sim.serial, "--yes", "--json", "--simulated", "--wait", "60")
    cert = payload(json.loads(out))
    assert code == 0 and cert["result"] == "erased", cert["verification"]
    assert cert["sanitization"]["method"] == "purge" and "ro.crypto.type=file" in cert["sanitization"]["reason"]
    assert cert["device"] == {"platform": "android", "manufacturer": "Google", "model": "Pixel 8",
                              "serial": "3A281FDJH00ABC", "imei": IMEI, "os_version": "14"}
    assert cert["verification"]["by"] == "agent" and cert["session"]["provenance"] == "simulated"
    assert main(["verify", str(paths.side_records_dir(SIDE))]) == 0


def test_a_google_account_is_refused_and_the_phone_is_not_rebooted(
        phone: Any, capsys: pytest.CaptureFixture[str]) -> None:
    sim = phone(make_fixture("google", commands=commands(accounts=GOOGLE)))
    code, out, err = erase(capsys, "--serial", sim.serial, "--yes", "--simulated")
    assert code == 10 and out == "" and "Google account" in err
    assert "someone@example.com" not in err  # account names never leave the phone
    assert sim.fixture.android is not None and sim.fixture.android.state == "device"


def test_active_frp_is_refused(phone: Any, capsys: pytest.CaptureFixture[str]) -> None:
    sim = phone(make_fixture("frp", commands=commands(frp="1")))
    code, _, err = erase(capsys, "--serial", sim.serial, "--yes", "--simulated")
    assert code == 10 and "Factory Reset Protection" in err


def test_a_reset_never_seen_to_finish_is_not_verified_never_erased(
        phone: Any, capsys: pytest.CaptureFixture[str]) -> None:
    sim = phone(make_fixture("stuck", commands=commands()), recovery_wipe_s=None)  # nobody wipes it
    code, out, _ = erase(capsys, "--serial", sim.serial, "--yes", "--json", "--simulated", "--wait", "2")
    cert = payload(json.loads(out))
    verification = cert["verification"]
    assert code == 5 and cert["result"] == "not_verified" and verification["findings"] == [
        "the phone reached recovery but was still there after 2 s: the wipe and the restart (\"Reboot system now\") "
        "were not seen, so it may not have been wiped"]
    assert verification["method"] is None and "did not come back" in verification["method_reason"]  # nothing checked
    assert main(["verify", str(paths.side_records_dir(SIDE))]) == 0


def test_the_technician_answers_when_the_agent_cannot_see_the_phone(
        phone: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    sim = phone(make_fixture("vouched", commands=commands()), recovery_wipe_s=None)
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{IMEI[-4:]}\nyes\n"))
    code, out, _ = erase(capsys, "--serial", sim.serial, "--json", "--simulated", "--wait", "2")
    verification = payload(json.loads(out))["verification"]
    assert code == 0 and verification["by"] == "technician" and verification["technician_answer"] == "yes"


def test_the_preflight_and_verification_parsers() -> None:
    assert count_accounts(GOOGLE) == (1, 1) and count_accounts("Accounts: 0\n") == (0, 0)
    assert count_accounts("Can't find service: account\n") == (None, 0)
    assert frp_active("1\n") is True and frp_active("0") is False and frp_active("null") is None
    assert storage_kb("88\t/sdcard/\n") == 88 and storage_kb("du: /sdcard/: Permission denied") is None


def test_an_android_phone_unplugged_in_recovery_gives_not_verified_never_erased(
        phone: Any, capsys: pytest.CaptureFixture[str]) -> None:
    import threading
    import time

    sim = phone(make_fixture("pulled", commands=commands()), recovery_wipe_s=2.0)

    def pull_in_recovery() -> None:
        deadline = time.monotonic() + 30
        while (sim.fixture.android is None or sim.fixture.android.state != "recovery") and time.monotonic() < deadline:
            time.sleep(0.02)
        sim.unplug()  # off the bench before the technician wipes it

    puller = threading.Thread(target=pull_in_recovery, daemon=True)
    puller.start()
    # a wait long enough for the wipe to have brought it back, had the unplug not kept it away
    code, out, _ = erase(capsys, "--serial", sim.serial, "--yes", "--json", "--simulated", "--wait", "6")
    puller.join(10)
    cert = payload(json.loads(out))
    assert code == 5 and cert["result"] == "not_verified"
