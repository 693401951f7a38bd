"""``phonebench erase``: wipe a phone over USB, verify it came back fresh, and sign the record.

    phonebench erase --udid U [--yes] [--json] [--force] [--preserve-data-plan]
                              [--disallow-proximity-setup] [--wait S] [--operator NAME] [--simulated]
    phonebench erase --serial S [--yes] [--json] [--force] [--wait S] [--operator NAME] [--simulated]

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
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
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
    options = EraseOptions(args.force, args.preserve_data_plan, args.disallow_proximity_setup, args.wait)
    front = TerminalFront(args, config.operator, ShiftStore(config.shift_hours))
    folders = [paths.reports_dir(), paths.side_records_dir("demo"), paths.side_records_dir("replays")]
    stored = asyncio.run(erase_phone(target, options, front, open_ledger,
                                     config.station_id or key.default_station_id(), folders))
    _show(args, stored.report, stored.envelope, str(stored.path))
    return ExitCode.OK if stored.report["result"] == "erased" else ExitCode.SESSION


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

        if not self.args.yes:
            prompt = (f"Erase {printable(device.model or 'this phone')} serial {printable(device.serial or '?')}? "
                      "Type the last four IMEI or serial digits: ")
            confirm_digits(device, await asyncio.to_thread(_ask, prompt))
        info(self.args, f"erasing {printable(device.model)} serial {printable(device.serial)}")

    async def ask(self, question: str) -> str | None:
        return None if self.args.yes else await asyncio.to_thread(_ask, question)

    async def operator(self) -> Any:
        """``--operator``, the config, this shift's name; else asked on a terminal (and kept for
        the shift), or none with the reason on the certificate."""
        from agent.erasure.shift import NOBODY_ASKED, NOT_GIVEN, Signer, clean_name, resolve_operator

        signer = resolve_operator(self.args.operator, self.config_operator, self.store)
        if signer is not None:
            return signer
        if self.args.yes or not sys.stdin.isatty():
            return Signer(None, "none", NOBODY_ASKED)
        name = clean_name(await asyncio.to_thread(_ask, "Your name, for the erasure certificates of this shift: "))
        if name is None:
            return Signer(None, "none", NOT_GIVEN)
        self.store.remember(name)
        return Signer(name, "asked")


def _ask(prompt: str) -> str:
    print(prompt, end="", file=sys.stderr, flush=True)
    return sys.stdin.readline()


def _show(args: argparse.Namespace, certificate: dict, envelope: dict, path: str) -> None:
    if args.json:
        print(json.dumps(envelope, indent=2))
    else:
        verification = certificate["verification"]
        print(f"result: {certificate['result']} ({certificate['sanitization']['method']}, "
              f"verification {verification['result']})")
        for finding in verification["findings"]:
            print(f"  {printable(finding)}")
    info(args, f"certificate written: {path}")
