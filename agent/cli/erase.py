"""``phonebench erase``: wipe a phone over USB, verify it came back fresh, and sign the record.

    phonebench erase --udid U [--yes] [--json] [--force] [--preserve-data-plan]
                              [--disallow-proximity-setup] [--wait S] [--operator NAME] [--simulated] [--upload]
    phonebench erase --serial S [--yes] [--json] [--force] [--wait S] [--operator NAME] [--simulated] [--upload]

An iPhone is erased over lockdown (agent/erasure/ios.py); an Android phone is rebooted into
recovery, the technician wipes it there, and the agent watches and verifies
(agent/erasure/android.py). phonebench's simulators say so themselves (the fake adbd's
banner feature, the fake usbmuxd's BUID), so their certificates never enter the station's record.

Without ``--yes`` it names the phone and asks for the last four digits of its IMEI or serial
before erasing anything. The certificate's operator is ``--operator``, else the station
config's ``operator``, else the name asked at the shift's first erase on a terminal and kept
for ``shift_hours`` (agent/erasure/shift.py); unattended (``--yes``) with none of them, it is
null and ``operator_reason`` says why. The steps are agent/erasure/job.py's, the same the TUI shows. The certificate (agent/erasure/certificate.py) goes through the same
Ledger as reports: the station's own record for a real phone, a side record
(``erasures-simulated``) for simulated phones (``--simulated``, or found behind phonebench's
simulated usbmuxd). Exit 0 only for an erase that was
verified; a certificate that says ``not_verified`` or ``failed`` is still saved, and the exit
is 5 (SESSION). Refusals (Find My on, no confirmation) are exit 10 with nothing erased.
Stopped (Ctrl-C, SIGTERM, SIGHUP) after the erase request went out, it still signs and
queues a ``not_verified`` certificate saying the erase was interrupted, prints it as it prints a
finished one (the envelope with ``--json``), then exits 130 (Ctrl-C) or 128 + the signal's number. ``--operator`` follows the config's rule for ``operator``: a name
with control characters or over 64 characters is refused (exit 2). ``--upload`` sends a
simulated phone's certificate from its side record to the backend (the station's record is
drained by its uploader; ``phonebench outbox drain --record erasures-simulated`` does it later).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import threading
from typing import Any

from agent.cli.common import info
from agent.errors import ExitCode, UsageError
from agent.text import printable

SIMULATED_RECORD = "erasures-simulated"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("erase", help="erase a phone, verify it, and sign an NIST SP 800-88 erasure certificate")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--udid", metavar="UDID", help="the iPhone or iPad to erase (as usbmuxd lists it)")
    which.add_argument("--serial", metavar="SERIAL", help="the Android phone to erase (as adb lists it)")
    p.add_argument("--yes", action="store_true", help="do not ask for the last four IMEI or serial digits first")
    p.add_argument("--json", action="store_true", help="print the signed certificate's envelope on stdout")
    p.add_argument("--force", action="store_true", help="erase even when Find My is on or cannot be read")
    p.add_argument("--preserve-data-plan", action="store_true", help="keep the eSIM data plan (iPhone)")
    p.add_argument("--disallow-proximity-setup", action="store_true",
                   help="do not offer Quick Start to a nearby device after the erase (iPhone)")
    p.add_argument("--wait", type=_seconds, default=None, metavar="S",
                   help="how long the phone may take to come back before the erase counts as not verified")
    p.add_argument("--operator", metavar="NAME",
                   help="who is erasing (default: the station config's operator, else the name given at this shift's "
                        "first erase, asked on a terminal; none with --yes)")
    p.add_argument("--simulated", action="store_true",
                   help="the phone is a protocol simulator's: its certificate goes to a side record, never the station's")
    p.add_argument("--upload", action="store_true",
                   help="send a simulated phone's certificate to the backend too (side records are uploaded only "
                        "when asked)")
    p.set_defaults(func=cmd_erase)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < 86400:
        raise argparse.ArgumentTypeError(f"not a number of seconds between 0 and 86400: {text!r}")
    return value


def cmd_erase(args: argparse.Namespace) -> int:
    from agent import paths
    from agent.config import load_config
    from agent.delivery.ledger import Ledger, side_ledger, station_ledger
    from agent.delivery.outbox import Outbox
    from agent.erasure.job import EraseOptions, EraseTarget, erase_phone
    from agent.erasure.shift import ShiftStore
    from agent.report.signing import StationKey

    config = load_config()
    key = StationKey.load_or_create(paths.key_path())

    def open_ledger(simulated: bool) -> Ledger:
        """Opened before anything is erased: a record that cannot be written stops the erase."""
        return (side_ledger(key, paths.side_records_dir(SIMULATED_RECORD)) if simulated
                else station_ledger(key, Outbox()))

    target = EraseTarget("ios" if args.udid is not None else "android", args.udid or args.serial, args.simulated)
    if target.platform == "android" and (args.preserve_data_plan or args.disallow_proximity_setup):
        raise UsageError("erase --serial: --preserve-data-plan and --disallow-proximity-setup are iPhone options")
    if args.operator is not None:
        args.operator = _checked_name(args.operator, "--operator")
    options = EraseOptions(args.force, args.preserve_data_plan, args.disallow_proximity_setup, args.wait)
    front = TerminalFront(args, config.operator, ShiftStore(config.shift_hours))
    folders = [paths.reports_dir(), paths.side_records_dir("demo"), paths.side_records_dir("replays")]
    stored = _run_stoppable(erase_phone(target, options, front, open_ledger,
                                        config.station_id or key.default_station_id(), folders))
    _show(args, stored.report, stored.envelope, str(stored.path))
    if args.upload:
        _upload(args, stored)
    return ExitCode.OK if stored.report["result"] == "erased" else ExitCode.SESSION


def _checked_name(text: str, where: str) -> str:
    from agent.erasure.shift import check_name

    try:
        return check_name(text, where)
    except ValueError as e:
        raise UsageError(str(e)) from None


def _run_stoppable(job: Any) -> Any:
    """Run ``job`` on an event loop; SIGTERM and SIGHUP cancel it as Ctrl-C does (the job
    signs what it must first), then end the process with 128 + the signal's number."""
    caught: list[int] = []

    async def main() -> Any:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None

        def stop(signum: int) -> None:
            if not caught:
                caught.append(signum)
                task.cancel()

        installed = []
        for sig in (signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(sig) is not signal.SIG_IGN:  # nohup: the user asked to outlive the terminal
                loop.add_signal_handler(sig, stop, sig)
                installed.append(sig)
        try:
            return await job
        finally:
            for sig in installed:
                loop.remove_signal_handler(sig)

    try:
        return asyncio.run(main())
    except asyncio.CancelledError:
        if caught:
            raise SystemExit(128 + caught[0]) from None
        raise


def _upload(args: argparse.Namespace, stored: Any) -> None:
    """Drain the side record the certificate went to (the station's own record has its uploader)."""
    from agent import paths
    from agent.cli.outbox import chosen_outbox
    from agent.config import load_config
    from agent.delivery.uploader import Uploader

    if stored.path.parent != paths.side_records_dir(SIMULATED_RECORD):
        info(args, "upload: the certificate is in the station's record; its uploader sends it "
                   "(phonebench outbox drain sends it now)")
        return
    uploader = Uploader(chosen_outbox(argparse.Namespace(record=SIMULATED_RECORD)), load_config())
    try:
        result = uploader.drain()
    finally:
        uploader.close()
    line = result.message or f"delivered {result.delivered}, rejected {result.rejected}, still pending {result.pending}"
    info(args, f"upload: {line}")


RECOVERY_STEPS = """the phone is rebooting into recovery. On the phone:
  1. volume keys to "Wipe data/factory reset", power to select, then confirm ("Factory data reset")
  2. "Reboot system now"
  3. once it starts: turn USB debugging back on and allow this station, if you can
waiting for the phone to reach recovery, leave it and come back"""


class TerminalFront:
    """The erase at a terminal: steps on stderr, questions read from stdin (never with ``--yes``)."""

    def __init__(self, args: argparse.Namespace, config_operator: str | None, store: Any) -> None:
        self.args, self.config_operator, self.store = args, config_operator, store

    def step(self, key: str, text: str) -> None:
        info(self.args, RECOVERY_STEPS if key == "rebooting" else text)

    async def confirm(self, device: Any) -> None:
        from agent.erasure.job import confirm_digits
        from agent.errors import ErasureRefused

        if not self.args.yes:
            prompt = (f"Erase {_name(device)} serial {printable(device.serial or '?')}? "
                      "Type the last four IMEI or serial digits: ")
            answer = await _ask_async(prompt)
            if answer is None:
                raise ErasureRefused("no digits given (end of input); nothing was erased")
            confirm_digits(device, answer)

    def started(self, device: Any) -> None:
        info(self.args, f"erasing {_name(device)} serial {printable(device.serial)}")

    def interrupted(self, stored: Any) -> None:
        """The certificate of an erase stopped by Ctrl-C or a signal, printed as a finished one's."""
        _print_certificate(self.args, stored.report, stored.envelope)

    async def ask(self, question: str) -> str | None:
        from agent.errors import NoAnswer

        if self.args.yes:
            return None
        answer = await _ask_async(question)
        if answer is None:
            raise NoAnswer("no answer (end of input)")
        return answer

    async def operator(self) -> Any:
        """``--operator``, the config, this shift's name; else asked on a terminal (and kept for
        the shift), or none with the reason on the certificate."""
        from agent.erasure.shift import (
            NOBODY_ASKED_YES,
            NOT_ASKED_NO_TERMINAL,
            NOT_GIVEN,
            NOT_GIVEN_EOF,
            Signer,
            check_name,
            resolve_operator,
        )

        signer = resolve_operator(self.args.operator, self.config_operator, self.store)
        if signer is not None:
            return signer
        if self.args.yes:
            return Signer(None, "none", NOBODY_ASKED_YES)
        if not sys.stdin.isatty():
            return Signer(None, "none", NOT_ASKED_NO_TERMINAL)
        for _ in range(3):
            typed = await _ask_async("Your name, for the erasure certificates of this shift: ")
            if typed is None:
                return Signer(None, "none", NOT_GIVEN_EOF)
            if not typed.strip():
                return Signer(None, "none", NOT_GIVEN)
            try:
                name = check_name(typed, "name")
            except ValueError as e:
                info(self.args, f"{e}; type it again")
                continue
            self.store.remember(name)
            return Signer(name, "asked")
        return Signer(None, "none", NOT_GIVEN)


def _name(device: Any) -> str:
    """The phone as a person knows it: the catalog's marketing name and the model code, when known."""
    from agent.grading.catalog import load_catalog

    code = device.model
    try:
        model = load_catalog().lookup(device.platform, code)
    except Exception:  # the catalog only makes the prompt friendlier; never stop an erase for it
        model = None
    if model is not None and model.marketing_name and model.marketing_name != code:
        return f"{printable(model.marketing_name)} ({printable(code)})"
    return printable(code or "this phone")


async def _ask_async(prompt: str) -> str | None:
    """``_ask`` on a daemon thread: a Ctrl-C while it waits for a line ends the run at once
    (asyncio.run would otherwise wait for the default executor's thread, blocked on stdin)."""
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[str | None] = loop.create_future()

    def settle(outcome: Any, failed: bool) -> None:
        if not answer.done():
            (answer.set_exception if failed else answer.set_result)(outcome)

    def read() -> None:
        outcome: Any
        try:
            outcome, failed = _ask(prompt), False
        except Exception as e:  # handed to the awaiting task as it is
            outcome, failed = e, True
        try:
            loop.call_soon_threadsafe(settle, outcome, failed)
        except RuntimeError:
            pass  # the loop is gone: nobody waits for this line any more

    threading.Thread(target=read, name="erase-stdin", daemon=True).start()
    return await answer


def _ask(prompt: str) -> str | None:
    """One line from stdin; None at the end of input (nothing typed at all)."""
    print(prompt, end="", file=sys.stderr, flush=True)
    line = sys.stdin.readline()
    return line if line else None


def _show(args: argparse.Namespace, certificate: dict, envelope: dict, path: str) -> None:
    _print_certificate(args, certificate, envelope)
    info(args, f"certificate written: {path}")


def _print_certificate(args: argparse.Namespace, certificate: dict, envelope: dict) -> None:
    """On stdout: the signed envelope (``--json``), else the result and the findings."""
    if args.json:
        print(json.dumps(envelope, indent=2))
    else:
        verification = certificate["verification"]
        print(f"result: {certificate['result']} ({certificate['sanitization']['method']}, "
              f"verification {verification['result']})")
        for finding in verification["findings"]:
            print(f"  {printable(finding)}")
    sys.stdout.flush()  # before a stop's exit, and before the stderr line that follows
