"""``phonebench outbox``: what waits for the backend, and pushing, retrying or exporting it."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from agent.cli.common import add_json_flag
from agent.errors import ExitCode, OutboxError
from agent.text import printable

if TYPE_CHECKING:  # the outbox loads the store, jsonschema and cryptography: not at CLI start
    from agent.delivery.outbox import Outbox, OutboxEntry

_SHOWN_ERROR = 60
#: the records kept apart from the station's own (agent.delivery.ledger.side_ledger)
SIDE_RECORDS = ("replays", "demo", "simulated", "erasures-simulated")


def add_parser(sub: argparse._SubParsersAction) -> None:
    outbox = sub.add_parser("outbox", help="signed reports waiting for the backend")
    add_json_flag(outbox)
    _record_option(outbox, default=None)
    outbox.set_defaults(func=cmd_list)
    actions = outbox.add_subparsers(dest="outbox_command", metavar="ACTION")

    drain = actions.add_parser("drain", help="upload what is pending now")
    drain.add_argument("--wait", type=float, default=0.0, metavar="SECONDS", help="keep retrying this long (default 0)")
    _record_option(drain)
    drain.set_defaults(func=cmd_drain)

    retry = actions.add_parser("retry", help="send rejected reports again (after fixing the cause)")
    which = retry.add_mutually_exclusive_group(required=True)
    which.add_argument("report_id", nargs="?", metavar="ID")
    which.add_argument("--all", action="store_true", help="every report not delivered")
    _record_option(retry)
    retry.set_defaults(func=cmd_retry)

    export = actions.add_parser("export", help="write envelopes to a folder (to carry by hand)")
    export.add_argument("folder", type=Path, metavar="DIR")
    export.add_argument("--all", action="store_true", help="delivered ones too")
    _record_option(export)
    export.set_defaults(func=cmd_export)

    rebuild = actions.add_parser("rebuild", help="a broken or truncated outbox: set it aside and queue every report again")
    _record_option(rebuild)
    rebuild.set_defaults(func=cmd_rebuild)


def _record_option(parser: argparse.ArgumentParser, default: object = argparse.SUPPRESS) -> None:
    """``--record NAME``: a side record's outbox (simulated phones' erasure certificates are in
    ``erasures-simulated``). Given before or after the action: the action's own default never
    hides ``outbox --record NAME drain``."""
    parser.add_argument("--record", choices=SIDE_RECORDS, metavar="NAME", default=default,
                        help=f"a side record's outbox instead of the station's ({', '.join(SIDE_RECORDS)})")


def chosen_outbox(args: argparse.Namespace, *, listing: bool = False) -> Outbox:
    """The outbox ``--record`` names (reconciled with its folder), else the station's."""
    from agent import paths
    from agent.delivery.ledger import side_ledger
    from agent.delivery.outbox import Outbox
    from agent.report.signing import StationKey

    record = getattr(args, "record", None)
    if record is None:
        return station_outbox(listing=listing)
    folder = paths.side_records_dir(record)
    if listing and _read_only(folder / "outbox.sqlite3"):
        return Outbox(folder / "outbox.sqlite3", read_only=True)
    if not paths.key_path().exists():  # no key: nothing was signed into any record
        return Outbox(folder / "outbox.sqlite3")
    return side_ledger(StationKey.load(paths.key_path()), folder).outbox


def station_outbox(*, listing: bool = False) -> Outbox:
    """The station's outbox, reconciled with its report folder (a report file it lacks is
    queued, a row whose file is gone is written again). ``listing``: a data folder this user
    cannot write still lists, read-only and unreconciled."""
    from agent import paths
    from agent.delivery.ledger import station_ledger
    from agent.delivery.outbox import Outbox
    from agent.report.signing import StationKey

    if listing and _read_only(paths.outbox_path()):
        return Outbox(read_only=True)
    outbox = Outbox()
    if paths.key_path().exists():  # no key: this station has signed nothing to reconcile
        station_ledger(StationKey.load(paths.key_path()), outbox)
    return outbox


def _read_only(path: Path) -> bool:
    import os

    return path.exists() and not os.access(path.parent, os.W_OK)


def cmd_list(args: argparse.Namespace) -> int:
    outbox = chosen_outbox(args, listing=True)
    entries = outbox.entries()
    if args.json:
        print(json.dumps({"counts": outbox.counts(), "reports": [e.to_json() for e in entries]}, indent=2))
        return ExitCode.OK
    for entry in entries:
        print(_row(entry))
    counts = outbox.counts()
    print(", ".join(f"{n} {state}" for state, n in counts.items()) + f"  ({outbox.path})")
    return ExitCode.OK


def cmd_drain(args: argparse.Namespace) -> int:
    from agent.config import load_config
    from agent.delivery.uploader import Uploader

    uploader = Uploader(chosen_outbox(args), load_config())
    try:
        result = uploader.drain(budget_s=max(0.0, args.wait))
    finally:
        uploader.close()
    if result.message and not result.pending:
        print(result.message)  # no backend, but nothing waits for one either
        return ExitCode.OK
    if result.message:
        raise OutboxError(result.message)
    line = f"delivered {result.delivered}, rejected {result.rejected}, still pending {result.pending}"
    if result.pending and result.next_attempt_at is not None:
        line += f" (next try {_when(result.next_attempt_at)})"
    print(line)
    return ExitCode.STORAGE if result.pending or result.rejected else ExitCode.OK  # not delivered: still kept


def cmd_retry(args: argparse.Namespace) -> int:

    count = chosen_outbox(args).retry(None if args.all else args.report_id)
    also = f" --record {args.record}" if getattr(args, "record", None) else ""
    print(f"{count} report(s) due now; `phonebench outbox drain{also}` sends them")
    return ExitCode.OK


def cmd_export(args: argparse.Namespace) -> int:

    written = chosen_outbox(args, listing=True).export(args.folder, include_delivered=args.all)
    print(f"wrote {len(written)} envelope(s) to {args.folder}")
    return ExitCode.OK


def cmd_rebuild(args: argparse.Namespace) -> int:
    """Set the outbox file aside (never deleted: it may still be read by hand) and build a
    new one from the station's report folder; the backend answers 409 to what it already has."""
    from agent import paths
    from agent.delivery.ledger import side_ledger
    from agent.report.signing import StationKey

    record = getattr(args, "record", None)
    folder = paths.side_records_dir(record) if record else None
    broken = folder / "outbox.sqlite3" if folder is not None else paths.outbox_path()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    kept = []
    for suffix in ("", "-wal", "-shm"):
        part = broken.with_name(broken.name + suffix)
        if part.exists():
            aside = part.with_name(f"{broken.name}.broken-{stamp}{suffix}")
            try:
                part.rename(aside)
            except OSError as e:
                raise OutboxError(f"{part}: cannot set the outbox aside ({e.strerror or e})") from e
            kept.append(aside)
    if not paths.key_path().exists():  # this station never signed anything
        counts = {"pending": 0}
    elif folder is not None:
        counts = side_ledger(StationKey.load(paths.key_path()), folder).outbox.counts()
    else:
        counts = station_outbox().counts()
    print(f"rebuilt {broken}: {counts['pending']} report(s) queued" + (f"; the old file is {kept[0]}" if kept else ""))
    return ExitCode.OK


def _row(entry: OutboxEntry) -> str:
    error = printable(entry.last_error) if entry.last_error else ""
    error = error if len(error) <= _SHOWN_ERROR else error[: _SHOWN_ERROR - 3] + "..."
    when = f"next {_when(entry.next_attempt_at)}" if entry.state == "pending" and entry.attempts else ""
    return f"{entry.sequence:>6}  {entry.report_id}  {entry.state:<9} {entry.attempts:>3} tries  {when}  {error}".rstrip()


def _when(unix: float) -> str:
    return datetime.fromtimestamp(unix, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
