"""``phonebench erase``: wipe a phone over USB, verify it came back fresh, and sign the record.

    phonebench erase --udid U [--yes] [--json] [--force] [--preserve-data-plan]
                              [--disallow-proximity-setup] [--wait S] [--operator NAME] [--simulated]
    phonebench erase --serial S [--yes] [--json] [--force] [--wait S] [--operator NAME] [--simulated]

An iPhone is erased over lockdown (agent/erasure/ios.py); an Android phone is rebooted into
recovery, the technician wipes it there, and the agent watches and verifies
(agent/erasure/android.py). phonebench's simulators say so themselves (the fake adbd's
banner feature, the fake usbmuxd's BUID), so their certificates never enter the station's record.

Without ``--yes`` it names the phone and asks for the last four digits of its IMEI or serial
before erasing anything. The certificate (agent/erasure/certificate.py) goes through the same
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
from agent.errors import ErasureRefused, ExitCode, UsageError
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
    p.add_argument("--operator", metavar="NAME", help="who is erasing (default: the station config's operator)")
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
    from agent.report.signing import StationKey

    config = load_config()
    key = StationKey.load_or_create(paths.key_path())

    def open_ledger(simulated: bool) -> Ledger:
        """Opened before anything is erased: a record that cannot be written stops the erase."""
        return (side_ledger(key, paths.side_records_dir(SIMULATED_RECORD)) if simulated
                else station_ledger(key, Outbox()))

    erase = _erase_iphone if args.udid is not None else _erase_android
    run, ledger = asyncio.run(erase(args, open_ledger))
    stored = _save(run, ledger, args.operator or config.operator, config.station_id or key.default_station_id(),
                   run.provenance.kind == "simulated")
    _show(args, stored.report, stored.envelope, str(stored.path))
    return ExitCode.OK if stored.report["result"] == "erased" else ExitCode.SESSION


async def _erase_iphone(args: argparse.Namespace, open_ledger: Any) -> tuple[Any, Any]:
    from agent.erasure.ios import RETURN_TIMEOUT_S, IosEraseOptions, IphoneEraser

    options = IosEraseOptions(args.preserve_data_plan, args.disallow_proximity_setup,
                              RETURN_TIMEOUT_S if args.wait is None else args.wait)
    eraser = IphoneEraser(args.udid, simulated=args.simulated)
    try:
        device = await eraser.identify()
        if not args.yes:
            confirm(device.model, device.serial, device.imei, _ask)
        await eraser.preflight(args.force)
        ledger = open_ledger(eraser.simulated)
        info(args, f"erasing {printable(device.model)} serial {printable(device.serial)}; waiting for it to come back")
        return await eraser.erase(options), ledger
    finally:
        await eraser.close()


async def _erase_android(args: argparse.Namespace, open_ledger: Any) -> tuple[Any, Any]:
    from agent.erasure.android import RETURN_TIMEOUT_S, AndroidEraser
    from agent.links.adb import AdbAndroidLink, running_adb_server

    if args.preserve_data_plan or args.disallow_proximity_setup:
        raise UsageError("erase --serial: --preserve-data-plan and --disallow-proximity-setup are iPhone options")
    server = running_adb_server()
    eraser = AndroidEraser(AdbAndroidLink(args.serial, server.host, server.port, simulated=args.simulated))
    device = await eraser.identify()
    if not args.yes:
        confirm(device.model, device.serial, device.imei, _ask)
    await eraser.preflight(args.force)
    simulated = args.simulated or (await eraser.link.provenance()).kind == "simulated"
    ledger = open_ledger(simulated)
    info(args, RECOVERY_STEPS)
    run = await eraser.erase(RETURN_TIMEOUT_S if args.wait is None else args.wait, None if args.yes else _ask)
    return run, ledger


RECOVERY_STEPS = """the phone is rebooting into recovery. On the phone:
  1. volume keys to "Wipe data/factory reset", power to select, then confirm ("Factory data reset")
  2. "Reboot system now"
  3. once it starts: turn USB debugging back on and allow this station, if you can
waiting for the phone to reach recovery, leave it and come back"""


def confirm(model: str | None, serial: str | None, imei: str | None, ask: Any) -> None:
    """ErasureRefused unless the technician types the last four digits of the IMEI or the
    serial of the phone named: the guard against erasing the phone in the next port."""
    wanted = {v[-4:].upper() for v in (serial, imei) if v and len(v) >= 4}
    if not wanted:
        raise ErasureRefused("the phone gives no serial or IMEI to confirm with; erase --yes skips the question")
    answer = ask(f"Erase {printable(model or 'this phone')} serial {printable(serial or '?')}? "
                 "Type the last four IMEI or serial digits: ")
    if (answer or "").strip().upper() not in wanted:
        raise ErasureRefused("the digits typed are not this phone's last four IMEI or serial digits; nothing was erased")


def _ask(prompt: str) -> str:
    print(prompt, end="", file=sys.stderr, flush=True)
    return sys.stdin.readline()


def _save(run: Any, ledger: Any, operator: str | None, station_id: str, simulated: bool) -> Any:
    from agent import paths
    from agent.erasure.certificate import build_certificate, latest_diagnostics_report
    from agent.report.signing import ERASURE_PAYLOAD_TYPE

    folders = [paths.reports_dir()] + ([paths.side_records_dir("demo"), paths.side_records_dir("replays")]
                                       if simulated else [])
    certificate = build_certificate(run, station_id=station_id, key_id=ledger.key_id, operator=operator,
                                    diagnostics_report_id=latest_diagnostics_report(folders, run.device.serial))
    return ledger.save(certificate, ERASURE_PAYLOAD_TYPE)


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
