"""The two framings the iOS simulator speaks, and nothing else.

usbmuxd (plist protocol, as libusbmuxd and pymobiledevice3 speak it), every packet:

    u32 LE  length, counting these 4 bytes and the 12-byte header
    u32 LE  version   1 (plist); 0 is the old binary protocol, which we do not serve
    u32 LE  message   8 (plist)
    u32 LE  tag       the client's request number, echoed in the reply; 0 on pushed events
    bytes   an XML plist dictionary

lockdownd and the services behind it (diagnostics_relay, MCInstall), every message:

    u32 BE  length of the plist
    bytes   an XML (or binary) plist dictionary

mobilebackup2 speaks DeviceLink in the same framing, with an array for the plist:
``[DLMessage name, arguments...]`` (``device_link_message`` / ``read_device_link_message``).

Kept apart from the servers so the framing can be read and tested without sockets.
"""

from __future__ import annotations

import asyncio
import plistlib
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from agent.errors import WireError

MUX_VERSION_PLIST = 1
MUX_MESSAGE_PLIST = 8
MUX_HEADER = struct.Struct("<IIII")
SERVICE_LENGTH = struct.Struct(">I")
#: the most we read in one message; a client sending more is broken or hostile
MAX_MESSAGE = 4 * 1024 * 1024


@dataclass(frozen=True)
class MuxPacket:
    version: int
    message: int
    tag: int
    body: Mapping[str, Any]


def mux_packet(body: Mapping[str, Any], tag: int) -> bytes:
    """One usbmuxd plist packet carrying ``body``."""
    payload = plistlib.dumps(dict(body))
    return MUX_HEADER.pack(MUX_HEADER.size + len(payload), MUX_VERSION_PLIST, MUX_MESSAGE_PLIST, tag) + payload


async def read_mux_packet(reader: asyncio.StreamReader) -> MuxPacket | None:
    """The next packet from a usbmuxd client, or None at a clean end of stream."""
    head = await _read_head(reader, MUX_HEADER.size, "usbmuxd packet")
    if head is None:
        return None
    length, version, message, tag = MUX_HEADER.unpack(head)
    if not MUX_HEADER.size <= length <= MAX_MESSAGE:
        raise WireError(f"usbmuxd packet of impossible length {length}")
    payload = await _read_exactly(reader, length - MUX_HEADER.size)
    body = _load_dict(payload) if message == MUX_MESSAGE_PLIST else {}
    return MuxPacket(version, message, tag, body)


def service_message(body: Mapping[str, Any], *, binary: bool = False) -> bytes:
    """One lockdownd/service message. ``binary`` plists can carry any text, control
    characters included, which XML cannot (garbage faults need that)."""
    payload = plistlib.dumps(dict(body), fmt=plistlib.FMT_BINARY if binary else plistlib.FMT_XML)
    return SERVICE_LENGTH.pack(len(payload)) + payload


async def read_service_message(reader: asyncio.StreamReader) -> Mapping[str, Any] | None:
    """The next request on a lockdownd or service connection, or None at end of stream."""
    head = await _read_head(reader, SERVICE_LENGTH.size, "service message")
    if head is None:
        return None
    (length,) = SERVICE_LENGTH.unpack(head)
    if length > MAX_MESSAGE:
        raise WireError(f"service message of impossible length {length}")
    return _load_dict(await _read_exactly(reader, length))


def device_link_message(body: list[Any]) -> bytes:
    """One DeviceLink message: the service framing around an XML plist array."""
    payload = plistlib.dumps(list(body))
    return SERVICE_LENGTH.pack(len(payload)) + payload


async def read_device_link_message(reader: asyncio.StreamReader) -> list[Any] | None:
    """The next DeviceLink message (a plist array whose first item names it), or None at end of stream."""
    head = await _read_head(reader, SERVICE_LENGTH.size, "DeviceLink message")
    if head is None:
        return None
    (length,) = SERVICE_LENGTH.unpack(head)
    if length > MAX_MESSAGE:
        raise WireError(f"DeviceLink message of impossible length {length}")
    payload = await _read_exactly(reader, length)
    try:
        body = plistlib.loads(payload)
    except Exception as e:  # plistlib raises several unrelated types on bad input
        raise WireError(f"not a plist: {payload[:32]!r}") from e
    if not isinstance(body, list) or not body or not isinstance(body[0], str):
        raise WireError(f"a DeviceLink message is an array led by its name, not a {type(body).__name__}")
    return body


async def _read_head(reader: asyncio.StreamReader, size: int, what: str) -> bytes | None:
    """A message header, or None when the peer closed cleanly between messages."""
    try:
        return await reader.readexactly(size)
    except asyncio.IncompleteReadError as e:
        if e.partial:
            raise WireError(f"{what} cut short") from e
        return None


async def _read_exactly(reader: asyncio.StreamReader, size: int) -> bytes:
    try:
        return await reader.readexactly(size)
    except asyncio.IncompleteReadError as e:
        raise WireError("message cut short") from e


def _load_dict(payload: bytes) -> Mapping[str, Any]:
    try:
        body = plistlib.loads(payload)
    except Exception as e:  # plistlib raises several unrelated types on bad input
        raise WireError(f"not a plist: {payload[:32]!r}") from e
    if not isinstance(body, dict):
        raise WireError(f"plist is a {type(body).__name__}, not a dictionary")
    return body


def plist_safe(value: Any) -> Any:
    """``value`` without what a plist cannot hold: YAML nulls are dropped (a phone leaves
    a key out rather than send a null), non-string keys become strings."""
    if isinstance(value, Mapping):
        return {str(k): plist_safe(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [plist_safe(v) for v in value if v is not None]
    return value
