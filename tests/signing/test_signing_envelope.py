"""DSSE envelopes: what is signed, and that nothing else verifies."""

from __future__ import annotations

import base64
import copy
import hashlib
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st
from signing_helpers import chained, key, other_key, sample_report, signed  # noqa: F401  (fixtures)

from agent.errors import SigningError, UnknownKeyError, VerificationError
from agent.report.signing import (
    PAYLOAD_TYPE,
    StationKey,
    canonical_json,
    keyid_for,
    load_public_key,
    open_envelope,
    pae,
    payload_digest,
    verify_envelope,
)


def _keys(key: StationKey) -> dict:
    return {key.keyid: key.public_key}


def _with_payload(envelope: dict, payload: bytes) -> dict:
    out = copy.deepcopy(envelope)
    out["payload"] = base64.b64encode(payload).decode()
    return out


def _with_sig(envelope: dict, sig: bytes) -> dict:
    out = copy.deepcopy(envelope)
    out["signatures"][0]["sig"] = base64.b64encode(sig).decode()
    return out


def test_signed_report_verifies_and_comes_back_unchanged(key: StationKey) -> None:
    report = chained(sample_report(), key, 1, None)
    envelope = signed(report, key)
    assert envelope["payloadType"] == PAYLOAD_TYPE
    assert envelope["signatures"][0]["keyid"] == key.keyid
    assert verify_envelope(envelope, _keys(key)) == report


def test_pae_matches_the_dsse_v1_definition() -> None:
    expected = b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    assert pae("http://example.com/HelloWorld", b"hello world") == expected


def test_canonical_json_sorts_keys_drops_spaces_and_keeps_utf8() -> None:
    assert canonical_json({"b": 1, "a": ["é", None]}) == '{"a":["é",null],"b":1}'.encode()


def test_canonical_json_refuses_nan_with_a_signing_error() -> None:
    with pytest.raises(SigningError, match="canonical JSON"):
        canonical_json({"value": float("nan")})


def test_payload_digest_and_keyid_are_sha256_of_the_raw_bytes(key: StationKey) -> None:
    raw = key.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert len(raw) == 32
    assert keyid_for(key.public_key) == key.keyid == "sha256:" + hashlib.sha256(raw).hexdigest()
    assert payload_digest(b"abc") == "sha256:" + hashlib.sha256(b"abc").hexdigest()
    assert key.default_station_id() == "station-" + key.keyid[7:19]


def test_flipping_any_payload_byte_fails_verification(key: StationKey) -> None:
    envelope = signed(chained(sample_report(), key, 1, None), key)
    payload, _, _ = open_envelope(envelope)
    for i in range(len(payload)):
        changed = bytearray(payload)
        changed[i] ^= 0x01
        with pytest.raises(VerificationError, match="bad signature"):
            verify_envelope(_with_payload(envelope, bytes(changed)), _keys(key))


def test_flipping_any_signature_byte_fails_verification(key: StationKey) -> None:
    envelope = signed(chained(sample_report(), key, 1, None), key)
    _, _, sig = open_envelope(envelope)
    assert len(sig) == 64
    for i in range(len(sig)):
        for bit in (0x01, 0x80):
            changed = bytearray(sig)
            changed[i] ^= bit
            with pytest.raises(VerificationError, match="bad signature"):
                verify_envelope(_with_sig(envelope, bytes(changed)), _keys(key))


def test_a_key_the_verifier_does_not_know_is_an_unknown_key_error(key: StationKey, other_key: StationKey) -> None:
    envelope = signed(chained(sample_report(), other_key, 1, None), other_key)
    with pytest.raises(UnknownKeyError, match=other_key.keyid):
        verify_envelope(envelope, _keys(key))


def test_a_forged_keyid_is_a_bad_signature_not_an_unknown_key(key: StationKey, other_key: StationKey) -> None:
    envelope = signed(chained(sample_report(), key, 1, None), other_key)
    envelope["signatures"][0]["keyid"] = key.keyid
    with pytest.raises(VerificationError, match="bad signature") as caught:
        verify_envelope(envelope, _keys(key))
    assert not isinstance(caught.value, UnknownKeyError)


def test_a_report_naming_another_station_key_is_rejected(key: StationKey, other_key: StationKey) -> None:
    report = chained(sample_report(), key, 1, None)
    report["station"]["key_id"] = other_key.keyid
    with pytest.raises(VerificationError, match="is not the signing key"):
        verify_envelope(signed(report, key), _keys(key))


def test_a_signed_but_not_canonical_payload_is_rejected(key: StationKey) -> None:
    report = chained(sample_report(), key, 1, None)
    payload = json.dumps(report, indent=1).encode()
    envelope = key.sign(payload)
    with pytest.raises(VerificationError, match="not canonical"):
        verify_envelope(envelope, _keys(key))


def test_a_signed_payload_that_breaks_the_schema_is_rejected(key: StationKey) -> None:
    report = chained(sample_report(), key, 1, None)
    del report["grade"]
    with pytest.raises(VerificationError, match="report: 'grade' is a required property"):
        verify_envelope(signed(report, key), _keys(key))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda e: [], "expected a JSON object"),
        (lambda e: {**e, "payloadType": "application/json"}, "payloadType"),
        (lambda e: {**e, "signatures": []}, "exactly one signature"),
        (lambda e: {**e, "signatures": e["signatures"] * 2}, "exactly one signature"),
        (lambda e: {**e, "signatures": [{"sig": e["signatures"][0]["sig"]}]}, "no keyid"),
        (lambda e: {**e, "payload": "not base64!"}, "payload is not valid base64"),
        (lambda e: {**e, "payload": 12}, "payload is not a base64 string"),
        (lambda e: {**e, "signatures": [{**e["signatures"][0], "sig": "@@"}]}, "signature is not valid base64"),
    ],
)
def test_a_malformed_envelope_is_a_one_line_verification_error(key: StationKey, change, message: str) -> None:
    envelope = signed(chained(sample_report(), key, 1, None), key)
    with pytest.raises(VerificationError, match=message) as caught:
        verify_envelope(change(envelope), _keys(key))
    assert "\n" not in str(caught.value)


def test_a_payload_that_is_not_json_is_rejected_after_the_signature(key: StationKey) -> None:
    with pytest.raises(VerificationError, match="payload is not JSON"):
        verify_envelope(key.sign(b"\xff not json"), _keys(key))


def test_load_public_key_reads_the_station_public_pem(key: StationKey) -> None:
    loaded = load_public_key(key.public_pem().encode(), "key.pub")
    assert keyid_for(loaded) == key.keyid


def test_load_public_key_names_the_place_of_a_non_ed25519_key() -> None:
    pem = rsa.generate_private_key(65537, 2048).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(SigningError, match=r"^--pubkey rsa\.pem: holds a RSA public key, expected Ed25519$"):
        load_public_key(pem, "--pubkey rsa.pem")
    with pytest.raises(SigningError, match=r"^key\.pub: not a PEM public key"):
        load_public_key(b"hello", "key.pub")


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
_envelopes = st.fixed_dictionaries(
    {},
    optional={
        "payloadType": st.sampled_from([PAYLOAD_TYPE, "application/json"]) | _json,
        "payload": st.binary(max_size=40).map(lambda b: base64.b64encode(b).decode()) | _json,
        "signatures": st.lists(st.dictionaries(st.sampled_from(["keyid", "sig"]), _json), max_size=2) | _json,
    },
)


@settings(max_examples=300, deadline=None)
@given(_envelopes | _json)
def test_any_json_as_an_envelope_fails_only_with_a_verification_error(envelope: object) -> None:
    key = StationKey(Ed25519PrivateKey.from_private_bytes(bytes(32)))
    try:
        verify_envelope(envelope, {key.keyid: key.public_key})
    except VerificationError as e:
        assert "\n" not in str(e)
    else:
        raise AssertionError("an arbitrary document verified")
