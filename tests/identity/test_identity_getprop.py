"""The getprop parser against real dumps (CRLF, UTF-16LE with a BOM, values over several
lines) and against anything at all."""

from __future__ import annotations

import codecs

import pytest
from conftest import CAPTURES, read_capture
from hypothesis import given
from hypothesis import strategies as st

from agent.formats.getprop import decode_text, parse_getprop

GETPROP_CAPTURES = sorted(p.name for p in CAPTURES.glob("android_getprop_*"))


def test_every_getprop_capture_is_covered() -> None:
    assert len(GETPROP_CAPTURES) >= 7


@pytest.mark.parametrize("name", GETPROP_CAPTURES)
def test_capture_props_match_their_expect_line(name: str) -> None:
    expect, body = read_capture(name)
    props = parse_getprop(body)
    for key, value in expect.items():
        if "." in key:  # property names; other keys (imei_slot0) are for the identity test
            assert props.get(key) == value, key


@pytest.mark.parametrize("name", GETPROP_CAPTURES)
def test_capture_parses_the_same_from_bytes_and_from_decoded_text(name: str) -> None:
    _, body = read_capture(name)
    assert parse_getprop(decode_text(body)) == parse_getprop(body)


def test_utf16le_dump_read_as_8bit_text_still_parses() -> None:
    """What a link that decoded a PowerShell-redirected dump as UTF-8 would hand over."""
    _, body = read_capture("android_getprop_full_samsung_s25plus_sm-s936b_a16_utf16le_crlf.txt")
    assert body.startswith(codecs.BOM_UTF16_LE)
    props = parse_getprop(body.decode("utf-8", errors="replace"))
    assert props["ro.product.model"] == "SM-S936B"
    assert props["ro.boot.em.model"] == "SM-S936B"


def test_value_over_several_lines_is_joined_with_newlines() -> None:
    _, body = read_capture("android_getprop_full_lg_v60_lm-v600_a11.txt")
    props = parse_getprop(body)
    assert props["persist.sys.boot.reason.history"] == (
        "reboot,atd,1626759463\nreboot,factory_reset,1626759434\ncold,1626759378"
    )


def test_crlf_endings_do_not_leak_into_values() -> None:
    _, body = read_capture("android_getprop_full_asus_tf201_a4.0.3_ics_crlf.txt")
    assert b"\r\n" in body
    props = parse_getprop(body)
    assert not any("\r" in v for v in props.values())
    assert props["ro.product.model"] == "TF201"


def test_unclosed_value_is_dropped_when_the_next_property_starts() -> None:
    props = parse_getprop("[a.b]: [never closed\n[c.d]: [ok]\n")
    assert props == {"c.d": "ok"}


def test_empty_value_and_noise_lines() -> None:
    props = parse_getprop("shell@phone:/ $ getprop\n[a.empty]: []\n[a.x]: [1]\n\n")
    assert props == {"a.empty": "", "a.x": "1"}


def test_decode_text_follows_the_byte_order_mark() -> None:
    text = "[ro.product.model]: [Pixel 7]\r\n"
    assert decode_text(codecs.BOM_UTF16_LE + text.encode("utf-16-le")) == text
    assert decode_text(codecs.BOM_UTF16_BE + text.encode("utf-16-be")) == text
    assert decode_text(codecs.BOM_UTF8 + text.encode()) == text
    assert decode_text(text.encode("utf-16-le")) == text  # no BOM: every other byte NUL
    assert decode_text(b"[a]: [\xff]") == "[a]: [\ufffd]"


@given(st.text())
def test_parse_getprop_never_raises_on_text(text: str) -> None:
    props = parse_getprop(text)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in props.items())


@given(st.binary())
def test_parse_getprop_and_decode_never_raise_on_bytes(raw: bytes) -> None:
    assert isinstance(decode_text(raw), str)
    parse_getprop(raw)


#: what a property value can hold and still print on one line (no NUL: props are C strings)
_VALUE = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\n\r"), max_size=30)


@given(st.dictionaries(st.from_regex(r"[a-z][a-z0-9_.]{0,20}", fullmatch=True), _VALUE))
def test_parse_getprop_reads_back_what_getprop_would_print(props: dict[str, str]) -> None:
    printed = "".join(f"[{k}]: [{v}]\n" for k, v in props.items())
    assert parse_getprop(printed) == props
    assert parse_getprop(codecs.BOM_UTF16_LE + printed.replace("\n", "\r\n").encode("utf-16-le")) == props
