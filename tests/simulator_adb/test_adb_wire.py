"""The ADB framing and the shell protocol, without sockets."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.simulator import adb_wire as w


def _decode_shell_v2(stream: bytes) -> tuple[bytes, bytes, int | None, list[int]]:
    out, err, code, sizes = b"", b"", None, []
    while stream:
        packet_id, length = w.SHELL_PACKET.unpack_from(stream)
        payload = stream[w.SHELL_PACKET.size:w.SHELL_PACKET.size + length]
        sizes.append(w.SHELL_PACKET.size + length)
        stream = stream[w.SHELL_PACKET.size + length:]
        if packet_id == w.SHELL_STDOUT:
            out += payload
        elif packet_id == w.SHELL_STDERR:
            err += payload
        elif packet_id == w.SHELL_EXIT:
            code = payload[0]
    return out, err, code, sizes


def test_message_round_trips_through_its_header() -> None:
    packed = w.pack(w.Message(w.A_WRTE, 7, 9, b"hello"))
    assert len(packed) == 24 + 5
    assert w.parse_header(packed[:24], w.MAX_PAYLOAD) == (w.A_WRTE, 7, 9, 5)
    assert w.HEADER.unpack(packed[:24])[4] == sum(b"hello")


def test_header_with_a_wrong_magic_is_refused() -> None:
    head = bytearray(w.pack(w.Message(w.A_OKAY, 1, 2))[:24])
    head[20] ^= 0xFF
    with pytest.raises(w.WireError, match="bad message header"):
        w.parse_header(bytes(head), w.MAX_PAYLOAD)


def test_header_announcing_more_than_max_payload_is_refused() -> None:
    head = w.pack(w.Message(w.A_WRTE, 1, 2, b"x" * 10))[:24]
    with pytest.raises(w.WireError, match="exceeds 4"):
        w.parse_header(head, 4)


def test_banner_puts_product_properties_first_drops_delayed_ack_and_says_it_is_simulated() -> None:
    props = {"ro.product.model": "Pixel 8 Pro", "ro.product.name": "husky", "ro.product.device": "husky"}
    assert w.banner("device", props, ["shell_v2", "delayed_ack", "cmd"]) == (
        b"device::ro.product.name=husky;ro.product.model=Pixel 8 Pro;ro.product.device=husky;"
        b"features=shell_v2,cmd,phonebench_simulated"
    )
    assert w.banner("recovery", {}, []).startswith(b"recovery::ro.product.name=;")


@pytest.mark.parametrize(
    ("service", "parsed"),
    [
        ("shell:getprop", (False, "getprop")),
        ("shell,v2:dumpsys battery", (True, "dumpsys battery")),
        ("shell,v2,raw:cat /a:b", (True, "cat /a:b")),
        ("shell,TERM=xterm,v2,pty:", (True, "")),
        ("sync:", None),
        ("shellx:ls", None),
        ("framebuffer", None),
    ],
)
def test_shell_services_are_told_apart_by_their_arguments(service: str, parsed: tuple[bool, str] | None) -> None:
    assert w.parse_shell_service(service) == parsed


@given(st.binary(max_size=3000), st.binary(max_size=3000), st.integers(0, 1000), st.integers(6, 700))
def test_shell_v2_stream_carries_everything_in_packets_that_fit(
    stdout: bytes, stderr: bytes, code: int, chunk: int
) -> None:
    stream = b"".join(w.shell_v2_stream(stdout, stderr, code, chunk))
    out, err, exit_code, sizes = _decode_shell_v2(stream)
    assert (out, err, exit_code) == (stdout, stderr, code & 0xFF)
    assert max(sizes) <= chunk
