"""Verifying reports and chains: a missing, altered or replaced report shows, and says where."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from signing_helpers import chained, key, other_key, sample_report, signed, store, write_envelope  # noqa: F401  (fixtures)

from agent import paths
from agent.errors import SigningError, UnknownKeyError, VerificationError
from agent.report.chain import ReportStore, StoredReport
from agent.report.signing import StationKey, canonical_json, payload_digest
from agent.report.verify import format_summary, verify_path


def _forgery(original: StoredReport) -> dict:
    """A different report under the same id, as someone replacing a file would write it."""
    return sample_report(report_id=original.report["report_id"], grade={"value": "A", "reasons": ["forged"]})


@pytest.fixture
def five(store: ReportStore, key: StationKey) -> list[StoredReport]:
    return [store.commit(sample_report(), key) for _ in range(5)]


def test_a_single_report_verifies_without_a_chain_verdict(five: list[StoredReport], key: StationKey) -> None:
    result = verify_path(five[2].path, station_key=key)
    assert result.chain_ok is None and result.problems == ()
    assert [r.report for r in result.reports] == [five[2].report]
    assert result.reports[0].keyid == key.keyid


def test_a_deleted_report_is_named_as_a_gap(five: list[StoredReport], key: StationKey, store: ReportStore) -> None:
    five[2].path.unlink()
    result = verify_path(store.out_dir, station_key=key)
    assert result.chain_ok is False
    assert result.problems == (
        f"gap: sequence 3 is missing between {five[1].path.name} and {five[3].path.name}",
    )


def test_deleted_first_reports_are_a_gap_before_the_first_file(
    five: list[StoredReport], key: StationKey, store: ReportStore
) -> None:
    five[0].path.unlink()
    five[1].path.unlink()
    result = verify_path(store.out_dir, station_key=key)
    assert result.problems == (f"gap: sequences 1-2 are missing before {five[2].path.name}",)


def test_an_altered_report_is_a_signature_failure_naming_the_file(
    five: list[StoredReport], key: StationKey, store: ReportStore
) -> None:
    envelope = dict(five[2].envelope)
    report = json.loads(five[2].payload)
    report["grade"]["value"] = "A"
    envelope["payload"] = base64.b64encode(canonical_json(report)).decode()
    write_envelope(five[2].path, envelope)
    with pytest.raises(VerificationError, match=f"^{five[2].path}: envelope: bad signature"):
        verify_path(store.out_dir, station_key=key)


def test_a_validly_signed_replacement_with_a_wrong_previous_digest_is_a_break(
    five: list[StoredReport], key: StationKey, store: ReportStore
) -> None:
    forged = chained(_forgery(five[2]), key, 3, "sha256:" + "ab" * 32)
    write_envelope(five[2].path, signed(forged, key))
    result = verify_path(store.out_dir, station_key=key)
    assert result.chain_ok is False
    actual = payload_digest(five[1].payload)
    assert result.problems[0] == (
        f"break: {five[2].path.name} names previous digest sha256:abababababab.. "
        f"but {five[1].path.name} has {actual[:19]}.."
    )
    assert result.problems[1].startswith(f"break: {five[3].path.name} names previous digest")
    assert len(result.problems) == 2


def test_a_replacement_that_links_back_still_breaks_the_next_link(
    five: list[StoredReport], key: StationKey, store: ReportStore
) -> None:
    forged = chained(_forgery(five[2]), key, 3, payload_digest(five[1].payload))
    write_envelope(five[2].path, signed(forged, key))
    (problem,) = verify_path(store.out_dir, station_key=key).problems
    assert problem.startswith(f"break: {five[3].path.name} names previous digest")


def test_two_reports_with_one_sequence_are_a_fork(
    five: list[StoredReport], key: StationKey, store: ReportStore
) -> None:
    twin = chained(sample_report(), key, 3, payload_digest(five[1].payload))
    write_envelope(store.out_dir / f"000003-{twin['report_id']}.dsse.json", signed(twin, key))
    problems = verify_path(store.out_dir, station_key=key).problems
    assert any(p.startswith("fork: sequence 3 is in both") for p in problems)


def test_the_given_public_key_is_used_instead_of_the_station_key(
    five: list[StoredReport], store: ReportStore, key: StationKey, other_key: StationKey
) -> None:
    assert verify_path(store.out_dir, pubkey_pem=key.public_pem().encode()).chain_ok is True
    with pytest.raises(UnknownKeyError, match=f"^{five[0].path}: envelope: signed by unknown key {key.keyid}$"):
        verify_path(store.out_dir, pubkey_pem=other_key.public_pem().encode())


def test_a_bad_public_key_is_a_signing_error(five: list[StoredReport], store: ReportStore) -> None:
    with pytest.raises(SigningError, match="the given public key: not a PEM public key"):
        verify_path(store.out_dir, pubkey_pem=b"nope")


def test_without_a_key_the_local_station_key_is_used(tmp_path: Path) -> None:
    key = StationKey.load_or_create(paths.key_path())
    store = ReportStore(tmp_path / "reports", tmp_path / "chain.json")
    stored = store.commit(sample_report(), key)
    assert verify_path(stored.path).reports[0].keyid == key.keyid


def test_without_any_key_verification_says_so_and_makes_no_key(tmp_path: Path, key: StationKey) -> None:
    stored = ReportStore(tmp_path / "reports", tmp_path / "chain.json").commit(sample_report(), key)
    with pytest.raises(VerificationError, match="no public key given and no station key"):
        verify_path(stored.path)
    assert not paths.key_path().exists()


def test_a_file_that_is_not_json_names_the_file(tmp_path: Path, key: StationKey) -> None:
    bad = tmp_path / "000001-x.dsse.json"
    bad.write_text("{")
    with pytest.raises(VerificationError, match=f"^{bad}: not a JSON envelope$"):
        verify_path(bad, station_key=key)


def test_a_missing_path_or_empty_folder_is_an_error(tmp_path: Path, key: StationKey) -> None:
    with pytest.raises(VerificationError, match="no such file or folder"):
        verify_path(tmp_path / "absent", station_key=key)
    with pytest.raises(VerificationError, match="no \\*.dsse.json reports"):
        verify_path(tmp_path, station_key=key)


def test_the_summary_names_device_grade_report_key_and_chain(
    five: list[StoredReport], key: StationKey, store: ReportStore
) -> None:
    summary = format_summary(verify_path(store.out_dir, station_key=key))
    lines = summary.splitlines()
    assert len(lines) == 6
    assert "Pixel 7" in lines[0] and "grade B" in lines[0] and five[0].report["report_id"] in lines[0]
    assert key.keyid[:19] in lines[0]
    assert lines[-1] == "chain: ok (5 reports, sequences 1-5)"


def test_the_summary_lists_chain_problems(five: list[StoredReport], key: StationKey, store: ReportStore) -> None:
    five[3].path.unlink()
    summary = format_summary(verify_path(store.out_dir, station_key=key))
    assert summary.splitlines()[-2:] == [
        "chain: 1 problem(s)",
        f"  gap: sequence 4 is missing between {five[2].path.name} and {five[4].path.name}",
    ]


def test_the_summary_keeps_phone_given_text_on_one_inert_line(store: ReportStore, key: StationKey) -> None:
    stored = store.commit(sample_report(**{"device.marketing_name": "Pixel\n\x1b[2J 7"}), key)
    summary = format_summary(verify_path(stored.path, station_key=key))
    assert summary.splitlines()[-1] == "chain: not checked (a single report)"
    assert len(summary.splitlines()) == 2 and "\x1b" not in summary
