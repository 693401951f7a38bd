"""``phonebench run``: sessions over recorded phones (one fixture, or a folder of them)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.cli.common import fixture_files, info, is_quiet
from agent.errors import ExitCode, FixtureError, LinkError, PhonebenchError
from agent.session.engine import Station, run_session
from agent.session.events import CheckFinished, DeviceIdentified, Event, QuestionAsked, ReportSaved, SessionFailed
from agent.text import printable

#: how many recorded phones of a folder run at once
PARALLEL = 8


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run a session over a recorded phone (or every one in a folder)")
    p.add_argument("--fixture", required=True, type=Path, metavar="PATH", help="a fixture file or a folder of them")
    p.add_argument("--profile", default=None, metavar="NAME|FILE", help="grading profile (default: the station config's, else default)")
    p.add_argument("--answers", type=Path, metavar="FILE", help="the technician's answers (YAML)")
    p.add_argument("--out", type=Path, metavar="DIR", help="also write a copy of each signed report here")
    p.add_argument("--upload", action="store_true",
                   help="send the reports to the backend too (replays are kept apart from the station's record "
                        "and are uploaded only when asked)")
    p.add_argument("--json", action="store_true", help="print the signed envelope(s) on stdout")
    p.set_defaults(func=cmd_run)


@dataclass
class FixtureRun:
    name: str
    report: dict[str, Any] | None = None
    envelope: dict[str, Any] | None = None
    path: Path | None = None
    error: PhonebenchError | None = None


def cmd_run(args: argparse.Namespace) -> int:
    from agent import paths
    from agent.delivery.ledger import SideRecord
    from agent.session.operator import load_answers
    from agent.session.station import open_station

    files = fixture_files(args.fixture)
    operator = load_answers(args.answers) if args.answers else None
    record = SideRecord(paths.side_records_dir("replays"), copy_to=args.out)
    bench = open_station(args.profile, record=record, operator=operator)
    progress = None if is_quiet(args) else _progress
    runs = asyncio.run(_run_all(files, bench, progress))
    code = _print_rows(runs, args.json) if args.fixture.is_dir() else _print_one(runs[0], args)
    if args.upload:
        upload_side_record(bench, quiet=is_quiet(args))
    return code


def upload_side_record(station: Station, *, quiet: bool) -> None:
    """Drain a side record's outbox to the configured backend once (``--upload``); what is
    not delivered stays queued there for the next ``--upload``."""
    from agent.config import load_config
    from agent.delivery.ledger import Ledger
    from agent.delivery.uploader import Uploader

    assert isinstance(station.sink, Ledger)
    uploader = Uploader(station.sink.outbox, load_config())
    try:
        result = uploader.drain()
    finally:
        uploader.close()
    line = result.message or f"delivered {result.delivered}, rejected {result.rejected}, still pending {result.pending}"
    if not quiet:
        print(f"upload: {line}", file=sys.stderr, flush=True)


async def _run_all(files: list[Path], bench: Station, progress: Any) -> list[FixtureRun]:
    gate = asyncio.Semaphore(PARALLEL)

    async def one(path: Path) -> FixtureRun:
        async with gate:
            return await run_fixture(path, bench, progress)

    return list(await asyncio.gather(*(one(p) for p in files)))


async def run_fixture(path: Path, bench: Station, progress: Any = None) -> FixtureRun:
    """One session over one fixture; problems become the run's error, not an exception."""
    from agent.fixtures.format import load_fixture
    from agent.links.replay import replay_link

    run = FixtureRun(path.name)
    try:
        link = replay_link(load_fixture(path))
    except PhonebenchError as e:
        run.error = e
        return run
    try:
        async for event in run_session(link, bench):
            if progress:
                progress(path.name, event)
            if isinstance(event, ReportSaved):
                run.report, run.envelope, run.path = event.report, event.envelope, event.path
            elif isinstance(event, SessionFailed):
                run.error = _failure(event)
    finally:
        await link.close()
    return run


def _progress(name: str, event: Event) -> None:
    if isinstance(event, DeviceIdentified):
        line = f"identified {printable(event.phone.model or event.device.get('model'))}"
    elif isinstance(event, CheckFinished):
        line = f"{event.check}: {event.result.outcome}"
        if event.result.detail:
            line += f" ({printable(event.result.detail)})"
    elif isinstance(event, QuestionAsked):
        line = f"question for {printable(event.phone.label())}: {event.question.prompt}"
    elif isinstance(event, SessionFailed):
        line = f"session failed: {printable(event.error)}"
    else:
        return
    print(f"{name}: {line}", file=sys.stderr)


def _failure(event: SessionFailed) -> PhonebenchError:
    """The session's failure as an error with its own exit code (8 for a record that could
    not be kept, 5 for the phone or its link)."""
    error = LinkError(event.error)
    error.exit_code = ExitCode(event.exit_code)
    return error


def _exit_code(runs: list[FixtureRun]) -> ExitCode:
    errors = [o.error for o in runs if o.error is not None]
    return errors[0].exit_code if errors else ExitCode.OK


def _print_one(run: FixtureRun, args: argparse.Namespace) -> int:
    from agent.report.summary import render_summary

    if run.error is not None:
        raise run.error
    assert run.report is not None
    if args.json:
        print(json.dumps(run.envelope, indent=2))
    else:
        print(render_summary(run.report, run.path))
    info(args, f"report written: {run.path}")
    return ExitCode.OK


def _print_rows(runs: list[FixtureRun], as_json: bool) -> int:
    from agent.report.summary import render_row

    for o in runs:
        if as_json and o.envelope is not None:
            print(json.dumps(o.envelope))
        elif o.error is not None:
            kind = "bad fixture" if isinstance(o.error, FixtureError) else "session error"
            print(f"{o.name:<28} {kind}: {printable(o.error)}", file=sys.stdout if not as_json else sys.stderr)
        elif o.report is not None:
            print(render_row(o.name, o.report, o.path))
    return _exit_code(runs)
