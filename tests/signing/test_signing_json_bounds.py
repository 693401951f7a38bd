"""JSON handed to ``phonebench verify`` is read within the YAML reader's bounds: deep nesting,
huge whole numbers and NaN are a one-line VerificationError, never a RecursionError."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from signing_helpers import key  # noqa: F401  (fixture)

from agent.errors import DataRefused as JsonRefused
from agent.errors import VerificationError
from agent.jsonfile import load_json
from agent.report.signing import StationKey, verify_envelope
from agent.report.verify import verify_path
from agent.yamlfile import MAX_DEPTH, MAX_DIGITS


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_json_within_the_bounds_reads_as_json_does() -> None:
    deep = json.loads(nested(MAX_DEPTH - 1))
    text = json.dumps({"a": ["[[{", '"]', 1.5, -3, None, "\\"], "n": int("9" * MAX_DIGITS), "deep": deep})
    assert load_json(text) == json.loads(text)
    assert load_json(text.encode("utf-16")) == json.loads(text)


@pytest.mark.parametrize(
    ("text", "what"),
    [
        (nested(MAX_DEPTH + 1), "nested more than 64 levels deep"),
        ("[" * 100_000, "nested more than 64 levels deep"),
        ('{"a": ' * 100_000, "nested more than 64 levels deep"),
        ("[" + "9" * (MAX_DIGITS + 1) + "]", "a whole number of more than 30 digits"),
        ("-" + "1" * 5_000, "a whole number of more than 30 digits"),
        ("[NaN]", "NaN is not a finite number"),
        ("-Infinity", "-Infinity is not a finite number"),
        ("1e999", "1e999 is not a finite number"),
    ],
    ids=["one too deep", "100,000 [", "100,000 {", "31 digits", "5,000 digits", "NaN", "-Infinity", "1e999"],
)
def test_json_past_the_bounds_is_refused_as_not_json(text: str, what: str) -> None:
    with pytest.raises(JsonRefused, match=f"^{what}$"):
        load_json(text)


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    text = json.dumps(["[" * 1000, '\\"' + "{" * 1000])
    assert load_json(text) == json.loads(text)


def test_an_unterminated_string_is_left_to_json_to_report() -> None:
    with pytest.raises(json.JSONDecodeError):
        load_json('["open' + "[" * 1000)


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("[" * 100_000, "nested more than 64 levels deep"),
        ('{"n": ' + "7" * 5_000 + "}", "a whole number of more than 30 digits"),
    ],
    ids=["100,000 [", "5,000 digits"],
)
def test_verify_names_the_file_on_one_line(tmp_path: Path, key: StationKey, text: str, what: str) -> None:  # noqa: F811
    bad = tmp_path / "000001-x.dsse.json"
    bad.write_text(text)
    with pytest.raises(VerificationError) as caught:
        verify_path(bad, station_key=key)
    assert str(caught.value) == f"{bad}: not a JSON envelope ({what})"


def test_a_signed_payload_nested_too_deep_is_refused_not_a_recursion_error(key: StationKey) -> None:  # noqa: F811
    with pytest.raises(VerificationError, match=r"^envelope: the payload is not JSON \(nested more than 64 levels deep\)$"):
        verify_envelope(key.sign(b"[" * 100_000), {key.keyid: key.public_key})
