"""SQLite files that must not lose a commit: the outbox and the reference receiver.

WAL mode and ``synchronous = FULL`` (a commit is on disk when it returns), one connection
per thread, and write transactions that take the write lock at their start (``BEGIN
IMMEDIATE``) so two writers wait rather than fail half-way.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from agent.errors import OutboxError


class WalDatabase:
    """``what`` names the database in errors: "the outbox", "the backend database"."""

    def __init__(self, path: Path, what: str, busy_timeout_s: float = 30.0, *, read_only: bool = False,
                 broken_hint: str | None = None) -> None:
        self.path, self.what, self.busy_timeout_s, self.read_only = path, what, busy_timeout_s, read_only
        #: appended to an error that finds the file itself broken (malformed, not a database)
        self.broken_hint = broken_hint
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()

    def read(self, sql: str, params: tuple = ()) -> list[tuple]:
        try:
            return self.conn().execute(sql, params).fetchall()
        except sqlite3.Error as e:
            raise OutboxError(f"{self.path}: cannot read {self.what} ({e}){self._hint(e)}") from e

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One transaction that holds the write lock from its start, committed on exit."""
        db = self.conn()
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        except sqlite3.Error as e:
            raise OutboxError(f"{self.path}: cannot write {self.what} ({e}){self._hint(e)}") from e

    def _hint(self, error: sqlite3.Error) -> str:
        broken = "malformed" in str(error) or "not a database" in str(error)
        return f"; {self.broken_hint}" if broken and self.broken_hint else ""

    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            with self._all_lock:
                self._all.append(conn)
        return conn

    def close(self) -> None:
        with self._all_lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()

    def _connect(self) -> sqlite3.Connection:
        try:
            if self.read_only:  # a listing on a data folder this user cannot write: create nothing
                # WAL needs a -shm file it cannot make here; with no WAL content left there is
                # nothing it could add, and the file can be read as it stands (immutable)
                wal = self.path.with_name(self.path.name + "-wal")
                mode = "ro" if wal.exists() and wal.stat().st_size else "ro&immutable=1"
                uri = f"{self.path.resolve().as_uri()}?mode={mode}"
                conn = sqlite3.connect(uri, uri=True, timeout=self.busy_timeout_s, isolation_level=None,
                                       check_same_thread=False)
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
                return conn
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=self.busy_timeout_s, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
        except (OSError, sqlite3.Error) as e:
            raise OutboxError(f"{self.path}: cannot open {self.what} ({e})") from e
        return conn
