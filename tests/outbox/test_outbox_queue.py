"""The outbox as a durable queue: committed on add, shared by threads and processes, in chain order."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
from outbox_helpers import (
    ROOT,
    Station,
    child_env,
    station,  # noqa: F401  (fixture)
)

from agent.delivery.outbox import Outbox
from agent.errors import OutboxError
from agent.report.verify import verify_path


def fake(station_key: str, sequence: int) -> tuple[dict, dict]:
    """An (envelope, report) pair as far as the outbox looks at them."""
    report = {"report_id": str(uuid.uuid4()), "station": {"key_id": station_key}, "chain": {"sequence": sequence}}
    return {"payload": "e30=", "signatures": []}, report


def test_an_added_report_is_committed_before_add_returns(station: Station) -> None:
    stored = station.make(1)[0]
    other = sqlite3.connect(station.outbox.path)  # a reader that shares nothing with the writer
    row = other.execute("SELECT state, envelope FROM reports WHERE report_id = ?", (stored.report["report_id"],)).fetchone()
    other.close()
    assert row[0] == "pending" and json.loads(row[1]) == stored.envelope


def test_the_outbox_runs_in_wal_mode_with_full_sync(station: Station) -> None:
    assert station.outbox._read("PRAGMA journal_mode") == [("wal",)]
    assert station.outbox._read("PRAGMA synchronous") == [(2,)]


def test_adding_the_same_report_twice_keeps_one_row(station: Station) -> None:
    stored = station.make(1)[0]
    assert station.outbox.add(stored) is False
    assert station.outbox.counts() == {"pending": 1, "delivered": 0, "rejected": 0}


def test_a_report_id_that_is_not_a_uuid_is_refused(station: Station) -> None:
    envelope, report = fake("sha256:k", 1)
    report["report_id"] = "../../etc/passwd"
    with pytest.raises(OutboxError, match="not a UUID"):
        station.outbox.add_envelope(envelope, report)


def test_many_threads_adding_at_once_lose_nothing(station: Station) -> None:
    def add_ten(worker: int) -> None:
        for n in range(10):
            station.outbox.add_envelope(*fake(f"sha256:{worker}", n + 1))

    threads = [threading.Thread(target=add_ten, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert station.outbox.counts()["pending"] == 80


def test_several_processes_adding_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite3"
    code = (
        "import sys, uuid; from pathlib import Path; from agent.delivery.outbox import Outbox\n"
        "box = Outbox(Path(sys.argv[1]))\n"
        "for n in range(25):\n"
        "    box.add_envelope({}, {'report_id': str(uuid.uuid4()), 'station': {'key_id': sys.argv[2]},"
        " 'chain': {'sequence': n + 1}})\n"
    )
    Outbox(path).close()  # created (and in WAL mode) before the racers start
    procs = [subprocess.Popen([sys.executable, "-c", code, str(path), f"sha256:{i}"], cwd=ROOT, env=child_env())
             for i in range(4)]
    assert [p.wait(60) for p in procs] == [0, 0, 0, 0]
    assert Outbox(path).counts()["pending"] == 100


def test_entries_come_in_upload_order_station_by_station_by_sequence(station: Station) -> None:
    for key, seq in [("sha256:b", 2), ("sha256:a", 3), ("sha256:b", 1), ("sha256:a", 1)]:
        station.outbox.add_envelope(*fake(key, seq))
    assert [(e.station_key, e.sequence) for e in station.outbox.entries()] == [
        ("sha256:a", 1), ("sha256:a", 3), ("sha256:b", 1), ("sha256:b", 2)]


def test_a_rejected_report_keeps_its_reason_and_is_due_again_after_retry(station: Station) -> None:
    first, second = station.make(2)
    station.outbox.mark_rejected(first.report["report_id"], "400: bad schema")
    station.outbox.mark_delivered(second.report["report_id"])
    entry = station.outbox.entries(("rejected",))[0]
    assert entry.last_error == "400: bad schema" and entry.attempts == 1
    assert station.outbox.retry(first.report["report_id"]) == 1
    again = station.outbox.entries(("pending",))
    assert [e.report_id for e in again] == [first.report["report_id"]] and again[0].next_attempt_at == 0
    assert station.outbox.retry() == 1  # delivered reports are never sent again by hand


def test_retry_of_an_unknown_report_says_so(station: Station) -> None:
    with pytest.raises(OutboxError, match="no report 123 in the outbox"):
        station.outbox.retry("123")


def test_export_writes_envelopes_that_verify_as_a_chain(station: Station, tmp_path: Path) -> None:
    made = station.make(3)
    station.outbox.mark_delivered(made[0].report["report_id"])
    assert len(station.outbox.export(tmp_path / "undelivered")) == 2
    written = station.outbox.export(tmp_path / "all", include_delivered=True)
    assert [p.name for p in written] == [s.path.name for s in made]
    result = verify_path(tmp_path / "all", station_key=station.key)
    assert result.chain_ok is True


def test_only_one_uploader_holds_the_drain_lock(station: Station) -> None:
    with station.outbox.drain_lock() as first:
        with station.outbox.drain_lock(blocking=False) as second:
            assert first is True and second is False
    with station.outbox.drain_lock(blocking=False) as after:
        assert after is True


def test_an_outbox_that_cannot_be_created_is_an_outbox_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(OutboxError, match="cannot open the outbox"):
        Outbox(tmp_path / "file" / "outbox.sqlite3")


def test_importing_the_outbox_leaves_signing_and_the_schema_unloaded() -> None:
    """`phonebench outbox` and the TUI load agent.delivery.outbox at start; signing is paid for when used."""
    heavy = ("agent.report.chain", "jsonschema", "cryptography")
    code = f"import sys, agent.delivery.outbox; print(','.join(m for m in {heavy!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
