"""The erasure certificate as a document: its schema, its place in the station's chain next to
reports, ``verify`` over a mixed chain, and the reference receiver storing and listing it."""

from __future__ import annotations

import dataclasses
import json
import warnings
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from agent.backend.app import create_app
from agent.backend.db import BackendDB
from agent.cli.main import main
from agent.erasure.certificate import (
    Checked,
    ErasedDevice,
    ErasureRun,
    Sanitization,
    Verification,
    build_certificate,
    unfinished_verification,
)
from agent.errors import VerificationError
from agent.links.base import Provenance
from agent.report.chain import ReportStore
from agent.report.signing import ERASURE_PAYLOAD_TYPE, PAYLOAD_TYPE, StationKey, canonical_json, verify_envelope
from agent.report.verify import verify_path
from tests.erasure.conftest import unexplained_nulls
from tests.outbox.outbox_helpers import sample_report

CERT_ID = "7d1c9a52-3c1e-4b7a-9f0e-2a4b6c8d0e1f"


def run(result: str = "passed") -> ErasureRun:
    return ErasureRun(
        CERT_ID, "2026-11-30T14:00:00.000Z", Provenance("usb", "usbmux:devid 3"), "usbmux:X",
        ErasedDevice("ios", "Apple", "iPhone14,5", "F17ZK0ERASE1", "356789104512347", "17.5"),
        Sanitization("purge", "cryptographic erase", "keys destroyed", "pymobiledevice3", "11.45.0",
                     "lockdown com.apple.mobile.MCInstall EraseDevice", {"PreserveDataPlan": False}),
        Verification("lockdown ActivationState", result, ("ok: lockdown ActivationState: Unactivated",)),  # type: ignore[arg-type]
    )


def certificate(key: StationKey, result: str = "passed") -> dict:
    return build_certificate(run(result), station_id=key.default_station_id(), key_id=key.keyid,
                             operator="J. Doe", diagnostics_report_id=None)


@pytest.fixture
def key(tmp_path: Path) -> StationKey:
    return StationKey.load_or_create(tmp_path / "station.key")


@pytest.fixture
def store(tmp_path: Path) -> ReportStore:
    return ReportStore(tmp_path / "records", tmp_path / "records" / "chain.json")


def test_a_certificate_and_reports_share_one_chain_that_verify_accepts(key: StationKey, store: ReportStore) -> None:
    report = sample_report()
    report["station"]["id"] = key.default_station_id()
    store.commit(report, key)
    stored = store.commit(certificate(key), key, ERASURE_PAYLOAD_TYPE)
    assert stored.envelope["payloadType"] == ERASURE_PAYLOAD_TYPE and stored.report["chain"]["sequence"] == 2
    result = verify_path(store.out_dir, station_key=key)
    assert result.chain_ok and [r.report["schema"] for r in result.reports] == ["phonebench.report/2",
                                                                                 "phonebench.erasure/1"]


@pytest.mark.parametrize(("result", "said"), [("passed", "erased"), ("failed", "failed"), ("not_verified", "not_verified")])
def test_only_a_passed_verification_makes_an_erased_certificate(key: StationKey, result: str, said: str) -> None:
    assert certificate(key, result)["result"] == said


def test_a_certificate_claiming_erased_without_a_passed_verification_does_not_verify(
        key: StationKey, store: ReportStore) -> None:
    doc = certificate(key, "not_verified") | {"result": "erased"}
    with pytest.raises(VerificationError, match="certificate"):
        store.commit(doc, key, ERASURE_PAYLOAD_TYPE)


def test_a_certificate_signed_as_a_report_does_not_verify(key: StationKey) -> None:
    doc = certificate(key) | {"chain": {"sequence": 1, "previous_digest": None}}
    with pytest.raises(VerificationError, match="report"):
        verify_envelope(key.sign(canonical_json(doc), PAYLOAD_TYPE), {key.keyid: key.public_key})
    assert verify_envelope(key.sign(canonical_json(doc), ERASURE_PAYLOAD_TYPE), {key.keyid: key.public_key}) == doc


def test_the_receiver_stores_a_certificate_and_lists_it_as_one(
        key: StationKey, store: ReportStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db_path = tmp_path / "backend.sqlite3"
    BackendDB(db_path).enroll(key.public_pem().encode(), "test")
    stored = store.commit(certificate(key), key, ERASURE_PAYLOAD_TYPE)
    with TestClient(create_app(db_path)) as client:
        response = client.post("/v1/reports", content=json.dumps(stored.envelope),
                               headers={"Idempotency-Key": CERT_ID})
    assert response.status_code == 201
    assert [(r.report_id, r.kind) for r in BackendDB(db_path).reports()] == [(CERT_ID, "erasure")]
    assert main(["backend", "list", "--db", str(db_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("erasure certificate: erased (Purge), serial ****ASE1") and out[-1] == "0 report(s), 1 erasure certificate(s)"


def test_a_label_gets_a_data_erased_line_from_a_later_certificate_of_the_same_phone(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from agent import paths

    key = StationKey.load_or_create(paths.key_path())
    folder = tmp_path / "records"
    store = ReportStore(folder, folder / "chain.json")
    report = sample_report()
    report["station"]["id"] = key.default_station_id()
    store.commit(report, key)
    assert main(["label", str(folder)]) == 0
    assert "Data erased" not in capsys.readouterr().out
    cert = certificate(key)
    cert["device"]["serial"] = report["device"]["serial"]
    store.commit(cert, key, ERASURE_PAYLOAD_TYPE)
    assert main(["label", str(folder)]) == 0
    zpl = capsys.readouterr().out
    assert zpl.count("^XA") == 1 and "Data erased (Purge)" in zpl  # one label: the report's, not the certificate's


def test_the_station_record_refuses_a_simulated_phones_certificate(key: StationKey, tmp_path: Path) -> None:
    from agent.delivery.ledger import Ledger
    from agent.delivery.outbox import Outbox
    from agent.errors import NotARealPhoneError

    ledger = Ledger(key, ReportStore(tmp_path / "r", tmp_path / "r" / "chain.json"), Outbox(tmp_path / "o.sqlite3"),
                    real_only=True)
    cert = certificate(key)
    cert["session"]["provenance"] = "simulated"
    with pytest.raises(NotARealPhoneError):
        ledger.save(cert, ERASURE_PAYLOAD_TYPE)
    assert ledger.save(certificate(key), ERASURE_PAYLOAD_TYPE).report["chain"]["sequence"] == 1  # usb: taken
    assert ledger.outbox.report_ids() == {CERT_ID}


def test_the_null_walker_names_each_null_nothing_explains() -> None:
    doc = {
        "operator": None, "operator_reason": "unattended",
        "device": {"imei": None, "imei_reason": "", "model": None},
        "sanitization": {"options": {"PreserveDataPlan": None, "options_not_applied": "takes none"},
                         "tool": {"version": None}},
        "verification": {"method": None, "findings": [None]},
        "chain": {"sequence": 2, "previous_digest": None},
    }
    assert unexplained_nulls(doc) == ["device.imei", "device.model", "sanitization.tool.version",
                                      "verification.method", "verification.findings[0]", "chain.previous_digest"]
    assert unexplained_nulls({"chain": {"sequence": 1, "previous_digest": None}}) == []  # the first has none before it


def test_an_unfinished_verification_names_only_the_checks_that_ran(key: StationKey, store: ReportStore) -> None:
    ran = [Checked("`a` (0)", True, "`a`: 0")]
    partly = unfinished_verification(("stopped",), "over adb: ", ran, "nothing ran")
    assert partly.method == "over adb: `a` (0)" and partly.findings == ("stopped", "ok: `a`: 0")
    none = unfinished_verification(("stopped",), "over adb: ", [], "nothing ran")
    doc = build_certificate(dataclasses.replace(run(), verification=none), station_id=key.default_station_id(),
                            key_id=key.keyid, operator="J. Doe", diagnostics_report_id=None)
    assert doc["verification"] == {"method": None, "method_reason": "nothing ran", "by": "agent",
                                   "result": "not_verified", "findings": ["stopped"]}
    assert store.commit(doc, key, ERASURE_PAYLOAD_TYPE).report["result"] == "not_verified"  # the schema takes it
