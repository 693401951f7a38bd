"""The receiver's SQLite file: enrolled station keys and the reports received.

A report is stored once, by report id; each copy sent again only bumps ``duplicates``,
which shows how often stations re-sent (an agent killed between the answer and its own
bookkeeping). Storing and judging the chain happen in one write transaction, so two
reports of one station arriving at once cannot both miss each other.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from agent.backend.chain import Judgement, Link, judge
from agent.report.build import utc_now
from agent.report.signing import keyid_for, load_public_key
from agent.sqlite import WalDatabase

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS keys (
        keyid TEXT PRIMARY KEY, public_pem TEXT NOT NULL, enrolled_at TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS reports (
        report_id TEXT PRIMARY KEY, keyid TEXT NOT NULL, station_id TEXT NOT NULL,
        sequence INTEGER NOT NULL, previous_digest TEXT, payload_digest TEXT NOT NULL,
        envelope TEXT NOT NULL, received_at TEXT NOT NULL,
        chain TEXT NOT NULL, chain_detail TEXT, duplicates INTEGER NOT NULL DEFAULT 0)""",
    "CREATE INDEX IF NOT EXISTS reports_chain ON reports (keyid, sequence)",
)
_COLUMNS = "report_id, keyid, station_id, sequence, chain, chain_detail, duplicates, received_at"


@dataclass(frozen=True)
class Stored:
    outcome: Literal["created", "duplicate", "conflict"]
    judgement: Judgement | None = None


@dataclass(frozen=True)
class ReceivedReport:
    report_id: str
    keyid: str
    station_id: str
    sequence: int
    chain: str
    chain_detail: str | None
    duplicates: int
    received_at: str

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


class BackendDB:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = WalDatabase(path, "the backend database")
        self._read, self._write = self._db.read, self._db.write
        with self._write() as db:
            for statement in _SCHEMA:
                db.execute(statement)

    def enroll(self, pem: bytes, where: str) -> str:
        """Trust a station's public key (PEM); returns its keyid."""
        keyid = keyid_for(load_public_key(pem, where))
        with self._write() as db:
            db.execute(
                "INSERT OR IGNORE INTO keys (keyid, public_pem, enrolled_at) VALUES (?, ?, ?)",
                (keyid, pem.decode("ascii"), utc_now()),
            )
        return keyid

    def keys(self) -> dict[str, Ed25519PublicKey]:
        rows = self._read("SELECT keyid, public_pem FROM keys")
        return {keyid: load_public_key(pem.encode("ascii"), f"{self.path}: key {keyid}") for keyid, pem in rows}

    def store(self, report: dict, envelope: dict, digest: str) -> Stored:
        """Keep a verified report once and judge its place in its station's chain."""
        keyid, chain = report["station"]["key_id"], report["chain"]
        new = Link(chain["sequence"], chain["previous_digest"], digest)
        with self._write() as db:
            known = db.execute("SELECT payload_digest FROM reports WHERE report_id = ?", (report["report_id"],)).fetchone()
            if known is not None:
                if known[0] != digest:
                    return Stored("conflict")
                db.execute("UPDATE reports SET duplicates = duplicates + 1 WHERE report_id = ?", (report["report_id"],))
                return Stored("duplicate")
            verdict = judge(new, _link(db, keyid, new.sequence - 1), _link(db, keyid, new.sequence))
            db.execute(
                "INSERT INTO reports (report_id, keyid, station_id, sequence, previous_digest, payload_digest,"
                " envelope, received_at, chain, chain_detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (report["report_id"], keyid, report["station"]["id"], new.sequence, new.previous_digest, digest,
                 json.dumps(envelope), utc_now(), verdict.status, verdict.detail),
            )
            _relink_next(db, keyid, new)
        return Stored("created", verdict)

    def reports(self) -> list[ReceivedReport]:
        rows = self._read(f"SELECT {_COLUMNS} FROM reports ORDER BY keyid, sequence, received_at")
        return [ReceivedReport(*row) for row in rows]

    def count(self) -> int:
        return self._read("SELECT count(*) FROM reports")[0][0]


def _link(db: sqlite3.Connection, keyid: str, sequence: int) -> Link | None:
    row = db.execute(
        "SELECT sequence, previous_digest, payload_digest FROM reports WHERE keyid = ? AND sequence = ? LIMIT 1",
        (keyid, sequence),
    ).fetchone()
    return Link(*row) if row else None


def _relink_next(db: sqlite3.Connection, keyid: str, new: Link) -> None:
    """A late report may close the gap its successor was flagged with."""
    row = db.execute(
        "SELECT report_id, sequence, previous_digest, payload_digest FROM reports"
        " WHERE keyid = ? AND sequence = ? AND chain = 'gap'",
        (keyid, new.sequence + 1),
    ).fetchone()
    if row is not None:
        verdict = judge(Link(*row[1:]), new, None)
        db.execute("UPDATE reports SET chain = ?, chain_detail = ? WHERE report_id = ?",
                   (verdict.status, verdict.detail, row[0]))
