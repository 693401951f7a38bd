"""The reference receiver in process: verification, dedupe, tokens and the chain flags it stores."""

from __future__ import annotations

import base64
import json
import warnings
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
import yaml

with warnings.catch_warnings():  # starlette nudges towards httpx2; httpx is what the project has
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from outbox_helpers import (
    ROOT,
    Station,
    sample_report,
    station,  # noqa: F401  (fixture)
)

from agent.backend.app import MAX_BODY_BYTES, create_app
from agent.backend.db import BackendDB
from agent.report.signing import StationKey, canonical_json, payload_digest


@pytest.fixture
def db_path(tmp_path: Path, station: Station) -> Path:
    path = tmp_path / "backend.sqlite3"
    BackendDB(path).enroll(station.key.public_pem().encode(), "test")
    return path


@pytest.fixture
def client(db_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(db_path)) as test_client:
        yield test_client


def post(client: TestClient, envelope: object, report_id: str | None = None, **headers: str) -> object:
    if report_id is not None:
        headers["Idempotency-Key"] = report_id
    return client.post("/v1/reports", content=json.dumps(envelope), headers=headers)


def signed(key: StationKey, sequence: int, previous: str | None, **changes: object) -> tuple[dict, dict, bytes]:
    """(envelope, report, payload) for a hand-made chain link."""
    report = sample_report()
    report["station"] = {"id": key.default_station_id(), "key_id": key.keyid}
    report["chain"] = {"sequence": sequence, "previous_digest": previous}
    report.update(changes)
    payload = canonical_json(report)
    return key.sign(payload), report, payload


def rows(db_path: Path) -> dict[int, tuple[str, str | None, int]]:
    return {r.sequence: (r.chain, r.chain_detail, r.duplicates) for r in BackendDB(db_path).reports()}


def test_a_good_report_is_stored_and_its_chain_link_judged(client: TestClient, station: Station, db_path: Path) -> None:
    stored = station.make(1)[0]
    response = post(client, stored.envelope, stored.report["report_id"])
    assert response.status_code == 201
    assert response.json() == {"report_id": stored.report["report_id"], "chain": {"status": "ok", "detail": None}}
    assert rows(db_path) == {1: ("ok", None, 0)}


def test_the_same_report_again_is_409_and_stored_once(client: TestClient, station: Station, db_path: Path) -> None:
    stored = station.make(1)[0]
    assert post(client, stored.envelope).status_code == 201
    again = post(client, stored.envelope)
    assert again.status_code == 409 and again.json()["error"] == "already stored"
    assert BackendDB(db_path).count() == 1 and rows(db_path)[1][2] == 1


def test_a_tampered_payload_is_refused_with_400(client: TestClient, station: Station, db_path: Path) -> None:
    stored = station.make(1)[0]
    payload = stored.payload.replace(b'"Pixel 7"', b'"Pixel 8"', 1)
    tampered = dict(stored.envelope, payload=base64.b64encode(payload).decode())
    response = post(client, tampered)
    assert response.status_code == 400 and "bad signature" in response.json()["error"]
    assert BackendDB(db_path).count() == 0


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"{not json", "the body is not JSON"),
        (b"[" * 100_000, "the body is not JSON"),
        (b'{"n": ' + b"9" * 5_000 + b"}", "the body is not JSON"),
        (b"[]", "envelope: expected a JSON object"),
        (b'{"payloadType": "text/plain"}', "payloadType is not"),
    ],
)
def test_a_malformed_envelope_is_refused_with_400(client: TestClient, body: bytes, error: str) -> None:
    response = client.post("/v1/reports", content=body)
    assert response.status_code == 400 and error in response.json()["error"]


def test_a_signed_report_that_breaks_the_schema_is_refused_with_400(client: TestClient, station: Station) -> None:
    envelope, _, _ = signed(station.key, 1, None, grade="A")
    response = post(client, envelope)
    assert response.status_code == 400 and response.json()["error"].startswith("report: grade")


def test_a_report_from_an_unknown_key_is_refused_with_403(client: TestClient, tmp_path: Path) -> None:
    stranger = Station(tmp_path / "stranger").make(1)[0]
    response = post(client, stranger.envelope)
    assert response.status_code == 403 and "unknown key" in response.json()["error"]


def test_a_key_enrolled_while_serving_is_trusted_at_once(client: TestClient, tmp_path: Path, db_path: Path) -> None:
    late = Station(tmp_path / "late")
    stored = late.make(1)[0]
    assert post(client, stored.envelope).status_code == 403
    BackendDB(db_path).enroll(late.key.public_pem().encode(), "test")
    assert post(client, stored.envelope).status_code == 201


def test_an_idempotency_key_that_is_not_the_report_id_is_refused(client: TestClient, station: Station) -> None:
    stored = station.make(1)[0]
    response = post(client, stored.envelope, "00000000-0000-4000-8000-000000000000")
    assert response.status_code == 400 and "Idempotency-Key" in response.json()["error"]


def test_the_same_report_id_with_another_payload_is_422(client: TestClient, station: Station) -> None:
    first, report, _ = signed(station.key, 1, None)
    other, _, _ = signed(station.key, 1, None, report_id=report["report_id"], answers={"notes": "changed"})
    assert post(client, first).status_code == 201
    assert post(client, other).status_code == 422


def test_a_body_too_large_is_413(client: TestClient) -> None:
    response = client.post("/v1/reports", content=b" " * (MAX_BODY_BYTES + 1))
    assert response.status_code == 413


def test_with_a_token_configured_only_the_right_bearer_gets_in(db_path: Path, station: Station) -> None:
    stored = station.make(1)[0]
    with TestClient(create_app(db_path, token="right")) as client:
        assert post(client, stored.envelope).status_code == 401
        assert post(client, stored.envelope, Authorization="Bearer wrong").status_code == 401
        assert post(client, stored.envelope, Authorization="Bearer right").status_code == 201


def test_a_gap_is_flagged_and_cleared_when_the_missing_report_arrives(
    client: TestClient, station: Station, db_path: Path
) -> None:
    one, two, three = station.make(3)
    post(client, one.envelope)
    assert post(client, three.envelope).json()["chain"] == {"status": "gap", "detail": "sequence 2 has not been received"}
    assert rows(db_path)[3][0] == "gap"
    post(client, two.envelope)
    assert rows(db_path) == {1: ("ok", None, 0), 2: ("ok", None, 0), 3: ("ok", None, 0)}


def test_a_break_and_a_fork_are_flagged_but_the_reports_are_kept(client: TestClient, station: Station, db_path: Path) -> None:
    first, _, payload = signed(station.key, 1, None)
    wrong_link, _, _ = signed(station.key, 2, "sha256:" + "0" * 64)
    fork, _, _ = signed(station.key, 2, payload_digest(payload))
    for envelope in (first, wrong_link, fork):
        assert post(client, envelope).status_code == 201
    statuses = sorted(r.chain for r in BackendDB(db_path).reports())
    assert statuses == ["break", "fork", "ok"]


def test_the_openapi_document_describes_what_the_receiver_answers(
    client: TestClient, station: Station, tmp_path: Path
) -> None:
    doc = yaml.safe_load((ROOT / "docs" / "openapi.yaml").read_text())
    schemas = doc["components"]["schemas"]
    responses = doc["paths"]["/v1/reports"]["post"]["responses"]
    stored = station.make(1)[0]
    jsonschema.validate(stored.envelope, schemas["Envelope"])
    answers = [
        post(client, stored.envelope),
        post(client, stored.envelope),
        client.post("/v1/reports", content=b"x"),
        post(client, Station(tmp_path / "stranger").make(1)[0].envelope),
    ]
    assert [a.status_code for a in answers] == [201, 409, 400, 403]
    jsonschema.validate(answers[0].json(), schemas["Accepted"])
    for answer in answers[1:]:
        assert str(answer.status_code) in responses
        jsonschema.validate(answer.json(), {"$ref": "#/components/schemas/Error", "components": doc["components"]})


def test_health_answers_ok(client: TestClient) -> None:
    assert client.get("/v1/health").json() == {"status": "ok"}
