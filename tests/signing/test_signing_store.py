"""The report store: every commit is one signed file and one step of the chain."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from signing_helpers import key, other_key, sample_report, store  # noqa: F401  (fixtures)

from agent.errors import SigningError, VerificationError
from agent.report.chain import ReportStore
from agent.report.signing import StationKey, payload_digest
from agent.report.verify import verify_path


def _commit_many(store: ReportStore, key: StationKey, count: int) -> list:
    return [store.commit(sample_report(), key) for _ in range(count)]


def test_five_commits_form_a_chain_that_verifies(store: ReportStore, key: StationKey) -> None:
    stored = _commit_many(store, key, 5)
    assert [s.report["chain"]["sequence"] for s in stored] == [1, 2, 3, 4, 5]
    assert stored[0].report["chain"]["previous_digest"] is None
    for prev, cur in zip(stored, stored[1:], strict=False):
        assert cur.report["chain"]["previous_digest"] == payload_digest(prev.payload)
    result = verify_path(store.out_dir, station_key=key)
    assert result.chain_ok is True and result.problems == ()
    assert [r.path for r in result.reports] == [s.path for s in stored]


def test_a_commit_writes_the_envelope_named_by_sequence_and_report_id(store: ReportStore, key: StationKey) -> None:
    report = sample_report()
    stored = store.commit(report, key)
    assert stored.path == store.out_dir / f"000001-{report['report_id']}.dsse.json"
    assert json.loads(stored.path.read_text()) == stored.envelope
    assert json.loads(store.chain_path.read_text()) == {"sequence": 1, "digest": payload_digest(stored.payload)}


def test_the_station_key_id_is_filled_in_and_the_callers_report_is_untouched(
    store: ReportStore, key: StationKey
) -> None:
    report = sample_report()
    stored = store.commit(report, key)
    assert stored.report["station"]["key_id"] == key.keyid
    assert report["station"]["key_id"] is None and "chain" not in report


def test_a_report_naming_another_key_is_refused(
    store: ReportStore, key: StationKey, other_key: StationKey
) -> None:
    with pytest.raises(SigningError, match="is not this station's key"):
        store.commit(sample_report(**{"station.key_id": other_key.keyid}), key)
    assert not store.chain_path.exists()


def test_a_report_breaking_the_schema_is_not_written_and_does_not_move_the_chain(
    store: ReportStore, key: StationKey
) -> None:
    store.commit(sample_report(), key)
    with pytest.raises(VerificationError, match="checks\\[0\\].metrics.temperature_c"):
        store.commit(sample_report(**{"checks.0.metrics.temperature_c.reason": None}), key)
    assert len(list(store.out_dir.iterdir())) == 1
    assert store.read_state().sequence == 1


@pytest.mark.parametrize("content", [b"", b"{not json", b'{"sequence": "3", "digest": null}', b'{"sequence": 3}', b"[]"])
def test_a_corrupt_chain_state_is_an_error_naming_it_never_a_new_chain(
    store: ReportStore, key: StationKey, content: bytes
) -> None:
    store.chain_path.parent.mkdir(parents=True)
    store.chain_path.write_bytes(content)
    with pytest.raises(SigningError, match=f"^{store.chain_path}: corrupt chain state"):
        store.commit(sample_report(), key)
    assert store.chain_path.read_bytes() == content
    assert not store.out_dir.exists() or not list(store.out_dir.iterdir())


def test_an_untrusted_serial_never_reaches_the_file_name(store: ReportStore, key: StationKey, tmp_path: Path) -> None:
    report = sample_report(**{"device.serial": "../../x", "device.model": "../../y"})
    stored = store.commit(report, key)
    assert stored.path.parent == store.out_dir
    assert stored.path.name == f"000001-{report['report_id']}.dsse.json"
    assert stored.report["device"]["serial"] == "../../x"
    assert not (store.out_dir / "../../x").exists()
    assert [p.name for p in store.out_dir.iterdir()] == [stored.path.name]


def test_an_untrusted_report_id_is_refused_before_any_file_is_written(store: ReportStore, key: StationKey) -> None:
    with pytest.raises(VerificationError, match="report_id"):
        store.commit(sample_report(report_id="../../x"), key)
    assert not store.out_dir.exists()


def test_eight_threads_committing_at_once_get_sequences_1_to_8(store: ReportStore, key: StationKey) -> None:
    stored: list = []
    start = threading.Barrier(8)

    def commit() -> None:
        start.wait()
        stored.append(store.commit(sample_report(), key))

    threads = [threading.Thread(target=commit) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(s.report["chain"]["sequence"] for s in stored) == list(range(1, 9))
    result = verify_path(store.out_dir, station_key=key)
    assert result.chain_ok is True and len(result.reports) == 8


def test_separate_stores_on_one_chain_are_serialised_by_the_file_lock(tmp_path: Path, key: StationKey) -> None:
    """Two stores have two thread locks, as two processes would: only the flock keeps them in line."""
    stores = [ReportStore(tmp_path / "reports", tmp_path / "chain.json") for _ in range(2)]
    start = threading.Barrier(2)

    def commit(store: ReportStore) -> None:
        start.wait()
        for _ in range(4):
            store.commit(sample_report(), key)

    threads = [threading.Thread(target=commit, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = verify_path(tmp_path / "reports", station_key=key)
    assert [r.report["chain"]["sequence"] for r in result.reports] == list(range(1, 9))
    assert result.chain_ok is True


def test_a_report_written_before_a_crash_is_followed_not_forked(store: ReportStore, key: StationKey) -> None:
    first = store.commit(sample_report(), key)
    store.commit(sample_report(), key)
    store.chain_path.write_text(json.dumps({"sequence": 1, "digest": payload_digest(first.payload)}))  # the crash
    third = store.commit(sample_report(), key)
    assert third.report["chain"]["sequence"] == 3
    assert verify_path(store.out_dir, station_key=key).chain_ok is True


def test_a_rolled_back_chain_state_that_does_not_fit_the_reports_is_refused(
    store: ReportStore, key: StationKey
) -> None:
    _commit_many(store, key, 2)
    store.chain_path.write_text(json.dumps({"sequence": 1, "digest": "sha256:" + "0" * 64}))
    with pytest.raises(SigningError, match="000002-.*does not follow"):
        store.commit(sample_report(), key)
    assert len(list(store.out_dir.glob("*.dsse.json"))) == 2


_COMMIT_IN_A_CHILD = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from agent.report.signing import StationKey
from agent.report.chain import ReportStore
from signing_helpers import sample_report
key = StationKey.load_or_create(Path(sys.argv[2]))
store = ReportStore(Path(sys.argv[3]), Path(sys.argv[4]))
for _ in range(5):
    store.commit(sample_report(), key)
"""


def test_processes_committing_at_once_share_one_unbroken_chain(tmp_path: Path, key: StationKey) -> None:
    assert key.path is not None
    args = [str(Path(__file__).parent), str(key.path), str(tmp_path / "reports"), str(tmp_path / "chain.json")]
    children = [subprocess.Popen([sys.executable, "-c", _COMMIT_IN_A_CHILD, *args]) for _ in range(3)]
    try:
        assert [child.wait(timeout=60) for child in children] == [0, 0, 0]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
    result = verify_path(tmp_path / "reports", station_key=key)
    assert [r.report["chain"]["sequence"] for r in result.reports] == list(range(1, 16))
    assert result.chain_ok is True
