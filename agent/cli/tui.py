"""``phonebench tui``: the bench on screen, over real phones or recorded ones (``--replay``).

Textual loads only when the TUI starts, so ``phonebench --help`` stays quick and headless
commands never pull it in. ``run_tui`` is also what the bare ``phonebench`` and ``demo`` call.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.cli.common import fixture_files, port_number
from agent.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from agent.config import StationConfig
    from agent.delivery.ledger import Record

MakeSupervisor = Callable[[Any], Any]  # (agent.session.engine.Station) -> agent.session.supervisor.Supervisor


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tui", help="the bench on screen: phones, checks, questions, grades")
    p.add_argument("--profile", default=None, metavar="NAME|FILE", help="grading profile (default: the station config's, else default)")
    p.add_argument("--replay", type=Path, metavar="DIR", help="recorded phones (fixtures) instead of real ones")
    p.add_argument("--adb-port", type=port_number, default=None, metavar="N",
                   help="the adb server's port (default: $ANDROID_ADB_SERVER_PORT, else 5037)")
    p.set_defaults(func=cmd_tui)


def cmd_tui(args: argparse.Namespace) -> int:
    if args.replay is not None:
        if args.adb_port is not None:
            raise UsageError("tui: --adb-port is for the live bench, not --replay")
        make_supervisor = replay_supervisor(args.replay)
    else:
        from agent.config import load_config

        make_supervisor = live_supervisor(load_config(), args.adb_port)
    return run_tui(make_supervisor, args.profile, side="replays" if args.replay is not None else None)


def live_supervisor(config: StationConfig, adb_port: int | None = None) -> MakeSupervisor:
    """This station's phones: through the adb server on ``adb_port``, else the one the
    environment names as adb would (ANDROID_ADB_SERVER_PORT...), started there if none runs;
    usbmuxd; the USB bus. Slots follow ports: the config's ``slots``/``ports``, else the slot
    a port had before (the state dir). The address is read now, so a bad variable stops us
    before the screen."""
    from agent import paths
    from agent.session.hub import Hub

    return Hub(adb_port=adb_port, slot_map=config.slots, port_names=config.port_names,
               slot_store=paths.slots_path()).supervisor


def replay_supervisor(folder: Path) -> MakeSupervisor:
    """A supervisor factory over the fixtures at ``folder`` (a file, or every ``*.yaml`` under a
    folder; a missing or bad one is a one-line error, exit 3)."""
    from agent.discovery.replay import ReplaySource
    from agent.fixtures.format import load_fixture
    from agent.session.supervisor import Supervisor

    source = ReplaySource([load_fixture(p) for p in fixture_files(folder)])
    return lambda bench: Supervisor(bench, [source], source.open_link)


def run_tui(make_supervisor: MakeSupervisor, profile: str | None, *, side: str | None = None,
            out_dir: Path | None = None) -> int:
    """Build the bench (errors surface before the screen takes over), then run the app.

    ``side`` None is a live station: reports enter the station's record and an upload
    worker delivers them. ``side`` "replays" or "demo" keeps them in a record of their own
    (never uploaded from here). ``out_dir`` gets a copy of each signed report."""
    from agent import paths
    from agent.config import load_config
    from agent.delivery.ledger import SideRecord, StationRecord
    from agent.delivery.outbox import Outbox
    from agent.delivery.uploader import Uploader, UploadWorker
    from agent.session.station import open_station
    from agent.shutdown import stop_on_signals
    from agent.tui.app import BenchApp
    from agent.tui.question_queue import TuiOperator

    operator = TuiOperator()
    worker = None
    if side is None:
        outbox = Outbox()
        worker = UploadWorker(Uploader(outbox, load_config()))
        record: Record = StationRecord(outbox, copy_to=out_dir, after_save=worker.wake)
    else:
        record = SideRecord(paths.side_records_dir(side), copy_to=out_dir)
    bench = open_station(profile, record=record, operator=operator)
    if worker is not None:
        worker.start()
    try:
        app = BenchApp(make_supervisor(bench), operator, bench.profile.name)
        with stop_on_signals(app.stop_from_outside):  # SIGTERM, SIGHUP: quit as if asked
            app.run()
    finally:
        if worker is not None:
            worker.stop()
    return app.return_code or ExitCode.OK
