"""``phonebench demo``: the bench agent on a simulated bench, through the real adb server and
pymobiledevice3, the same path as a station with real phones. Headless, it runs every phone
to its report and prints a line each."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from agent.cli.bench_progress import BenchProgress
from agent.cli.common import fixture_files, is_quiet
from agent.errors import ExitCode, UsageError
from agent.fixtures.format import Fixture
from agent.report.summary import render_row
from agent.session.engine import Station
from agent.session.events import PhoneGone, PhoneSeen, ReportSaved, SessionFailed, SlotEvent
from agent.session.hub import Hub
from agent.text import printable

#: the simulated phones are all listed within a second of the start: phones a crash left
#: unfinished that are not among them are closed as incomplete reports this long after it
DEMO_SETTLE_S = 3.0
#: the demo's own remembered slots, in its side record's folder
SLOTS_FILE = "slots.json"


def add_parser(sub: argparse._SubParsersAction) -> None:
    d = sub.add_parser("demo", help="the bench agent on simulated phones (the bundled recordings)")
    d.add_argument("--headless", action="store_true", help="no TUI: run every phone to its report and exit")
    d.add_argument("--out", type=Path, metavar="DIR", help="also write a copy of each signed report here")
    d.add_argument("--upload", action="store_true",
                   help="send the (simulated) reports to the backend at the end (headless; a backend may refuse them)")
    d.add_argument("--profile", default=None, metavar="NAME|FILE", help="grading profile (default: the station config's, else default)")
    d.add_argument("--fixtures", type=Path, metavar="DIR", help="simulate these recordings instead of the bundled ones")
    d.add_argument("--latency-ms", type=int, default=0, metavar="N")
    d.add_argument("--phones", type=int, default=None, metavar="N",
                   help="a bench of N phones: the recordings, then copies of them with their own serials and UDIDs")
    d.add_argument("--timeout", type=float, default=180.0, metavar="S",
                   help="headless: give up on phones still checking after S seconds (default: 180); "
                        "phones waiting for a person (Trust, USB debugging) end the run at once")
    d.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    if args.upload and not args.headless:
        raise UsageError("--upload goes with --headless")
    fixtures = demo_fixtures(args.fixtures, include_waiting=not args.headless)
    if args.phones is not None:
        from agent.simulator.copies import copies

        fixtures = copies(fixtures, args.phones)
    return run_demo(fixtures, headless=args.headless, out=args.out, profile=args.profile,
                    latency_ms=args.latency_ms, timeout_s=args.timeout, quiet=is_quiet(args), upload=args.upload)


def demo_fixtures(folder: Path | None, include_waiting: bool) -> list[Fixture]:
    """The bundled ready phones; for the TUI also a Pixel 7 and an iPhone 13 that wait for
    "Allow USB debugging" and "Trust", which the demo's simulated technician taps."""
    from agent.fixtures.format import load_fixture
    from agent.resources import data_dir

    if folder is not None:
        return [load_fixture(f) for f in fixture_files(folder)]
    root = data_dir("fixtures")
    fixtures = [load_fixture(f) for f in sorted([*root.glob("android/*.yaml"), *root.glob("ios/*.yaml")])]
    if include_waiting:
        fixtures += [_waiting(load_fixture(root / "android" / "pixel-7.yaml")), _waiting(load_fixture(root / "ios" / "iphone-13.yaml"))]
    return fixtures


def _waiting(fixture: Fixture) -> Fixture:
    """The same phone before the technician allowed debugging or tapped Trust."""
    if fixture.android is not None:
        android = dataclasses.replace(fixture.android, state="unauthorized", serial=fixture.android.serial + "W")
        return dataclasses.replace(fixture, name=f"{fixture.name} (not yet allowed)", android=android)
    assert fixture.ios is not None
    udid = fixture.ios.udid[:-2] + "FF"
    lockdown = {domain: dict(values) for domain, values in fixture.ios.lockdown.items()}
    lockdown[""]["UniqueDeviceID"] = udid
    ios = dataclasses.replace(fixture.ios, udid=udid, pairing="trust_pending", lockdown=lockdown)
    return dataclasses.replace(fixture, name=f"{fixture.name} (not yet trusted)", ios=ios)


def run_demo(
    fixtures: Sequence[Fixture],
    *,
    headless: bool,
    out: Path | None = None,
    profile: str | None = None,
    latency_ms: int = 0,
    timeout_s: float = 180.0,
    quiet: bool = False,
    upload: bool = False,
) -> int:
    from agent import paths
    from agent.session.station import open_station
    from agent.shutdown import stop_on_signals
    from agent.simulator.bench import SimulatedHub

    with stop_on_signals(), SimulatedHub(fixtures, latency_ms=latency_ms) as sim:
        # the demo's simulated ports keep their slots in the demo's own record folder, never
        # in the station's slots.json: the same card for the same port, run after run
        live = Hub(adb_port=sim.adb_port, adb_host=sim.adb_host, usbmux_address=sim.usbmux_address, usb=False,
                   rejoin_s=2.0, start_adb=False, simulated=True, settle_s=DEMO_SETTLE_S, sim_ports=sim.ports,
                   sim_serials=sim.serials,
                   slot_store=paths.side_records_dir("demo") / SLOTS_FILE)
        if not headless:
            from agent.cli.tui import run_tui

            sim.answer_dialogs_after(5.0)  # a simulated technician taps Allow / Trust
            return run_tui(live.supervisor, profile, side="demo", out_dir=out)
        from agent.delivery.ledger import SideRecord

        bench = open_station(profile, record=SideRecord(paths.side_records_dir("demo"), copy_to=out))
        code = asyncio.run(_headless(live, bench, sim.names, timeout_s, quiet))
    if upload:
        from agent.cli.run import upload_side_record

        upload_side_record(bench, quiet=quiet)
    return code


async def _headless(live: Hub, bench: Station, names: dict[str, str], timeout_s: float, quiet: bool) -> int:
    """Every phone to its report; ends as soon as nothing can progress without a person (each
    phone has its report or waits for Trust, USB debugging...), saying who waits for what."""
    supervisor = live.supervisor(bench)
    progress = BenchProgress(names)
    failures = 0
    said_recall = False
    started = time.monotonic()
    events = supervisor.events()
    try:
        async with asyncio.timeout(timeout_s):
            async for event in events:
                if isinstance(event, PhoneSeen):
                    line = progress.seen(event)
                    if line and not quiet:
                        print(line, file=sys.stderr)
                elif isinstance(event, SlotEvent) and isinstance(event.event, (ReportSaved, SessionFailed)):
                    name = progress.name(event.slot)
                    if isinstance(event.event, ReportSaved):
                        print(render_row(name, event.event.report, event.event.path), flush=True)
                    else:
                        print(f"{name:<28} session error: {printable(event.event.error)}", flush=True)
                        failures += 1
                    progress.done(event.slot)
                elif isinstance(event, PhoneGone):
                    progress.gone(event.slot)
                if not said_recall and progress.recalled and not progress.unfinished:
                    said_recall = quiet or _say_recall(progress)  # as soon as each is resumed or closed
                if progress.settled:
                    break
    except TimeoutError:
        for device_id in sorted(set(names) - progress.finished - set(progress.stuck)):
            print(f"{printable(names.get(device_id, device_id)):<28} no report after {timeout_s:g} s", flush=True)
        failures += 1
    finally:
        await events.aclose()
    for line in progress.summary():
        print(line, flush=True)
    if not said_recall and not quiet:
        _say_recall(progress)
    if not quiet:
        waits = f", {len(progress.stuck)} waiting for a person" if progress.stuck else ""
        print(f"{len(names)} phones{waits} in {time.monotonic() - started:.1f} s", file=sys.stderr)
    return ExitCode.SESSION if failures or progress.stuck else ExitCode.OK


def _say_recall(progress: BenchProgress) -> bool:
    """On stderr: what became of the phones a quit or crash left unfinished, if any."""
    line = progress.recall_line()
    if line is not None:
        print(line, file=sys.stderr, flush=True)
    return True
