"""Signed reports (and erasure certificates) on disk, linked into the station's chain.

Each report names the digest of the station's previous report payload, so a deleted or
altered report shows as a gap or a break. That only holds if two sessions finishing at
once never get the same sequence and a crash never rewinds the chain: commits are
serialised by a thread lock and an flock (other processes), every file is written whole
(temp file, fsync, rename) and the chain state moves only after its report is on disk.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from agent.errors import PhonebenchError, ReportStoreError, SigningError
from agent.files import write_atomic
from agent.jsonfile import load_json
from agent.report.signing import PAYLOAD_TYPE, PAYLOAD_TYPES, StationKey, canonical_json, payload_digest, verify_envelope

_SHA256_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class StoredReport:
    path: Path
    envelope: dict
    report: dict
    payload: bytes


@dataclass(frozen=True)
class ChainState:
    """The station's last link: 0 and None before the first report."""

    sequence: int = 0
    digest: str | None = None


class ReportStore:
    def __init__(self, out_dir: Path, chain_path: Path) -> None:
        self.out_dir = out_dir
        self.chain_path = chain_path
        self._lock = threading.Lock()

    def commit(
        self,
        report: dict,
        key: StationKey,
        payload_type: str = PAYLOAD_TYPE,
        *,
        mend: Callable[[ChainState], None] | None = None,
        before_write: Callable[[StoredReport], None] | None = None,
    ) -> StoredReport:
        """Link, validate, sign and write ``report`` (or, by ``payload_type``, an erasure
        certificate: same chain, same key); the chain moves only once it is on disk.

        Under the chain lock, ``mend(state)`` may first write files the record of truth holds
        past ``state`` (so they are linked after), and ``before_write(stored)`` commits the
        signed report elsewhere before its file exists (the outbox): a file on disk is then
        always queued, whatever dies when."""
        doc = json.loads(canonical_json(report))  # a deep copy in exactly the form that is signed
        station = doc.get("station")
        if isinstance(station, dict):
            if station.get("key_id") not in (None, key.keyid):
                raise SigningError(f"report: station.key_id {station['key_id']} is not this station's key {key.keyid}")
            station["key_id"] = key.keyid
        with self._locked():
            if mend is not None:
                mend(self.read_state())
            state = self._catch_up(self.read_state(), key)
            doc["chain"] = {"sequence": state.sequence + 1, "previous_digest": state.digest}
            PAYLOAD_TYPES[payload_type](doc)
            payload = canonical_json(doc)
            envelope = key.sign(payload, payload_type)
            path = self.out_dir / f"{state.sequence + 1:06d}-{doc['report_id']}.dsse.json"
            stored = StoredReport(path, envelope, doc, payload)
            if before_write is not None:
                before_write(stored)
            _write_atomic(path, (json.dumps(envelope, indent=2) + "\n").encode("ascii"))
            self._write_state(ChainState(state.sequence + 1, payload_digest(payload)))
        return stored

    def read_state(self) -> ChainState:
        """The chain state file; a corrupt one is an error, never a fresh start of the chain."""
        try:
            raw = self.chain_path.read_bytes()
        except FileNotFoundError:
            return ChainState()
        except OSError as e:
            raise SigningError(f"{self.chain_path}: cannot read the chain state ({e.strerror or e})") from e
        try:
            data = json.loads(raw)
            sequence, digest = data["sequence"], data["digest"]
        except (ValueError, TypeError, KeyError) as e:
            raise SigningError(f"{self.chain_path}: corrupt chain state (expected JSON {{sequence, digest}})") from e
        if not (type(sequence) is int and sequence >= 1 and _is_digest(digest)):
            raise SigningError(f"{self.chain_path}: corrupt chain state (sequence {sequence!r}, digest {digest!r})")
        return ChainState(sequence, digest)

    def _catch_up(self, state: ChainState, key: StationKey) -> ChainState:
        """Follow reports written after the state was last saved (a crash between the two writes).

        A file already holding the next sequence that does not link to the state means the
        state was rolled back or the folder mixed up; going on would fork the chain.
        """
        while True:
            found = sorted(self.out_dir.glob(f"{state.sequence + 1:06d}-*.dsse.json"))
            if not found:
                return state
            path = found[0]
            try:
                envelope = load_json(path.read_bytes())
                report = verify_envelope(envelope, {key.keyid: key.public_key})
            except (OSError, ValueError, PhonebenchError) as e:
                raise SigningError(f"{path}: holds the next sequence but does not verify ({e})") from e
            if report["chain"] != {"sequence": state.sequence + 1, "previous_digest": state.digest}:
                raise SigningError(f"{path}: holds the next sequence but does not follow {self.chain_path}")
            payload = canonical_json(report)
            state = ChainState(state.sequence + 1, payload_digest(payload))
            self._write_state(state)

    def _write_state(self, state: ChainState) -> None:
        data = json.dumps({"sequence": state.sequence, "digest": state.digest}) + "\n"
        _write_atomic(self.chain_path, data.encode("ascii"))

    @contextmanager
    def _locked(self) -> Iterator[None]:
        lock_path = self.chain_path.with_name(self.chain_path.name + ".lock")
        with self._lock:
            try:
                lock_path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as e:
                raise ReportStoreError(f"{lock_path}: cannot open the chain lock ({e.strerror or e})") from e
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)  # closing releases the flock


def _write_atomic(path: Path, data: bytes) -> None:
    try:
        write_atomic(path, data)
    except OSError as e:
        raise ReportStoreError(f"{path}: cannot write ({e.strerror or e})") from e


def _is_digest(value: object) -> bool:
    return (
        isinstance(value, str)
        and value.startswith("sha256:")
        and len(value) == 71
        and set(value[7:]) <= _SHA256_HEX
    )
