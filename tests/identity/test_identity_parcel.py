"""Reading the string out of a `service call` reply: real replies, the shapes around
them, and anything at all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.formats.parcel import StringReply, parcel_words, parse_string_reply

DATA = Path(__file__).resolve().parent / "data"


def _reply(name: str) -> tuple[dict, str]:
    head, body = (DATA / name).read_bytes().split(b"# ---\n", 1)
    lines = head.decode("utf-8").splitlines()
    assert lines[0].startswith("# source: ")
    expect = json.loads(next(line for line in lines if line.startswith("# expect:"))[len("# expect:"):])
    return expect, body.decode("utf-8")


def test_real_success_reply_gives_the_imei() -> None:
    expect, body = _reply("iphonesubinfo_ok_samsung_galaxy_s5_kltetmo_masked.txt")
    assert parse_string_reply(body) == StringReply(expect["value"])


def test_real_android10_refusal_gives_the_exception_message_as_the_error() -> None:
    expect, body = _reply("iphonesubinfo_exception_redmi_10x_a10.txt")
    reply = parse_string_reply(body)
    assert reply.value is None
    assert reply.error is not None and expect["error_contains"] in reply.error
    assert "exception -1" in reply.error


def test_ascii_preview_column_is_never_read_as_words() -> None:
    """The preview of a string of hex digits looks like words; only the dump counts."""
    body = "Result: Parcel(00000000 00000004 00650064 00640061 'deadbeefdeadbeef')"
    assert parcel_words(body) == [0, 4, 0x00650064, 0x00640061]
    assert parse_string_reply(body).value == "dead"


def test_null_string_is_not_a_value() -> None:
    reply = parse_string_reply("Result: Parcel(00000000 ffffffff   '........')\n")
    assert reply == StringReply(None, "the phone answered a null string")


def test_length_past_the_end_of_the_dump_is_an_error_not_a_short_string() -> None:
    reply = parse_string_reply("Result: Parcel(00000000 0000000f 00350033   '....3.5.')")
    assert reply.value is None and "does not fit" in (reply.error or "")


def test_no_parcel_at_all_says_what_came_back() -> None:
    reply = parse_string_reply("service: Service iphonesubinfo does not exist\n")
    assert reply.value is None
    assert "no parcel" in (reply.error or "") and "does not exist" in (reply.error or "")
    assert parse_string_reply("").error == "no parcel in the reply ('nothing')"


def test_words_after_the_closing_parenthesis_are_ignored() -> None:
    body = "Result: Parcel(00000000 00000001 00000031 '....')\n0x00000000: 00000000 00000002\n"
    assert parcel_words(body) == [0, 1, 0x31]
    assert parse_string_reply(body).value == "1"


@pytest.mark.parametrize("header", ["ffffff80", "ffffff81"])
def test_reply_headers_are_refused_rather_than_misread(header: str) -> None:
    reply = parse_string_reply(f"Result: Parcel({header} 00000000 '........')")
    assert reply.value is None and "header" in (reply.error or "")


@given(st.text())
def test_parse_string_reply_never_raises(text: str) -> None:
    reply = parse_string_reply(text)
    assert (reply.value is None) != (reply.error is None)


@given(st.lists(st.integers(0, 0xFFFFFFFF), max_size=12), st.text(max_size=40))
def test_parse_string_reply_never_raises_on_any_words(words: list[int], tail: str) -> None:
    body = "Result: Parcel(\n  0x00000000: " + " ".join(f"{w:08x}" for w in words) + f" '{tail}')"
    reply = parse_string_reply(body)
    assert (reply.value is None) != (reply.error is None)


@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_any_string16_reads_back(text: str) -> None:
    units = list(text.encode("utf-16-le"))
    halves = [units[i] | units[i + 1] << 8 for i in range(0, len(units), 2)]
    halves += [0] * (len(halves) % 2)
    words = [0, len(units) // 2] + [halves[i] | halves[i + 1] << 16 for i in range(0, len(halves), 2)]
    body = "Result: Parcel(\n" + "\n".join(f"  0x{i * 4:08x}: {w:08x} '....'" for i, w in enumerate(words)) + ")"
    assert parse_string_reply(body) == StringReply(text)
