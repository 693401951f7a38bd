"""The simulator's framing never trips over what a host sends: bytes are a packet, the
end of the stream, or a WireError that drops only that connection."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Awaitable, Callable

from hypothesis import given
from hypothesis import strategies as st

from agent.simulator.ios_wire import (
    MuxPacket,
    WireError,
    mux_packet,
    plist_safe,
    read_mux_packet,
    read_service_message,
    service_message,
)


def _feed(data: bytes) -> asyncio.StreamReader:
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    return reader


def _parse(reading: Callable[[asyncio.StreamReader], Awaitable[object]], data: bytes) -> object:
    async def run() -> object:
        try:
            return await reading(_feed(data))
        except WireError:
            return WireError

    return asyncio.run(run())


@given(st.binary(max_size=64))
def test_arbitrary_bytes_to_usbmuxd_are_a_packet_an_end_or_a_wire_error(data: bytes) -> None:
    result = _parse(read_mux_packet, data)
    assert result is None or result is WireError or isinstance(result, MuxPacket)


@given(st.binary(max_size=64))
def test_arbitrary_bytes_to_lockdownd_are_a_message_an_end_or_a_wire_error(data: bytes) -> None:
    result = _parse(read_service_message, data)
    assert result is None or result is WireError or isinstance(result, dict)


def test_a_usbmuxd_packet_reads_back_with_its_tag() -> None:
    packet = _parse(read_mux_packet, mux_packet({"MessageType": "Result", "Number": 0}, 7))
    assert packet == MuxPacket(1, 8, 7, {"MessageType": "Result", "Number": 0})


def test_a_lockdown_message_with_control_characters_survives_as_binary_plist() -> None:
    body = {"Value": "\x00\x1b[31m\ufffd"}
    assert _parse(read_service_message, service_message(body, binary=True)) == body


def test_a_length_past_the_limit_is_refused_before_reading_it() -> None:
    assert _parse(read_service_message, struct.pack(">I", 1 << 30)) is WireError


def test_nulls_from_yaml_are_left_out_of_plists() -> None:
    assert plist_safe({"a": None, "b": [1, None], "c": {"d": None}}) == {"b": [1], "c": {}}


def test_a_device_link_message_round_trips_and_a_dictionary_is_not_one() -> None:
    from agent.simulator.ios_wire import device_link_message, read_device_link_message

    message = ["DLMessageProcessMessage", {"MessageName": "EraseDevice", "TargetIdentifier": "U"}]
    assert _parse(read_device_link_message, device_link_message(message)) == message
    assert _parse(read_device_link_message, service_message({"Request": "QueryType"})) is WireError
    assert _parse(read_device_link_message, device_link_message([])) is WireError
    assert _parse(read_device_link_message, b"") is None


@given(st.binary(max_size=64))
def test_device_link_framing_survives_any_bytes(data: bytes) -> None:
    from agent.simulator.ios_wire import read_device_link_message

    result = _parse(read_device_link_message, data)
    assert result is None or result is WireError or isinstance(result, list)
