"""The session journal: a session's work, kept as it happens, so a quit, a crash or a power
cut loses nothing the technician did.

Each session's start (phone key, serial or UDID, platform, slot, provenance, device
identity), each check result as it finishes and each answer as it is given are committed
to ``journal.sqlite3`` beside the record's outbox (the station's, or a side record's own,
so a demo's sessions never mix with the station's). The file is WAL with
``synchronous = FULL`` (``agent.sqlite``): a committed row survives a power cut.

An entry is closed when its report is saved (its report id is the session id), or when the
session fails before its grade. One still open at the next start is an unfinished phone:
the supervisor resumes it when the phone is back (``agent.session.resume``) and otherwise
closes it as an incomplete report.

Writes go through one writer thread in the order they were made, so a call never blocks
the event loop that makes it (the TUI's); ``flush`` waits for them. Reads are synchronous:
call them off the UI loop (``asyncio.to_thread``).
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from agent.report.build import utc_now
from agent.session.events import (
    CheckFinished,
    DeviceIdentified,
    Event,
    QuestionAnswered,
    ReportSaved,
    SessionFailed,
    SessionGraded,
    SessionStarted,
)
from agent.sqlite import WalDatabase

log = logging.getLogger(__name__)

FILE_NAME = "journal.sqlite3"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id           TEXT PRIMARY KEY,   -- the engine's session id, and the report id of its report
    key          TEXT NOT NULL,      -- the phone's canonical key (agent.session.supervisor.canonical)
    device_id    TEXT NOT NULL,      -- adb serial or UDID, as the link names it
    platform     TEXT NOT NULL,
    slot         INTEGER,
    link         TEXT,
    provenance   TEXT,               -- NULL until the phone is identified
    transport_id TEXT,
    device       TEXT,               -- JSON: the report's device block so far
    model        TEXT,
    started_at   TEXT NOT NULL,
    graded       INTEGER NOT NULL DEFAULT 0,
    state        TEXT NOT NULL DEFAULT 'open',   -- open, reported, failed, resumed, closed
    closed_at    TEXT,
    note         TEXT,
    port         TEXT                -- JSON: the report's session.port (agent.ports.Port), NULL when unknown
);
CREATE INDEX IF NOT EXISTS sessions_open ON sessions (state);
CREATE TABLE IF NOT EXISTS checks (
    session_id TEXT NOT NULL, name TEXT NOT NULL,
    entry      TEXT NOT NULL,   -- JSON: {outcome, detail, metrics} as a report's check entry holds them
    at         TEXT NOT NULL,   -- when it was measured (UTC)
    PRIMARY KEY (session_id, name)
);
CREATE TABLE IF NOT EXISTS answers (
    session_id TEXT NOT NULL, key TEXT NOT NULL,
    value      TEXT NOT NULL,   -- JSON
    at         TEXT NOT NULL,
    PRIMARY KEY (session_id, key)
);
"""


def canonical(key: str) -> str:
    """One name per phone across sources: UDIDs lose their dash, case is ignored."""
    return key.replace("-", "").upper()


@dataclass(frozen=True)
class Unfinished:
    """An open journal entry: a session a quit or a crash cut off.

    ``checks``: check name -> ``(entry, measured_at)``, entry in a report's check shape
    (outcome, detail, metrics); ``answers``: question key -> answer; ``provenance`` None when
    the session ended before the phone was identified (then nothing was measured)."""

    session_id: str
    key: str
    device_id: str
    platform: str
    slot: int | None
    link: str | None
    provenance: str | None
    transport_id: str | None
    device: dict[str, Any]
    model: str | None
    started_at: str
    checks: dict[str, tuple[dict[str, Any], str]]
    answers: dict[str, Any]
    #: the USB port the phone was in, as the report's ``session.port`` (path, name, usbmux_location)
    port: dict[str, Any] | None = None

    def port_ref(self) -> Any:
        """``port`` as an ``agent.ports.Port``; None when unknown."""
        from agent.ports import Port

        if not self.port or not isinstance(self.port.get("path"), str):
            return None
        location = self.port.get("usbmux_location")
        return Port(self.port["path"], self.port.get("name"), int(location, 16) if isinstance(location, str) else None)


class Journal:
    """``Journal(path)``; ``note(session, event)`` as the engine emits; ``unfinished()`` at start."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = WalDatabase(path, "the session journal")
        with self.db.write() as db:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            _migrate(db)
        self._ops: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._thread = threading.Thread(target=_write_all, args=(self._ops, path), name="session-journal", daemon=True)
        self._thread.start()
        # what is queued is committed before the process exits (or this journal is dropped)
        self._stop = weakref.finalize(self, _stop, self._ops, self._thread, self.db)

    @classmethod
    def beside(cls, outbox_path: Path) -> Journal:
        """The journal of the record whose outbox is ``outbox_path``."""
        return cls(outbox_path.with_name(FILE_NAME))

    # --- writing: queued, in order, one transaction each -------------------------------

    def note(self, session: Any, event: Event) -> None:
        """Journal one engine event of ``session`` (an engine ``_Session``: id, phone, link,
        provenance, device). Returns at once; the writer thread commits it."""
        at = utc_now()
        if isinstance(event, SessionStarted):
            p = event.phone
            port = getattr(session, "port", None)
            row = (event.session_id, canonical(p.device_id), p.device_id, p.platform, p.slot, event.link, at,
                   None if port is None else _dumps(port.to_json()))
            self._queue("INSERT OR IGNORE INTO sessions (id, key, device_id, platform, slot, link, started_at, port)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)
        elif isinstance(event, DeviceIdentified):
            prov = session.provenance
            self._queue("UPDATE sessions SET provenance = ?, transport_id = ?, device = ?, model = ? WHERE id = ?",
                        (prov.kind, prov.transport_id, _dumps(event.device), event.phone.model, event.session_id))
        elif isinstance(event, CheckFinished):
            r = event.result
            entry = {"outcome": r.outcome, "detail": r.detail, "metrics": {k: m.to_json() for k, m in r.metrics.items()}}
            self._queue("INSERT OR IGNORE INTO checks VALUES (?, ?, ?, ?)", (event.session_id, event.check, _dumps(entry), at))
        elif isinstance(event, QuestionAnswered):
            self._queue("INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?)",
                        (event.session_id, event.question, _dumps(event.answer), at))
        elif isinstance(event, SessionGraded):
            self._queue("UPDATE sessions SET graded = 1 WHERE id = ?", (event.session_id,))
        elif isinstance(event, ReportSaved):
            self.close(event.session_id, "reported")
        elif isinstance(event, SessionFailed):
            # a failure after the grade is the report that could not be kept (a full disk):
            # the entry stays open, so the next start saves the work again
            self._queue("UPDATE sessions SET state = 'failed', closed_at = ?, note = ? WHERE id = ? AND graded = 0",
                        (at, event.error[:500], event.session_id))

    def close(self, session_id: str, state: str = "closed", note: str | None = None) -> None:
        """Mark a session's entry done with: ``reported`` (its report is kept), ``closed``."""
        self._queue("UPDATE sessions SET state = ?, closed_at = ?, note = ? WHERE id = ? AND state = 'open'",
                    (state, utc_now(), note, session_id))

    def supersede(self, old_id: str, new_id: str) -> None:
        """``new_id`` resumes ``old_id``: the old entry's results (but identity, measured again)
        and answers move to the new one in the same transaction that closes the old, so a
        crash at any point leaves the work in exactly one open entry."""
        def run(db: Any) -> None:
            db.execute("INSERT OR REPLACE INTO checks SELECT ?, name, entry, at FROM checks"
                       " WHERE session_id = ? AND name != 'identity'", (new_id, old_id))
            db.execute("INSERT OR IGNORE INTO answers SELECT ?, key, value, at FROM answers WHERE session_id = ?",
                       (new_id, old_id))
            db.execute("UPDATE sessions SET state = 'resumed', closed_at = ?, note = ? WHERE id = ?",
                       (utc_now(), f"resumed by session {new_id}", old_id))
        self._ops.put(partial(_transaction, self.db, run))

    def flush(self) -> None:
        """Wait until every write made so far is committed."""
        self._ops.join()

    def shut(self) -> None:
        """Commit what is queued, stop the writer, close the file."""
        self._stop()

    def _queue(self, sql: str, params: tuple) -> None:
        self._ops.put(partial(_transaction, self.db, lambda db: db.execute(sql, params)))

    # --- reading: synchronous, off the UI loop ------------------------------------------

    def unfinished(self) -> list[Unfinished]:
        """Every open entry, oldest first."""
        self.flush()
        rows = self.db.read("SELECT id, key, device_id, platform, slot, link, provenance, transport_id, device, model,"
                            " started_at, port FROM sessions WHERE state = 'open' ORDER BY started_at")
        out = []
        for sid, key, device_id, platform, slot, link, provenance, transport_id, device, model, started, port in rows:
            checks = {name: (json.loads(entry), at) for name, entry, at in
                      self.db.read("SELECT name, entry, at FROM checks WHERE session_id = ?", (sid,))}
            answers = {k: json.loads(v) for k, v in self.db.read("SELECT key, value FROM answers WHERE session_id = ?", (sid,))}
            out.append(Unfinished(sid, key, device_id, platform, slot, link, provenance, transport_id,
                                  json.loads(device) if device else {}, model, started, checks, answers,
                                  json.loads(port) if port else None))
        return out

    def state(self, session_id: str) -> str | None:
        """An entry's state (open, reported, failed, resumed, closed); None when there is none."""
        self.flush()
        rows = self.db.read("SELECT state FROM sessions WHERE id = ?", (session_id,))
        return rows[0][0] if rows else None


def _migrate(db: Any) -> None:
    """Bring a journal written by an older version up to this schema (columns added since)."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(sessions)")}
    if "port" not in columns:
        db.execute("ALTER TABLE sessions ADD COLUMN port TEXT")


def _transaction(database: WalDatabase, run: Callable[[Any], Any]) -> None:
    with database.write() as db:
        run(db)


def _write_all(ops: queue.Queue[Callable[[], None] | None], path: Path) -> None:
    while (op := ops.get()) is not None:
        try:
            op()
        except Exception:  # a full disk must not stop the bench; the log says what was not kept
            log.exception("the session journal (%s) could not keep a write", path)
        finally:
            ops.task_done()
    ops.task_done()


def _stop(ops: queue.Queue[Callable[[], None] | None], thread: threading.Thread, db: WalDatabase) -> None:
    if thread.is_alive():
        ops.put(None)
        thread.join()
    db.close()


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
