"""What the reference receiver refuses: a key's report naming another station, a provenance it
does not accept, numbers and nesting out of range; and how a refusal shows in the chain."""

from __future__ import annotations

import json
import sqlite3
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

with warnings.catch_warnings():  # starlette nudges towards httpx2; httpx is what the project has
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from outbox_helpers import (
    ROOT,
    Station,
    run_backend_cli,
    sample_report,
    station,  # noqa: F401  (fixture)
)

from agent.backend import __main__ as backend_main
from agent.backend.app import create_app
from agent.backend.db import BackendDB, default_station_id
from agent.report.signing import StationKey, canonical_json, payload_digest


@pytest.fixture
def db_path(tmp_path: Path, station: Station) -> Path:
    path = tmp_path / "backend.sqlite3"
    BackendDB(path).enroll(station.key.public_pem().encode(), "test")
    return path


@pytest.fixture
def client(db_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(db_path), raise_server_exceptions=True) as test_client:
        yield test_client


#: a transport id each provenance's link would write
TRANSPORTS = {"usb": "usb:1-1.3", "network": "192.168.1.20:5555", "simulated": "adb:127.0.0.1:40001", "replay": None}


class Chain:
    """Hand-made, correctly linked reports of one key, with whatever changes a test wants."""

    def __init__(self, key: StationKey) -> None:
        self.key, self.previous = key, None  # type: ignore[var-annotated]
        self.sequence = 0

    def next(self, provenance: str | None = "usb", **changes: Any) -> dict:
        report = sample_report()
        report["station"] = {"id": self.key.default_station_id(), "key_id": self.key.keyid}
        if provenance is not None:
            report["session"]["provenance"] = provenance
            report["session"]["transport_id"] = TRANSPORTS[provenance]
        else:  # a station from before phonebench.report/2, which had no provenance
            report["schema"] = "phonebench.report/1"
            for key in ("provenance", "transport_id"):
                del report["session"][key]
        self.sequence += 1
        report["chain"] = {"sequence": self.sequence, "previous_digest": self.previous}
        report.update(changes)
        payload = canonical_json(report)
        self.previous = payload_digest(payload)
        return self.key.sign(payload)


def post(client: TestClient, envelope: object, **headers: str) -> Any:
    return client.post("/v1/reports", content=json.dumps(envelope), headers=headers)


def chain_rows(db_path: Path) -> dict[int, tuple[str, str | None]]:
    return {r.sequence: (r.chain, r.chain_detail) for r in BackendDB(db_path).chain_view()}


# -- 1. a key is bound to its station ------------------------------------------------------------

def test_a_report_naming_another_station_is_403_and_not_stored(client: TestClient, station: Station,
                                                               db_path: Path) -> None:
    spoofed = Chain(station.key).next(station={"id": "bench-7", "key_id": station.key.keyid})
    response = post(client, spoofed)
    assert response.status_code == 403
    assert response.json()["error"] == (
        f"station.id 'bench-7' is not the station this key is enrolled for ('{station.key.default_station_id()}')"
    )
    assert BackendDB(db_path).reports() == []


def test_enroll_binds_the_keys_default_station_unless_told(tmp_path: Path, station: Station) -> None:
    db = BackendDB(tmp_path / "b.sqlite3")
    keyid = db.enroll(station.key.public_pem().encode(), "test")
    assert db.station_for(keyid) == station.key.default_station_id() == default_station_id(keyid)
    db.enroll(station.key.public_pem().encode(), "test", "bench-3")
    assert db.station_for(keyid) == "bench-3"
    db.enroll(station.key.public_pem().encode(), "test")  # enrolling again without an id keeps the binding
    assert db.station_for(keyid) == "bench-3"


def test_enroll_station_id_on_the_command_line(tmp_path: Path, station: Station) -> None:
    db = tmp_path / "b.sqlite3"
    done = run_backend_cli("enroll", str(station.root / "pub.pem"), "--db", str(db), "--station-id", "bench-3")
    assert done.returncode == 0 and done.stdout == f"enrolled {station.key.keyid}\n"
    assert "bench-3" in done.stderr
    assert BackendDB(db).station_for(station.key.keyid) == "bench-3"


def _old_database(path: Path, key: StationKey, reports: dict[int, str]) -> None:
    """A receiver database as it was before keys had stations: ``reports`` maps sequence to station id."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE keys (keyid TEXT PRIMARY KEY, public_pem TEXT NOT NULL, enrolled_at TEXT NOT NULL)")
        db.execute("""CREATE TABLE reports (
            report_id TEXT PRIMARY KEY, keyid TEXT NOT NULL, station_id TEXT NOT NULL,
            sequence INTEGER NOT NULL, previous_digest TEXT, payload_digest TEXT NOT NULL,
            envelope TEXT NOT NULL, received_at TEXT NOT NULL,
            chain TEXT NOT NULL, chain_detail TEXT, duplicates INTEGER NOT NULL DEFAULT 0)""")
        db.execute("INSERT INTO keys VALUES (?, ?, ?)", (key.keyid, key.public_pem(), "2026-01-01T00:00:00Z"))
        for sequence, station_id in reports.items():
            db.execute("INSERT INTO reports VALUES (?, ?, ?, ?, NULL, 'sha256:x', '{}', ?, 'ok', NULL, 0)",
                       (f"r{sequence}", key.keyid, station_id, sequence, f"2026-01-0{sequence}T00:00:00Z"))
    db.close()


def test_an_old_database_binds_keys_from_their_earliest_stored_report(tmp_path: Path, station: Station) -> None:
    path = tmp_path / "old.sqlite3"
    _old_database(path, station.key, {1: "bench-old", 2: "bench-other"})
    db = BackendDB(path)
    assert db.station_for(station.key.keyid) == "bench-old"
    assert [r.provenance for r in db.reports()] == [None, None]


def test_an_old_key_without_reports_is_bound_by_its_first_accepted_report(tmp_path: Path, station: Station) -> None:
    path = tmp_path / "old.sqlite3"
    _old_database(path, station.key, {})
    assert BackendDB(path).station_for(station.key.keyid) is None
    chain = Chain(station.key)
    with TestClient(create_app(path)) as client:
        assert post(client, chain.next(station={"id": "bench-9", "key_id": station.key.keyid})).status_code == 201
        assert BackendDB(path).station_for(station.key.keyid) == "bench-9"
        assert post(client, chain.next()).status_code == 403  # now the default id is someone else's


# -- 2. nothing a client sends gives 5xx ---------------------------------------------------------

@pytest.mark.parametrize("sequence", [1 << 63, 1 << 64, 10**20])
def test_a_sequence_beyond_64_bits_is_400(client: TestClient, station: Station, db_path: Path, sequence: int) -> None:
    response = post(client, Chain(station.key).next(chain={"sequence": sequence, "previous_digest": "sha256:" + "0" * 64}))
    assert response.status_code == 400 and "chain.sequence" in response.json()["error"]
    assert BackendDB(db_path).count() == 0


@pytest.mark.parametrize("sequence", [0, -1, -(1 << 63) - 1])
def test_a_sequence_below_one_is_400(client: TestClient, station: Station, sequence: int) -> None:
    response = post(client, Chain(station.key).next(chain={"sequence": sequence, "previous_digest": "sha256:" + "0" * 64}))
    assert response.status_code == 400 and "chain.sequence" in response.json()["error"]


def test_the_largest_sequence_is_stored(client: TestClient, station: Station, db_path: Path) -> None:
    top = (1 << 63) - 1
    response = post(client, Chain(station.key).next(chain={"sequence": top, "previous_digest": "sha256:" + "0" * 64}))
    assert response.status_code == 201 and response.json()["chain"]["status"] == "gap"
    assert BackendDB(db_path).reports()[0].sequence == top


@pytest.mark.parametrize("body", [b"[" * 100_000, b'{"a":' * 100_000, b"[" * 100_000 + b"]" * 100_000])
def test_json_nested_too_deep_is_400(client: TestClient, body: bytes) -> None:
    response = client.post("/v1/reports", content=body)
    assert response.status_code == 400 and "nested more than" in response.json()["error"]


def test_a_signed_payload_too_deep_or_not_encodable_is_400(client: TestClient, station: Station) -> None:
    deep = station.key.sign(b"[" * 50_000 + b"]" * 50_000)
    surrogate = station.key.sign(b'{"x": "\\ud800"}')
    huge_number = station.key.sign(b"1" + b"0" * 10_000)
    for envelope in (deep, surrogate, huge_number):
        response = post(client, envelope)
        assert response.status_code == 400, response.text
        assert "\n" not in response.json()["error"]


@pytest.mark.parametrize("key", ["not-a-uuid", "", "00000000-0000-4000-8000-00000000000Z", "x" * 1000])
def test_a_malformed_idempotency_key_is_400(client: TestClient, station: Station, key: str) -> None:
    response = post(client, Chain(station.key).next(), **{"Idempotency-Key": key})
    assert response.status_code == 400 and response.json()["error"] == "Idempotency-Key is not a UUID"


# -- 3. provenance -------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["simulated", "replay"])
def test_a_non_usb_provenance_is_refused_by_default(client: TestClient, station: Station, db_path: Path,
                                                   kind: str) -> None:
    response = post(client, Chain(station.key).next(kind))
    assert response.status_code == 422
    assert response.json()["error"] == f"session.provenance '{kind}' is not accepted by this receiver"
    assert BackendDB(db_path).reports() == []


def test_usb_network_and_unsaid_provenance_are_accepted_and_listed(client: TestClient, station: Station,
                                                                   db_path: Path) -> None:
    chain = Chain(station.key)
    for kind in ("usb", "network", None):
        assert post(client, chain.next(kind)).status_code == 201
    assert [r.provenance for r in BackendDB(db_path).reports()] == ["usb", "network", None]


@pytest.mark.parametrize(("kind", "transport", "why"), [
    ("usb", "192.168.1.20:5555", "is not a USB transport"),
    ("usb", None, "names no transport (session.transport_id is null)"),
    ("network", "usb:1-1.3", "is a USB transport"),
    ("network", "usbmux:devid 3", "is a USB transport"),
    ("network", "127.0.0.1:40001", "on the station's loopback"),
    ("network", "localhost:5555", "on the station's loopback"),
    ("network", "adb:127.0.0.1:40001", "on the station's loopback"),
])
def test_a_provenance_its_transport_contradicts_is_422_and_recorded(client: TestClient, station: Station,
                                                                    db_path: Path, kind: str,
                                                                    transport: str | None, why: str) -> None:
    response = post(client, Chain(station.key).next(kind, session=_session(kind, transport)))
    assert response.status_code == 422
    assert response.json()["error"].startswith(f"session.provenance '{kind}'") and why in response.json()["error"]
    assert BackendDB(db_path).reports() == []
    assert chain_rows(db_path)[1][0] == "rejected"


def test_usb_through_usbmux_and_a_network_phone_on_the_lan_are_consistent(client: TestClient, station: Station) -> None:
    chain = Chain(station.key)
    assert post(client, chain.next("usb", session=_session("usb", "usbmux:devid 7"))).status_code == 201
    assert post(client, chain.next("network", session=_session("network", "pixel-7._adb-tls-connect._tcp"))).status_code == 201


def _session(kind: str, transport: str | None) -> dict[str, Any]:
    return {**sample_report()["session"], "provenance": kind, "transport_id": transport}


def test_accepted_provenances_are_taken_when_configured(db_path: Path, station: Station) -> None:
    chain = Chain(station.key)
    with TestClient(create_app(db_path, accept_provenance=["simulated", "replay"])) as client:
        assert post(client, chain.next("simulated")).status_code == 201
        assert post(client, chain.next("replay")).status_code == 201
    assert [(r.provenance, r.chain) for r in BackendDB(db_path).reports()] == [("simulated", "ok"), ("replay", "ok")]


def test_required_provenance_refuses_a_report_that_does_not_say(db_path: Path, station: Station) -> None:
    with TestClient(create_app(db_path, require_provenance=True)) as client:
        response = post(client, Chain(station.key).next(None))
    assert response.status_code == 422 and "session.provenance is missing" in response.json()["error"]


def test_an_unknown_provenance_kind_in_the_configuration_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown provenance 'lab'"):
        create_app(tmp_path / "b.sqlite3", accept_provenance=["lab"])
    done = run_backend_cli("serve", "--port", "0", "--db", str(tmp_path / "b.sqlite3"), "--accept-provenance", "lab")
    assert done.returncode != 0 and "unknown provenance 'lab'" in done.stderr and "Traceback" not in done.stderr


# -- 4. a refusal explains the gap it leaves -----------------------------------------------------

def test_a_refused_report_is_recorded_against_its_sequence(client: TestClient, station: Station,
                                                          db_path: Path) -> None:
    chain = Chain(station.key)
    envelopes = [chain.next("usb"), chain.next("simulated"), chain.next("usb")]
    assert [post(client, e).status_code for e in envelopes] == [201, 422, 201]
    reason = "session.provenance 'simulated' is not accepted by this receiver"
    assert chain_rows(db_path) == {
        1: ("ok", None),
        2: ("rejected", reason),
        3: ("explained", f"sequence 2 was rejected: {reason}"),
    }
    assert [r.sequence for r in BackendDB(db_path).reports()] == [1, 3]  # the refused one is not stored


def test_a_refusal_arriving_late_explains_the_gap_already_flagged(client: TestClient, station: Station,
                                                                 db_path: Path) -> None:
    chain = Chain(station.key)
    one, two, three = chain.next(), chain.next(station={"id": "bench-x", "key_id": station.key.keyid}), chain.next()
    post(client, one)
    assert post(client, three).json()["chain"]["status"] == "gap"
    assert post(client, two).status_code == 403
    assert chain_rows(db_path)[3][0] == "explained"
    assert chain_rows(db_path)[2] == ("rejected", (
        f"station.id 'bench-x' is not the station this key is enrolled for ('{station.key.default_station_id()}')"))


def test_backend_list_shows_provenance_and_rejections(client: TestClient, station: Station, db_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    chain = Chain(station.key)
    for kind in ("usb", "replay", None):
        post(client, chain.next(kind))
    assert backend_main.main(["list", "--db", str(db_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[4] for line in lines[:3]] == ["usb", "replay", "unknown"]
    assert "rejected (session.provenance 'replay' is not accepted" in lines[1]
    assert lines[2].split()[5] == "explained" and lines[3] == "2 report(s)"
    assert backend_main.main(["list", "--db", str(db_path), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [r["provenance"] for r in doc["reports"]] == ["usb", None]
    assert [(r["sequence"], r["chain"]) for r in doc["rejections"]] == [(2, "rejected")]


def test_the_openapi_document_describes_the_refusals(client: TestClient, station: Station) -> None:
    doc = yaml.safe_load((ROOT / "docs" / "openapi.yaml").read_text())
    responses = doc["paths"]["/v1/reports"]["post"]["responses"]
    chain = Chain(station.key)
    ok, refused, explained = chain.next(), chain.next("replay"), chain.next()
    answers = [
        post(client, ok),
        post(client, refused),
        post(client, explained),
        post(client, Chain(station.key).next(station={"id": "bench-7", "key_id": station.key.keyid})),
        client.post("/v1/reports", content=b"[" * 100_000),
        post(client, ok, **{"Idempotency-Key": "nope"}),
    ]
    assert [a.status_code for a in answers] == [201, 422, 201, 403, 400, 400]
    jsonschema.validate(answers[2].json(), {"$ref": "#/components/schemas/Accepted", "components": doc["components"]})
    assert answers[2].json()["chain"]["status"] == "explained"
    for answer in answers[1:2] + answers[3:]:
        assert str(answer.status_code) in responses
        jsonschema.validate(answer.json(), {"$ref": "#/components/schemas/Error", "components": doc["components"]})


def test_a_report_stored_before_a_stricter_policy_is_still_409(db_path: Path, station: Station) -> None:
    unsaid = Chain(station.key).next(None)
    with TestClient(create_app(db_path)) as client:
        assert post(client, unsaid).status_code == 201
    with TestClient(create_app(db_path, require_provenance=True)) as client:
        assert post(client, unsaid).status_code == 409
    assert BackendDB(db_path).rejections() == []
