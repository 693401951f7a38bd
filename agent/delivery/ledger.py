"""The ledger: where a finished session's report goes, signed, chained and queued.

A session hands its report to ``Ledger.save`` and nothing else: the report is linked into
its chain, signed, written, and queued in the outbox for the grading backend. Front ends
never wire these steps themselves, so the CLI, the TUI and the pytest plugin save alike.

There are two kinds of ledger. The station's own (``station_ledger``) keeps only reports of
real phones (provenance ``usb`` or ``network``) and is what the uploader drains. Replays and
simulated phones get a side ledger (``side_ledger``): a folder, chain and outbox of their
own, uploaded only when asked, so a demo or a test never lands in the station's record.

Nothing signed is lost to a crash: a ledger reconciles when it opens. A report file the
outbox lacks (the process died between the two writes) is verified and queued; an outbox
row whose file is gone is written again from the row.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent import paths
from agent.delivery.outbox import Outbox, OutboxEntry
from agent.errors import NotARealPhoneError, PhonebenchError, ReportStoreError
from agent.files import write_atomic
from agent.jsonfile import load_json
from agent.links.base import REAL_PROVENANCE
from agent.report.chain import ChainState, ReportStore, StoredReport
from agent.report.signing import PAYLOAD_TYPE, StationKey, verify_envelope

_REPORT_FILE = re.compile(r"^(\d{6,})-([0-9a-f-]{36})\.dsse\.json$")


@dataclass(frozen=True)
class Reconciled:
    """What opening a ledger mended: report files queued, files written again from rows."""

    queued: int = 0
    rewritten: int = 0


class Ledger:
    """``save(report) -> StoredReport``. ``real_only`` refuses reports whose provenance is not
    a real phone's; ``copy_to`` also writes each signed report there (``--out``: a copy,
    never a second chain); ``after_save`` is told once a report is queued."""

    def __init__(
        self,
        key: StationKey,
        store: ReportStore,
        outbox: Outbox,
        *,
        real_only: bool,
        copy_to: Path | None = None,
        after_save: Callable[[], None] | None = None,
    ) -> None:
        self.key, self.store, self.outbox = key, store, outbox
        self.real_only, self.copy_to, self.after_save = real_only, copy_to, after_save
        #: where a station's own record sends the reports of phones that are not real
        self.elsewhere: Ledger | _LazySide | None = None

    @property
    def key_id(self) -> str:
        return self.key.keyid

    @property
    def folder(self) -> Path:
        return self.store.out_dir

    def save(self, report: dict[str, Any], payload_type: str = PAYLOAD_TYPE) -> StoredReport:
        """Chain, sign, write and queue ``report``; ``payload_type`` says when it is an erasure
        certificate rather than a report (both carry ``session.provenance``)."""
        provenance = (report.get("session") or {}).get("provenance")
        if self.real_only and provenance not in REAL_PROVENANCE:
            if self.elsewhere is not None:  # a simulated phone on a live bench: its own record
                return self.elsewhere.save(report, payload_type)
            raise NotARealPhoneError(
                f"a {provenance or 'unsaid'} phone's report cannot enter the station's record ({self.folder})"
            )
        # the outbox row is committed before the file exists, so a file on disk is always
        # queued; a row whose file a crash kept from being written is written first, next time
        stored = self.store.commit(report, self.key, payload_type, mend=self._mend, before_write=self._queue_stored)
        if self.after_save is not None:
            self.after_save()
        return stored

    def holds(self, report_id: str) -> bool:
        """This record (or, for the station's, the side record its simulated phones go to)
        already keeps the report: the session journal asks before saving a report again."""
        return self.outbox.has(report_id) or (self.elsewhere is not None and self.elsewhere.holds(report_id))

    def _queue_stored(self, stored: StoredReport) -> None:
        """Queued first, then the ``--out`` copy, then (in the store) the record's own file."""
        self.outbox.add(stored)
        if self.copy_to is not None:
            _write(self.copy_to / stored.path.name, stored.envelope)

    def _mend(self, state: ChainState) -> None:
        """Write the files (and copies) of rows past the chain state: signed and queued, then
        the process died before their file; the chain then links after them, never beside them."""
        for entry in self.outbox.entries_after(self.key.keyid, state.sequence):
            for folder in (self.folder, self.copy_to):
                if folder is not None and not (folder / _file_name(entry)).exists():
                    _write(folder / _file_name(entry), self.outbox.envelope(entry.report_id))

    def reconcile(self) -> Reconciled:
        """Queue report files the outbox lacks; write again files whose row is all that is left."""
        on_disk = _report_files(self.folder)
        queued_ids = self.outbox.report_ids()
        queued = sum(self._queue(path) for report_id, path in on_disk.items() if report_id not in queued_ids)
        rewritten = 0
        for entry in self.outbox.entries():
            if entry.station_key == self.key.keyid and entry.report_id not in on_disk:
                _write(self.folder / _file_name(entry), self.outbox.envelope(entry.report_id))
                rewritten += 1
        return Reconciled(queued, rewritten)

    def _queue(self, path: Path) -> bool:
        try:
            envelope = load_json(path.read_bytes())
            report = verify_envelope(envelope, {self.key.keyid: self.key.public_key})
        except (OSError, ValueError, PhonebenchError):
            return False  # not this station's, or not a report: `verify` is the place to say so
        if self.real_only and (report.get("session") or {}).get("provenance", "usb") not in REAL_PROVENANCE:
            return False
        return self.outbox.add_envelope(envelope, report)


def station_ledger(
    key: StationKey, outbox: Outbox, *, copy_to: Path | None = None, after_save: Callable[[], None] | None = None
) -> Ledger:
    """The station's own record: real phones only, the station's chain, the station's outbox."""
    store = ReportStore(paths.reports_dir(), paths.chain_state_path())
    ledger = Ledger(key, store, outbox, real_only=True, copy_to=copy_to, after_save=after_save)
    ledger.reconcile()
    ledger.elsewhere = _LazySide(key, paths.side_records_dir("simulated"), copy_to)
    return ledger


def side_ledger(key: StationKey, folder: Path, *, copy_to: Path | None = None) -> Ledger:
    """A record of its own for replayed or simulated phones: ``folder`` holds their reports,
    their chain (``chain.json``) and their outbox, which only an explicit upload drains."""
    store = ReportStore(folder, folder / "chain.json")
    ledger = Ledger(key, store, Outbox(folder / "outbox.sqlite3"), real_only=False, copy_to=copy_to)
    ledger.reconcile()
    return ledger


class _LazySide:
    """The side ledger a live bench's simulated phones go to, opened at the first of them."""

    def __init__(self, key: StationKey, folder: Path, copy_to: Path | None) -> None:
        self.key, self.folder, self.copy_to = key, folder, copy_to
        self._ledger: Ledger | None = None

    def holds(self, report_id: str) -> bool:
        if self._ledger is None and not (self.folder / "outbox.sqlite3").exists():
            return False
        return self._open().holds(report_id)

    def _open(self) -> Ledger:
        if self._ledger is None:
            self._ledger = side_ledger(self.key, self.folder, copy_to=self.copy_to)
        return self._ledger

    def save(self, report: dict[str, Any], payload_type: str = PAYLOAD_TYPE) -> StoredReport:
        return self._open().save(report, payload_type)


def _report_files(folder: Path) -> dict[str, Path]:
    try:
        names = [p for p in folder.iterdir() if p.is_file()]
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise ReportStoreError(f"{folder}: cannot list the reports ({e.strerror or e})") from e
    return {m.group(2): p for p in names if (m := _REPORT_FILE.match(p.name))}


def _file_name(entry: OutboxEntry) -> str:
    """A report's file name in its record, as the chain store writes it."""
    return f"{entry.sequence:06d}-{entry.report_id}.dsse.json"


def _write(path: Path, envelope: dict) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, (json.dumps(envelope, indent=2) + "\n").encode("ascii"))
    except OSError as e:
        raise ReportStoreError(f"{path}: cannot write ({e.strerror or e})") from e


@dataclass(frozen=True)
class StationRecord:
    """Open the station's own ledger (see ``station_ledger``)."""

    outbox: Outbox
    copy_to: Path | None = None
    after_save: Callable[[], None] | None = None

    def open(self, key: StationKey) -> Ledger:
        return station_ledger(key, self.outbox, copy_to=self.copy_to, after_save=self.after_save)


@dataclass(frozen=True)
class SideRecord:
    """Open a side ledger in ``folder`` (see ``side_ledger``)."""

    folder: Path
    copy_to: Path | None = None

    def open(self, key: StationKey) -> Ledger:
        return side_ledger(key, self.folder, copy_to=self.copy_to)


Record = StationRecord | SideRecord
