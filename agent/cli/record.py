"""``phonebench record``: a real phone (or a simulated one) into a fixture file.

The installed checks run over a recording link, so the file answers every read they make;
identifiers are redacted unless ``--no-redact``. Nothing is written unless the recording
completed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from agent import __version__
from agent.errors import LinkError, UsageError
from agent.links.base import DEFAULT_TIMEOUT_S, Link
from agent.text import printable


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("record", help="record a connected phone into a fixture file")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--serial", metavar="S", help="the Android phone's adb serial")
    which.add_argument("--udid", metavar="U", help="the iPhone's UDID")
    p.add_argument("-o", "--output", required=True, type=Path, metavar="FILE", help="the fixture file to write")
    p.add_argument("--no-redact", action="store_true", help="keep IMEIs, serials, UDID, MACs and names as they are")
    p.add_argument("--adb-port", type=int, default=None, metavar="N", help="the adb server's port (default 5037)")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, metavar="S", help="seconds per read (default 10)")
    p.set_defaults(func=cmd_record)


def cmd_record(args: argparse.Namespace) -> int:
    from agent.links.adb import DEFAULT_ADB_PORT

    if not args.output.parent.is_dir():
        raise UsageError(f"{args.output.parent}: no such folder for the recording")
    if args.adb_port is not None and args.udid:
        raise UsageError("--adb-port applies to Android phones (--serial) only")
    port = args.adb_port or DEFAULT_ADB_PORT
    summary = asyncio.run(_record(args.serial, args.udid, port, args.output, not args.no_redact, args.timeout))
    print(summary, file=sys.stderr)
    return 0


async def _record(serial: str | None, udid: str | None, port: int, output: Path, redact: bool, timeout: float) -> str:
    from agent.fixtures.record import fixture_document, write_fixture
    from agent.fixtures.redact import redact_fixture
    from agent.grading.catalog import load_catalog
    from agent.links.recording import recording_link
    from agent.plugins import load_checks
    from agent.session.record import record_phone, recording_station

    station = recording_station(load_checks(), load_catalog(), timeout)
    inner, features, server = await _connect(serial, udid, port, timeout)
    link = recording_link(inner, features)
    try:
        results = await record_phone(link, station)
    finally:
        await link.close()
        if server is not None:
            await asyncio.to_thread(server.stop)
    doc = fixture_document(link, results, _source(inner, redact))
    hidden = 0
    if redact:
        doc, redactor = redact_fixture(doc)
        hidden = len(redactor.replaced)
    write_fixture(output, doc)
    what = f"{len(link.recording.commands)} commands" if serial else f"{len(link.recording.lockdown)} lockdown domains"
    kept = f", {hidden} identifier{'' if hidden == 1 else 's'} replaced" if redact else ", identifiers kept"
    return f"recorded {printable(doc['name'])}: {what}{kept} -> {output}"


async def _connect(serial: str | None, udid: str | None, port: int, timeout: float) -> tuple[Link, tuple[str, ...], object]:
    """The live link, the adbd features (Android) and an adb server we started, if any."""
    if udid is not None:
        from agent.links.ios import PmdIosLink

        link = PmdIosLink(udid)
        await link.connect(timeout)  # trust problems show before anything is recorded
        return link, (), None
    from agent.links.adb import AdbAndroidLink, ensure_adb_server

    assert serial is not None
    server = await asyncio.to_thread(ensure_adb_server, port)
    try:
        features = await asyncio.wait_for(asyncio.to_thread(_features, server, serial, timeout), timeout)
    except BaseException:
        await asyncio.to_thread(server.stop)
        raise
    return AdbAndroidLink(serial, port=port), features, (server if server.started_here else None)


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
