"""The bytes of the ADB transport protocol and of the shell protocol, and nothing else.

Kept apart from the simulator so the framing can be read (and tested) without sockets.
References: AOSP packages/modules/adb protocol.txt, SERVICES.TXT and shell_protocol.h.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from agent.errors import WireError
from agent.links.base import SIMULATOR_ADB_FEATURE

A_SYNC = 0x434E5953
A_CNXN = 0x4E584E43
A_AUTH = 0x48545541
A_OPEN = 0x4E45504F
A_OKAY = 0x59414B4F
A_CLSE = 0x45534C43
A_WRTE = 0x45545257
A_STLS = 0x534C5453

#: the version from which checksums may be 0 (adb's A_VERSION_SKIP_CHECKSUM)
A_VERSION = 0x01000001
#: what we offer as the largest payload; the host takes the smaller of its own and ours
MAX_PAYLOAD = 256 * 1024

AUTH_TOKEN = 1
AUTH_SIGNATURE = 2
AUTH_RSAPUBLICKEY = 3
TOKEN_SIZE = 20

HEADER = struct.Struct("<6I")

# shell protocol v2 packet ids (shell_protocol.h)
SHELL_STDIN = 0
SHELL_STDOUT = 1
SHELL_STDERR = 2
SHELL_EXIT = 3
SHELL_CLOSE_STDIN = 4
SHELL_WINDOW_SIZE = 5
SHELL_PACKET = struct.Struct("<BI")

#: the banner properties adbd puts in its CNXN, in adbd's order
BANNER_PROPERTIES = ("ro.product.name", "ro.product.model", "ro.product.device")
#: features we do not speak even when the recorded phone did: with delayed_ack the host
#: would expect byte counts in OKAY payloads and send more than one WRTE in flight
UNSUPPORTED_FEATURES = frozenset({"delayed_ack"})

_NAMES = {A_SYNC: "SYNC", A_CNXN: "CNXN", A_AUTH: "AUTH", A_OPEN: "OPEN",
          A_OKAY: "OKAY", A_CLSE: "CLSE", A_WRTE: "WRTE", A_STLS: "STLS"}


@dataclass(frozen=True)
class Message:
    command: int
    arg0: int
    arg1: int
    data: bytes = b""

    @property
    def name(self) -> str:
        return _NAMES.get(self.command, f"0x{self.command:08x}")


def checksum(data: bytes) -> int:
    """adb's "crc32" is the byte sum; receivers of version >= A_VERSION ignore it, but
    older ones check it, so we always send the real one."""
    return sum(data) & 0xFFFFFFFF


def pack(message: Message) -> bytes:
    data = message.data
    head = HEADER.pack(message.command, message.arg0, message.arg1, len(data),
                       checksum(data), message.command ^ 0xFFFFFFFF)
    return head + data


def parse_header(head: bytes, max_payload: int) -> tuple[int, int, int, int]:
    """(command, arg0, arg1, data_length) of a 24-byte header, refusing nonsense."""
    command, arg0, arg1, length, _crc, magic = HEADER.unpack(head)
    if command not in _NAMES or magic != command ^ 0xFFFFFFFF:
        raise WireError(f"bad message header {head.hex()}")
    if length > max_payload:
        raise WireError(f"{_NAMES[command]} payload of {length} bytes exceeds {max_payload}")
    return command, arg0, arg1, length


def banner(state: str, properties: Mapping[str, str], features: Sequence[str]) -> bytes:
    """adbd's connection string: ``device::ro.product.name=…;…;features=a,b`` (the part
    before ``::`` is the state the host shows: device, recovery, sideload)."""
    props = [f"{key}={properties.get(key, '')}" for key in BANNER_PROPERTIES]
    props += [f"{k}={v}" for k, v in properties.items() if k not in BANNER_PROPERTIES]
    offered = [f for f in features if f not in UNSUPPORTED_FEATURES] + [SIMULATOR_ADB_FEATURE]
    props.append("features=" + ",".join(offered))
    return f"{state}::{';'.join(props)}".encode()


def shell_packet(packet_id: int, payload: bytes) -> bytes:
    return SHELL_PACKET.pack(packet_id, len(payload)) + payload


def shell_v2_stream(stdout: bytes, stderr: bytes, exit_code: int, chunk: int) -> Iterator[bytes]:
    """The shell protocol packets for one finished command, none larger than ``chunk``
    bytes including its 5-byte header; the exit code travels as one byte, as on a phone."""
    room = chunk - SHELL_PACKET.size
    for packet_id, data in ((SHELL_STDOUT, stdout), (SHELL_STDERR, stderr)):
        for start in range(0, len(data), room):
            yield shell_packet(packet_id, data[start:start + room])
    yield shell_packet(SHELL_EXIT, bytes([exit_code & 0xFF]))


def service_of(data: bytes) -> str:
    """The service name an OPEN carries (NUL-terminated, UTF-8)."""
    return data.rstrip(b"\x00").decode("utf-8", errors="replace")


def parse_shell_service(service: str) -> tuple[bool, str] | None:
    """(speaks v2, command) for ``shell:cmd``, ``shell,v2:cmd``, ``shell,v2,raw:cmd``, …;
    None for any other service."""
    head, sep, command = service.partition(":")
    if not sep:
        return None
    args = head.split(",")
    if args[0] != "shell":
        return None
    return "v2" in args[1:], command
