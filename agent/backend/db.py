"""The receiver's SQLite file: enrolled station keys and the reports received.

Erasure certificates are stored with the reports (same id space, same chain), their
``kind`` column saying ``erasure``.

A report is stored once, by report id; each copy sent again only bumps ``duplicates``,
which shows how often stations re-sent (an agent killed between the answer and its own
bookkeeping). Storing and judging the chain happen in one write transaction, so two
reports of one station arriving at once cannot both miss each other.

Each key is bound to one station id (``enroll --station-id``, else the key's default id).
A database from before the binding gets the column on open; a key without a station is
bound from its earliest stored report, or else by the first report accepted for it.
A verified report the receiver refuses is not stored, but its reason is recorded against
its key's sequence (``rejections``), so the chain shows that gap as explained.
"""

from __future__ import annotations

import base64
import binascii
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from agent.backend.chain import Judgement, Link, judge
from agent.report.build import utc_now
from agent.report.signing import is_certificate, keyid_for, load_public_key
from agent.sqlite import WalDatabase
from agent.text import inert

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS keys (
        keyid TEXT PRIMARY KEY, public_pem TEXT NOT NULL, enrolled_at TEXT NOT NULL, station_id TEXT)""",
    """CREATE TABLE IF NOT EXISTS reports (
        report_id TEXT PRIMARY KEY, keyid TEXT NOT NULL, station_id TEXT NOT NULL,
        sequence INTEGER NOT NULL, previous_digest TEXT, payload_digest TEXT NOT NULL,
        envelope TEXT NOT NULL, received_at TEXT NOT NULL,
        chain TEXT NOT NULL, chain_detail TEXT, duplicates INTEGER NOT NULL DEFAULT 0, provenance TEXT)""",
    "CREATE INDEX IF NOT EXISTS reports_chain ON reports (keyid, sequence)",
    """CREATE TABLE IF NOT EXISTS rejections (
        keyid TEXT NOT NULL, sequence INTEGER NOT NULL, report_id TEXT NOT NULL, station_id TEXT NOT NULL,
        payload_digest TEXT NOT NULL, reason TEXT NOT NULL, provenance TEXT, received_at TEXT NOT NULL,
        PRIMARY KEY (keyid, sequence, report_id))""",
)
MAX_SEQUENCE = (1 << 63) - 1  # SQLite's INTEGER: the receiver refuses a sequence above it
#: columns added since the first release: (table, column, declaration)
_MIGRATIONS = (("keys", "station_id", "TEXT"), ("reports", "provenance", "TEXT"), ("reports", "kind", "TEXT"))
_COLUMNS = "report_id, keyid, station_id, sequence, chain, chain_detail, duplicates, received_at, provenance, kind"
_REJECTED = ("report_id, keyid, station_id, sequence, 'rejected', reason, 0, received_at, provenance, NULL")


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
    provenance: str | None
    #: ``report`` or ``erasure`` (a certificate); None for rows stored before kinds were kept, and rejections
    kind: str | None = None
    #: an erasure certificate's result, method and serial (masked: ``erasure_summary``); None for reports
    erasure: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        doc = dict(self.__dict__)
        if doc["erasure"] is None:
            doc.pop("erasure")  # reports list as they always did
        return doc


class BackendDB:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = WalDatabase(path, "the backend database")
        self._read, self._write = self._db.read, self._db.write
        with self._write() as db:
            for statement in _SCHEMA:
                db.execute(statement)
            _migrate(db)

    def enroll(self, pem: bytes, where: str, station_id: str | None = None) -> str:
        """Trust a station's public key (PEM) for ``station_id`` (default: the key's own); returns its keyid.

        Enrolling a known key again rebinds it only when ``station_id`` is given."""
        keyid = keyid_for(load_public_key(pem, where))
        with self._write() as db:
            db.execute(
                "INSERT OR IGNORE INTO keys (keyid, public_pem, enrolled_at, station_id) VALUES (?, ?, ?, ?)",
                (keyid, pem.decode("ascii"), utc_now(), station_id or default_station_id(keyid)),
            )
            if station_id is not None:
                db.execute("UPDATE keys SET station_id = ? WHERE keyid = ?", (station_id, keyid))
        return keyid

    def station_for(self, keyid: str) -> str | None:
        """The station ``keyid`` is bound to; None for a key enrolled before binding and not yet bound."""
        rows = self._read("SELECT station_id FROM keys WHERE keyid = ?", (keyid,))
        return rows[0][0] if rows else None

    def keys(self) -> dict[str, Ed25519PublicKey]:
        rows = self._read("SELECT keyid, public_pem FROM keys")
        return {keyid: load_public_key(pem.encode("ascii"), f"{self.path}: key {keyid}") for keyid, pem in rows}

    def store(self, report: dict, envelope: dict, digest: str) -> Stored:
        """Keep a verified report once and judge its place in its station's chain."""
        keyid, chain = report["station"]["key_id"], report["chain"]
        new = Link(chain["sequence"], chain["previous_digest"], digest)
        with self._write() as db:
            db.execute("UPDATE keys SET station_id = ? WHERE keyid = ? AND station_id IS NULL",
                       (report["station"]["id"], keyid))
            known = db.execute("SELECT payload_digest FROM reports WHERE report_id = ?", (report["report_id"],)).fetchone()
            if known is not None:
                if known[0] != digest:
                    return Stored("conflict")
                db.execute("UPDATE reports SET duplicates = duplicates + 1 WHERE report_id = ?", (report["report_id"],))
                return Stored("duplicate")
            verdict = judge(new, _link(db, keyid, new.sequence - 1), _link(db, keyid, new.sequence))
            db.execute(
                "INSERT INTO reports (report_id, keyid, station_id, sequence, previous_digest, payload_digest,"
                " envelope, received_at, chain, chain_detail, provenance, kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (report["report_id"], keyid, report["station"]["id"], new.sequence, new.previous_digest, digest,
                 json.dumps(envelope), utc_now(), verdict.status, verdict.detail, provenance_of(report),
                 "erasure" if is_certificate(report) else "report"),
            )
            _relink_next(db, keyid, new)
        return Stored("created", verdict)

    def reject(self, report: dict, digest: str, reason: str, station_id: str) -> None:
        """Record that a verified report was refused, against its key's sequence (the report is not kept)."""
        keyid, chain = report["station"]["key_id"], report["chain"]
        refused = Link(chain["sequence"], chain["previous_digest"], digest, reason)
        with self._write() as db:
            db.execute(
                "INSERT OR IGNORE INTO rejections (keyid, sequence, report_id, station_id, payload_digest, reason,"
                " provenance, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (keyid, refused.sequence, report["report_id"], station_id, digest, reason, provenance_of(report),
                 utc_now()),
            )
            _relink_next(db, keyid, refused)

    def is_stored(self, report_id: str) -> bool:
        return bool(self._read("SELECT 1 FROM reports WHERE report_id = ?", (report_id,)))

    def reports(self) -> list[ReceivedReport]:
        rows = self._read(f"SELECT {_COLUMNS}, envelope FROM reports ORDER BY keyid, sequence, received_at")
        return [ReceivedReport(*row[:-1], erasure=erasure_summary(row[-1]) if row[-2] == "erasure" else None)  # type: ignore[misc]
                for row in rows]

    def rejections(self) -> list[ReceivedReport]:
        """Refused reports as rows of the chain view: chain ``rejected``, the reason as its detail."""
        rows = self._read(f"SELECT {_REJECTED} FROM rejections ORDER BY keyid, sequence, received_at")
        return [ReceivedReport(*row) for row in rows]

    def chain_view(self) -> list[ReceivedReport]:
        """Stored reports and recorded rejections, in chain order."""
        return sorted(self.reports() + self.rejections(), key=lambda r: (r.keyid, r.sequence, r.received_at))

    def count(self) -> int:
        return self._read("SELECT count(*) FROM reports")[0][0]


def erasure_summary(envelope_json: str) -> dict[str, Any]:
    """A stored certificate's ``result`` (erased, not_verified, failed), sanitization ``method``
    (Clear, Purge) and ``serial``, masked to its last four characters ("****0ABC"): enough to
    find the phone on the bench, not a list of identifiers. Each is None when unreadable."""
    try:
        doc = json.loads(base64.b64decode(json.loads(envelope_json)["payload"]))
    except (ValueError, KeyError, TypeError, binascii.Error):
        doc = {}
    doc = doc if isinstance(doc, dict) else {}

    def text(value: Any) -> str | None:
        return inert(value)[:32] if isinstance(value, str) and value else None

    method = text((doc.get("sanitization") or {}).get("method") if isinstance(doc.get("sanitization"), dict) else None)
    serial = text((doc.get("device") or {}).get("serial") if isinstance(doc.get("device"), dict) else None)
    return {"result": text(doc.get("result")), "method": method.capitalize() if method else None,
            "serial": ("****" + serial[-4:]) if serial else None}


def default_station_id(keyid: str) -> str:
    """What a station calls itself when not configured (StationKey.default_station_id, from the keyid alone)."""
    return "station-" + keyid.removeprefix("sha256:")[:12]


def provenance_of(report: dict) -> str | None:
    """``session.provenance`` (a string, or an object's ``kind``); None when the report does not say."""
    session = report.get("session")
    value = session.get("provenance") if isinstance(session, dict) else None
    if isinstance(value, dict):
        value = value.get("kind")
    return value if isinstance(value, str) else None


def _migrate(db: sqlite3.Connection) -> None:
    for table, column, declaration in _MIGRATIONS:
        present = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        if column not in present:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
    db.execute(
        "UPDATE keys SET station_id = (SELECT r.station_id FROM reports r WHERE r.keyid = keys.keyid"
        " ORDER BY r.sequence, r.received_at LIMIT 1) WHERE station_id IS NULL"
    )


def _link(db: sqlite3.Connection, keyid: str, sequence: int) -> Link | None:
    """The stored report at ``sequence``, else a rejection recorded there."""
    row = db.execute(
        "SELECT sequence, previous_digest, payload_digest FROM reports WHERE keyid = ? AND sequence = ? LIMIT 1",
        (keyid, sequence),
    ).fetchone()
    if row:
        return Link(*row)
    row = db.execute(
        "SELECT sequence, NULL, payload_digest, reason FROM rejections WHERE keyid = ? AND sequence = ?"
        " ORDER BY received_at LIMIT 1",
        (keyid, sequence),
    ).fetchone()
    return Link(*row) if row else None


def _relink_next(db: sqlite3.Connection, keyid: str, new: Link) -> None:
    """A late report (or a recorded rejection) may close the gap its successor was flagged with."""
    if new.sequence >= MAX_SEQUENCE:
        return
    row = db.execute(
        "SELECT report_id, sequence, previous_digest, payload_digest FROM reports"
        " WHERE keyid = ? AND sequence = ? AND chain = 'gap'",
        (keyid, new.sequence + 1),
    ).fetchone()
    if row is not None:
        verdict = judge(Link(*row[1:]), new, None)
        db.execute("UPDATE reports SET chain = ?, chain_detail = ? WHERE report_id = ?",
                   (verdict.status, verdict.detail, row[0]))
