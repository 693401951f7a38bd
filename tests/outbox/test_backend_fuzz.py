"""Whatever a client sends, the reference receiver answers it without a 5xx: random bytes,
random JSON, mutated envelopes, and reports signed by an enrolled key with any field changed."""

from __future__ import annotations

import base64
import copy
import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

with warnings.catch_warnings():  # starlette nudges towards httpx2; httpx is what the project has
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from outbox_helpers import sample_report

from agent.backend.app import create_app
from agent.backend.db import BackendDB
from agent.report.signing import StationKey, canonical_json

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60)
_INTS = st.one_of(st.integers(), st.sampled_from([0, -1, (1 << 63) - 1, 1 << 63, 1 << 64, -(1 << 63) - 1, 10**40]))
_SCALARS = st.one_of(st.none(), st.booleans(), _INTS, st.floats(allow_nan=False), st.text(max_size=20))
_JSON = st.recursive(_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                     max_leaves=20)


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> StationKey:
    return StationKey.load_or_create(tmp_path_factory.mktemp("fuzz-key") / "key.pem")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, key: StationKey) -> Iterator[TestClient]:
    path = tmp_path_factory.mktemp("fuzz-db") / "backend.sqlite3"
    BackendDB(path).enroll(key.public_pem().encode(), "test")
    with TestClient(create_app(path), raise_server_exceptions=False) as test_client:
        yield test_client


def _base_report(key: StationKey) -> dict[str, Any]:
    report = sample_report()
    report["station"] = {"id": key.default_station_id(), "key_id": key.keyid}
    report["chain"] = {"sequence": 1, "previous_digest": None}
    return report


def _paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    """Every place in ``doc`` (dict keys and list indexes), the root excluded."""
    if isinstance(doc, dict):
        items: Any = doc.items()
    elif isinstance(doc, list):
        items = enumerate(doc)
    else:
        return []
    out = []
    for k, v in items:
        out.append((*prefix, k))
        out.extend(_paths(v, (*prefix, k)))
    return out


def _mutate(doc: Any, data: st.DataObject) -> Any:
    """``doc`` with one place set to random JSON, deleted, or left alone."""
    doc = copy.deepcopy(doc)
    places = _paths(doc)
    if not places:
        return data.draw(_JSON)
    *parents, last = data.draw(st.sampled_from(places))
    node = doc
    for part in parents:
        node = node[part]
    if isinstance(node, dict) and data.draw(st.booleans()):
        del node[last]
    else:
        node[last] = data.draw(_JSON)
    return doc


def _headers(data: st.DataObject) -> dict[str, str]:
    headers = {}
    if data.draw(st.booleans()):
        headers["Idempotency-Key"] = data.draw(st.one_of(_HEADER_TEXT, st.uuids().map(str)))
    if data.draw(st.booleans()):
        headers["Authorization"] = data.draw(_HEADER_TEXT)
    if data.draw(st.booleans()):
        headers["Content-Type"] = data.draw(_HEADER_TEXT)
    return headers


def _assert_answered(response: Any) -> None:
    assert response.status_code < 500, response.text
    assert "error" in response.json() or response.status_code == 201


@FUZZ
@given(data=st.data())
def test_random_bytes_and_json_never_5xx(client: TestClient, data: st.DataObject) -> None:
    body = data.draw(st.one_of(st.binary(max_size=300), _JSON.map(lambda v: json.dumps(v).encode())))
    _assert_answered(client.post("/v1/reports", content=body, headers=_headers(data)))


@FUZZ
@given(data=st.data())
def test_mutated_envelopes_never_5xx(client: TestClient, key: StationKey, data: st.DataObject) -> None:
    envelope = _mutate(key.sign(canonical_json(_base_report(key))), data)
    _assert_answered(client.post("/v1/reports", content=json.dumps(envelope), headers=_headers(data)))


@FUZZ
@given(data=st.data())
def test_signed_mutated_reports_never_5xx(client: TestClient, key: StationKey, data: st.DataObject) -> None:
    """Past the signature: what an enrolled station (or its stolen key) could send."""
    report = _mutate(_base_report(key), data)
    payload = json.dumps(report).encode() if data.draw(st.booleans()) else _canonical_or_raw(report)
    envelope = key.sign(payload)
    _assert_answered(client.post("/v1/reports", content=json.dumps(envelope), headers=_headers(data)))


@FUZZ
@given(payload=st.binary(max_size=200))
def test_signed_random_payloads_never_5xx(client: TestClient, key: StationKey, payload: bytes) -> None:
    envelope = key.sign(payload)
    assert base64.b64decode(envelope["payload"]) == payload
    _assert_answered(client.post("/v1/reports", content=json.dumps(envelope)))


def _canonical_or_raw(report: Any) -> bytes:
    try:
        return canonical_json(report)
    except Exception:  # noqa: BLE001 (a float the canonical form refuses: send it as plain JSON instead)
        return json.dumps(report).encode()
