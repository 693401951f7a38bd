"""An erase stopped after its request went out (Ctrl-C, SIGTERM): ``phonebench erase`` run as its
own process through the real stacks (the real adb server and the simulated adbd; pymobiledevice3
and the simulated usbmuxd) signs a ``not_verified`` certificate, prints it as it prints a finished
one, and exits 130 or 128 + the signal; the certificate's verification method names only the
checks that ran."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from agent import paths
from agent.cli.main import main
from agent.erasure.android import ACCOUNTS, INTERRUPTED_SENT, SETUP, SHARED_STORAGE, VERIFY_LEAD, VERIFY_PARTS, AndroidEraser
from agent.erasure.certificate import INTERRUPTED_UNCHECKED
from agent.links.base import Provenance, ShellResult
from agent.simulator.usbmuxd import UsbmuxdSimulator
from tests.erasure.conftest import UDID, iphone, payload
from tests.erasure.test_erase_android import SIDE, commands, phone  # noqa: F401  (phone is a fixture)
from tests.erasure.test_erase_findings import certificates
from tests.simulator_adb.conftest import adb_server, make_fixture  # noqa: F401  (adb_server is a fixture)

ROOT = Path(__file__).resolve().parents[2]


def _erase_and_stop(args: list[str], when: str, sig: int, typed: str | None = None) -> tuple[int, str, str]:
    """Run ``phonebench erase`` as its own process (``typed`` on a stdin kept open, else none),
    send ``sig`` once stderr says ``when`` (a prompt ends without a newline: read by character);
    (exit code, stdout, stderr)."""
    proc = subprocess.Popen([sys.executable, "-m", "agent", "erase", *args], cwd=ROOT,
                            stdin=subprocess.DEVNULL if typed is None else subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    err = ""
    try:
        if typed is not None and proc.stdin is not None:
            proc.stdin.write(typed)
            proc.stdin.flush()  # and kept open: the technician has not answered yet
        assert proc.stderr is not None and proc.stdout is not None
        while when not in err:
            char = proc.stderr.read(1)
            if not char:
                break
            err += char
        time.sleep(0.3)  # into the watch (or the wait for an answer) that follows
        proc.send_signal(sig)
        proc.wait(timeout=60)  # stdin still open, as a terminal's is: the stop must not wait for a line
        out, rest = proc.stdout.read(), proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, out, err + rest


def _printed_and_kept(out: str) -> dict[str, Any]:
    """The certificate printed with ``--json``, which must be the one the side record kept."""
    [kept] = sorted(paths.side_records_dir(SIDE).glob("*.dsse.json"))
    envelope = json.loads(out)
    assert envelope == json.loads(kept.read_text())
    return payload(envelope)


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 128 + signal.SIGTERM)])
def test_an_iphone_erase_stopped_after_the_request_signs_an_interrupted_certificate(
        usbmuxd_no_return: UsbmuxdSimulator, sig: int, code: int) -> None:
    usbmuxd_no_return.plug(iphone(find_my=False))
    returncode, out, err = _erase_and_stop(["--udid", UDID, "--yes", "--simulated", "--wait", "120"], "erase sent", sig)
    assert returncode == code, err
    [cert] = certificates()
    assert cert["result"] == "not_verified" and "interrupted" in cert["verification"]["findings"][0]
    assert "after the erase request was sent" in cert["verification"]["findings"][0]
    assert out.startswith("result: not_verified (purge, verification not_verified)\n")  # as a finished erase says it
    assert "Traceback" not in err and main(["verify", str(paths.side_records_dir(SIDE))]) == 0


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_iphone_erase_stopped_before_its_checks_prints_its_certificate_with_json(
        usbmuxd_no_return: UsbmuxdSimulator, sig: int, code: int) -> None:
    usbmuxd_no_return.plug(iphone(find_my=False))
    returncode, out, err = _erase_and_stop(["--udid", UDID, "--yes", "--json", "--simulated", "--wait", "120"],
                                           "erase sent", sig)
    cert = _printed_and_kept(out)
    verification = cert["verification"]
    assert returncode == code and cert["result"] == "not_verified", err
    assert verification["method"] is None and verification["method_reason"] == INTERRUPTED_UNCHECKED


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_android_erase_stopped_in_recovery_prints_its_interrupted_certificate_with_json(
        phone: Any, sig: int, code: int) -> None:
    sim = phone(make_fixture("stopped", commands=commands()), recovery_wipe_s=None)
    returncode, out, err = _erase_and_stop(["--serial", sim.serial, "--yes", "--json", "--simulated", "--wait", "120"],
                                           "the phone is in recovery", sig)
    assert returncode == code, err
    cert = _printed_and_kept(out)
    verification = cert["verification"]
    assert cert["result"] == "not_verified" and verification["findings"] == [INTERRUPTED_SENT]
    assert verification["method"] is None and verification["method_reason"] == INTERRUPTED_UNCHECKED
    assert "Traceback" not in err and main(["verify", str(paths.side_records_dir(SIDE))]) == 0


def test_ctrl_c_while_the_technician_question_waits_ends_at_once_with_a_certificate(phone: Any) -> None:
    sim = phone(make_fixture("asked", commands=commands()), recovery_wipe_s=None)
    returncode, _, err = _erase_and_stop(["--serial", sim.serial, "--simulated", "--wait", "1"],
                                         "Did the phone show", signal.SIGINT, typed="0ABC\n")
    assert returncode == 130, err
    [cert] = certificates()
    findings = cert["verification"]["findings"]
    assert cert["result"] == "not_verified" and "interrupted" in findings[0]
    # why it asked: in recovery and not back within the 1 s, or (a loaded machine) not even there yet
    assert findings[1].startswith(("the phone reached recovery but was still there after 1 s",
                                   "the phone was not seen in recovery within 1 s"))
    assert cert["verification"]["method"] is None  # the question was asked, never answered


class _HalfCheckedPhone:
    """An adb link to a phone that reaches recovery, leaves it, comes back, and answers the
    first two checks but never the third (``du``): ``asked_du`` is set when it is asked."""

    device_id = describe = "FAKE0001"

    def __init__(self) -> None:
        self.states = iter(["device", "recovery", None, "device"])
        self.state_now: str | None = "device"
        self.asked_du = asyncio.Event()

    async def state(self) -> str | None:
        self.state_now = next(self.states, self.state_now)
        return self.state_now

    async def shell(self, command: str) -> ShellResult:
        answers = {"getprop": "[ro.serialno]: [FAKE0001]\n[ro.crypto.type]: [file]\n", SETUP: "0\n",
                   ACCOUNTS: "Accounts: 0\n"}
        if command == SHARED_STORAGE:
            self.asked_du.set()
            await asyncio.Event().wait()  # never answers
        return ShellResult(answers.get(command, ""), "", 0)

    async def provenance(self) -> Provenance:
        return Provenance("simulated", "adb:FAKE0001")

    async def reboot(self, target: str) -> None:
        pass


def test_a_stop_during_the_checks_names_only_the_checks_that_ran() -> None:
    async def stop_at_du() -> Any:
        link = _HalfCheckedPhone()
        eraser = AndroidEraser(link)  # type: ignore[arg-type]
        erasing = asyncio.create_task(eraser.erase(wait_s=60))
        await link.asked_du.wait()
        erasing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await erasing
        return eraser.interrupted_run()

    verification = asyncio.run(stop_at_du()).verification
    assert verification.method == VERIFY_LEAD + ", ".join([VERIFY_PARTS[SETUP], VERIFY_PARTS[ACCOUNTS]])
    assert verification.findings == (INTERRUPTED_SENT, f"ok: `{SETUP}`: 0", f"ok: `{ACCOUNTS}`: 0 account(s)")
    assert verification.result == "not_verified"
