"""The outbox: signed reports waiting for the grading backend, in SQLite.

A report is "saved" once ``Outbox.add`` has returned: the row is committed with
``synchronous=FULL`` in WAL mode, so it survives the agent, the network and the power
going away. Many threads and processes share one file: each thread gets its own
connection, writers take the lock up front (``BEGIN IMMEDIATE``) and wait for each other
(busy timeout) instead of failing. Only one process uploads at a time (``drain_lock``, an
flock the kernel drops when the holder dies, even by SIGKILL).

    pending ──2xx/409──► delivered
       │ ▲
     4xx └──retry by hand── rejected
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent import paths
from agent.errors import OutboxError
from agent.files import write_atomic
from agent.report.build import utc_now
from agent.sqlite import WalDatabase

if TYPE_CHECKING:  # agent.report.chain pulls in signing and jsonschema, which the CLI and TUI load only when used
    from agent.report.chain import StoredReport

STATES = ("pending", "delivered", "rejected")
REBUILD_HINT = "`phonebench outbox rebuild` rebuilds it from the report folder"
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS reports (
    report_id       TEXT PRIMARY KEY,
    station_key     TEXT NOT NULL,     -- key_id of the signing key: one chain per key
    sequence        INTEGER NOT NULL,
    envelope        TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'rejected')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    next_attempt_at REAL NOT NULL,     -- unix time, pending rows wait until then
    created_at      TEXT NOT NULL,
    delivered_at    TEXT
);
CREATE INDEX IF NOT EXISTS reports_queue ON reports (state, station_key, sequence);
"""


def rebuild_hint(path: Path) -> str:
    """The command that rebuilds the outbox at ``path``: the station's, or a side record's."""
    if path.parent.resolve() == paths.data_dir().resolve():
        return REBUILD_HINT
    return f"`phonebench outbox rebuild --record {path.parent.name}` rebuilds it from the report folder"


def _advice(error: OutboxError, path: Path) -> str:
    """A broken file wants a rebuild; a full or read-only disk wants room, not a rebuild."""
    cause = str(error.__cause__ or "")
    if "not a database" in cause or "malformed" in cause:
        return rebuild_hint(path)
    return "is the disk full or read-only? nothing was written"


@dataclass(frozen=True)
class OutboxEntry:
    report_id: str
    station_key: str
    sequence: int
    state: str
    attempts: int
    last_error: str | None
    next_attempt_at: float
    created_at: str
    delivered_at: str | None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Outbox:
    def __init__(self, path: Path | None = None, busy_timeout_s: float = 30.0, *, read_only: bool = False) -> None:
        """Open (or, when there is no file yet, create) the outbox. A file that is there but
        empty or not a database is an OutboxError naming the command that rebuilds it: a
        fresh outbox would silently drop every pending report. ``read_only`` opens for
        listings on a data folder this user may not write (nothing is created)."""
        self.path = path or paths.outbox_path()
        self._refuse_truncated()
        self._db = WalDatabase(self.path, "the outbox", busy_timeout_s, read_only=read_only,
                               broken_hint=rebuild_hint(self.path))
        self._read, self._write = self._db.read, self._db.write
        if read_only:
            return
        try:
            with self._write() as db:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
        except OutboxError as e:
            raise OutboxError(f"{e}; {_advice(e, self.path)}") from e

    def _refuse_truncated(self) -> None:
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return
        except OSError as e:
            raise OutboxError(f"{self.path}: cannot open the outbox ({e.strerror or e})") from e
        if size == 0:
            raise OutboxError(f"{self.path}: the outbox is empty (truncated?); nothing was replaced; {rebuild_hint(self.path)}")

    def entries_after(self, station_key: str, sequence: int) -> list[OutboxEntry]:
        """The rows of one key's chain past ``sequence``, in order."""
        rows = self._read(
            "SELECT report_id, station_key, sequence, state, attempts, last_error, next_attempt_at, created_at,"
            " delivered_at FROM reports WHERE station_key = ? AND sequence > ? ORDER BY sequence",
            (station_key, sequence),
        )
        return [OutboxEntry(*row) for row in rows]

    def report_ids(self) -> set[str]:
        """Every report the outbox holds, whatever its state."""
        return {row[0] for row in self._read("SELECT report_id FROM reports")}

    def has(self, report_id: str) -> bool:
        """The outbox holds this report, in any state."""
        return bool(self._read("SELECT 1 FROM reports WHERE report_id = ?", (report_id,)))

    def add(self, stored: StoredReport) -> bool:
        """Queue a StoredReport; committed when this returns. False if it was already queued."""
        return self.add_envelope(stored.envelope, stored.report)

    def add_envelope(self, envelope: dict, report: dict) -> bool:
        report_id, chain = report.get("report_id"), report.get("chain") or {}
        if not isinstance(report_id, str) or not _UUID.match(report_id):
            raise OutboxError(f"{self.path}: refusing a report whose report_id is not a UUID")
        row = (report_id, report["station"]["key_id"], chain.get("sequence"), json.dumps(envelope), 0.0, utc_now())
        with self._write() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO reports (report_id, station_key, sequence, envelope, state, next_attempt_at,"
                " created_at) VALUES (?, ?, ?, ?, 'pending', ?, ?)",
                row,
            )
            return cur.rowcount == 1

    def entries(self, states: tuple[str, ...] = STATES) -> list[OutboxEntry]:
        """Rows in ``states``, in upload order: station by station, by sequence."""
        marks = ",".join("?" * len(states))
        rows = self._read(
            f"SELECT report_id, station_key, sequence, state, attempts, last_error, next_attempt_at, created_at,"
            f" delivered_at FROM reports WHERE state IN ({marks}) ORDER BY station_key, sequence",
            states,
        )
        return [OutboxEntry(*row) for row in rows]

    def counts(self) -> dict[str, int]:
        found = dict(self._read("SELECT state, count(*) FROM reports GROUP BY state"))
        return {state: found.get(state, 0) for state in STATES}

    def envelope(self, report_id: str) -> dict:
        rows = self._read("SELECT envelope FROM reports WHERE report_id = ?", (report_id,))
        if not rows:
            raise OutboxError(f"{self.path}: no report {report_id} in the outbox")
        return json.loads(rows[0][0])

    def mark_delivered(self, report_id: str, note: str | None = None) -> None:
        self._update("state = 'delivered', attempts = attempts + 1, last_error = ?, delivered_at = ?",
                     (note, utc_now()), report_id)

    def mark_rejected(self, report_id: str, reason: str) -> None:
        self._update("state = 'rejected', attempts = attempts + 1, last_error = ?", (reason,), report_id)

    def mark_failed(self, report_id: str, error: str, next_attempt_at: float) -> None:
        """A try that may work later: stays pending, not before ``next_attempt_at``."""
        self._update("attempts = attempts + 1, last_error = ?, next_attempt_at = ?", (error, next_attempt_at), report_id)

    def retry(self, report_id: str | None = None) -> int:
        """Make rejected (or waiting) reports due now; ``None`` means all of them."""
        where, params = ("state != 'delivered'", ()) if report_id is None else ("report_id = ?", (report_id,))
        with self._write() as db:
            if report_id is not None and not db.execute(f"SELECT 1 FROM reports WHERE {where}", params).fetchone():
                raise OutboxError(f"{self.path}: no report {report_id} in the outbox")
            cur = db.execute(
                f"UPDATE reports SET state = 'pending', next_attempt_at = 0 WHERE {where} AND state != 'delivered'",
                params,
            )
            return cur.rowcount

    def export(self, folder: Path, include_delivered: bool = False) -> list[Path]:
        """Write envelopes as ``<sequence>-<report id>.dsse.json`` (what ``phonebench verify`` reads)."""
        states = STATES if include_delivered else ("pending", "rejected")
        written = []
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for entry in self.entries(states):
                target = folder / f"{entry.sequence:06d}-{entry.report_id}.dsse.json"
                write_atomic(target, (json.dumps(self.envelope(entry.report_id), indent=2) + "\n").encode("ascii"))
                written.append(target)
        except OSError as e:
            raise OutboxError(f"{folder}: cannot export ({e.strerror or e})") from e
        return written

    @contextmanager
    def drain_lock(self, blocking: bool = True) -> Iterator[bool]:
        """Hold the one-uploader-at-a-time lock; yields False when another process has it."""
        lock_path = self.path.with_name(self.path.name + ".drain.lock")
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as e:
            raise OutboxError(f"{lock_path}: cannot open the upload lock ({e.strerror or e})") from e
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)

    def close(self) -> None:
        self._db.close()

    def _update(self, assignments: str, params: tuple, report_id: str) -> None:
        with self._write() as db:
            db.execute(f"UPDATE reports SET {assignments} WHERE report_id = ?", (*params, report_id))

