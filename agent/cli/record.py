"""``phonebench record``: a real phone (or a simulated one) into a fixture file.

The installed checks run over a recording link, so the file answers every read they make;
identifiers are redacted unless ``--no-redact``. Nothing is written unless the recording
completed. Like adb, it takes the phone from ``ANDROID_SERIAL`` and the server from
``ANDROID_ADB_SERVER_PORT`` when no option names them; unlike the bench, it never starts an
adb server (a new one would not list the phone yet).
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
from pathlib import Path

from agent import __version__
from agent.cli.common import info, port_number
from agent.errors import ExitCode, LinkError, UsageError
from agent.links.base import DEFAULT_TIMEOUT_S, Link
from agent.text import printable


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("record", help="record a connected phone into a fixture file")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--serial", metavar="S", help="the Android phone's adb serial (default: $ANDROID_SERIAL)")
    which.add_argument("--udid", metavar="U", help="the iPhone's UDID")
    p.add_argument("-o", "--output", required=True, type=Path, metavar="FILE", help="the fixture file to write")
    p.add_argument("--no-redact", action="store_true", help="keep IMEIs, serials, UDID, MACs and names as they are")
    p.add_argument("--adb-port", type=port_number, default=None, metavar="N",
                   help="the adb server's port (default: $ANDROID_ADB_SERVER_PORT, else 5037)")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, metavar="S", help="seconds per read (default 10)")
    p.set_defaults(func=cmd_record)


def cmd_record(args: argparse.Namespace) -> int:
    from agent.links.adb_address import android_serial

    if not args.output.parent.is_dir():
        raise UsageError(f"{args.output.parent}: no such folder for the recording")
    if args.adb_port is not None and args.udid:
        raise UsageError("record: --adb-port applies to Android phones (--serial) only")
    serial = None if args.udid else (args.serial or android_serial())
    if serial is None and args.udid is None:
        raise UsageError("record: which phone? give --serial (or set ANDROID_SERIAL) or --udid")
    summary = asyncio.run(_record(serial, args.udid, args.adb_port, args.output, not args.no_redact, args.timeout))
    info(args, summary)
    return ExitCode.OK


async def _record(serial: str | None, udid: str | None, port: int | None, output: Path, redact: bool,
                  timeout: float) -> str:
    from agent.fixtures.record import fixture_document, write_fixture
    from agent.fixtures.redact import redact_fixture
    from agent.grading.catalog import load_catalog
    from agent.links.recording import recording_link
    from agent.plugins import load_checks
    from agent.session.record import record_phone, recording_station

    station = recording_station(load_checks(), load_catalog(), timeout)
    inner, features = await _connect(serial, udid, port, timeout)
    link = recording_link(inner, features)
    try:
        results = await record_phone(link, station)
    finally:
        await link.close()
    doc = fixture_document(link, results, _source(inner, redact))
    hidden = 0
    if redact:
        doc, redactor = redact_fixture(doc)
        hidden = len(redactor.replaced)
    write_fixture(output, doc)
    what = f"{len(link.recording.commands)} commands" if serial else f"{len(link.recording.lockdown)} lockdown domains"
    kept = f", {hidden} identifier{'' if hidden == 1 else 's'} replaced" if redact else ", identifiers kept"
    return f"recorded {printable(doc['name'])}: {what}{kept} -> {output}"


async def _connect(serial: str | None, udid: str | None, port: int | None, timeout: float) -> tuple[Link, tuple[str, ...]]:
    """The live link and the adbd features (Android); a one-line LinkError when there is no
    adb server (``port``, else the environment's) or it does not list the phone ready."""
    if udid is not None:
        from agent.links.ios import PmdIosLink

        link = PmdIosLink(udid)
        await link.connect(timeout)  # trust problems show before anything is recorded
        return link, ()
    from agent.links.adb import AdbAndroidLink, running_adb_server

    assert serial is not None
    server = await asyncio.to_thread(running_adb_server, port)
    features = await asyncio.wait_for(asyncio.to_thread(_features, server, serial, timeout), timeout)
    return AdbAndroidLink(serial, server.host, server.port), features


def _features(server: object, serial: str, timeout: float) -> tuple[str, ...]:
    """The adbd features of a phone in state ``device``; a LinkError naming the state otherwise."""
    from adbutils.errors import AdbError

    try:
        states = {d.serial: d.state for d in server.client(timeout).list()}  # type: ignore[attr-defined]
        if serial not in states:
            listed = ", ".join(sorted(printable(s) for s in states)) or "none"
            raise LinkError(f"{serial}: not connected (adb lists: {listed})")
        if states[serial] != "device":
            raise LinkError(f"{serial}: phone is in state '{states[serial]}', not ready to record")
        raw = server.client(timeout).device(serial).get_features()  # type: ignore[attr-defined]
    except (AdbError, OSError) as e:
        raise LinkError(f"{serial}: cannot ask the adb server: {e}") from e
    return tuple(f for f in raw.split(",") if f)


def _source(link: Link, redacted: bool) -> str:
    via = "pymobiledevice3 over usbmuxd" if link.platform == "ios" else "adb (adbutils)"
    when = datetime.now(UTC).strftime("%Y-%m-%d")
    ids = ("identifiers (IMEI, serial, UDID, MACs, phone numbers, ICCID/IMSI, device and account names) replaced "
           "by format-keeping placeholders" if redacted else "identifiers kept as the phone gave them (--no-redact)")
    return f"Recorded with phonebench {__version__} `record` on {when} through {via}; outputs byte for byte, {ids}."
