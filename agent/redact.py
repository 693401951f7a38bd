"""Redaction of a recorded phone: who the phone belongs to stays on the bench.

A recording is shared (bug reports, CI fixtures), so by default every identifier in it is
replaced before it is written: IMEIs, serials, the UDID and ECID, phone numbers, ICCIDs and
IMSIs, Wi-Fi/Bluetooth MAC addresses, the owner's device name and account (e-mail) names.

Identifiers are found where phones keep them (lockdown and IORegistry keys, getprop keys,
the IMEI parcel) plus MAC and e-mail patterns anywhere; then every occurrence, in every
output, gets the same placeholder. Placeholders keep the format, so the checks still parse
them and a replay still measures the same phone: an IMEI keeps its type code (TAC) and stays
Luhn-valid, a serial keeps its length and alphabet, a UDID its form, a MAC its vendor prefix.
They are drawn at random per recording: a hash of the original could be reversed by trying
every IMEI of a model.
"""

from __future__ import annotations

import random
import re
import secrets
from collections.abc import Iterator, Mapping
from typing import Any

from checks.commands import GETPROP, IMEI
from checks.parsers.getprop import parse_getprop
from checks.parsers.imei import IMEI_PROP, luhn_digit, luhn_ok
from checks.parsers.parcel import PARCEL_OFFSET, PARCEL_START, PARCEL_WORD, parse_string_reply

#: lockdown / IORegistry keys (at any depth) that hold an identifier, and its kind
KEYS: Mapping[str, str] = {
    "SerialNumber": "serial", "MLBSerialNumber": "serial", "MobileEquipmentIdentifier": "serial",
    "BatterySerialNumber": "serial", "Serial": "serial", "UniqueDeviceID": "udid",
    "InternationalMobileEquipmentIdentity": "imei", "InternationalMobileEquipmentIdentity2": "imei",
    "InternationalMobileSubscriberIdentity": "imsi", "IntegratedCircuitCardIdentity": "iccid",
    "PhoneNumber": "phone", "WiFiAddress": "mac", "BluetoothAddress": "mac", "EthernetAddress": "mac",
    "DeviceName": "device_name", "UniqueChipID": "ecid", "DieID": "ecid", "BasebandSerialNumber": "serial",
}  # fmt: skip
#: getprop keys by their last dotted part (``ro.boot.serialno`` -> ``serialno``)
PROP_KINDS: Mapping[str, str] = {
    "serialno": "serial", "serial": "serial", "serialnumber": "serial", "hostname": "serial",
    "iccid": "iccid", "imsi": "imsi", "msisdn": "phone", "device_name": "device_name",
    "btmacaddr": "mac", "wifimacaddr": "mac", "macaddr": "mac",
}  # fmt: skip
_NOT_IDS = frozenset({"", "unknown", "running", "stopped", "none", "null", "0", "1", "yes", "no", "true", "false"})
_MAC = re.compile(r"(?<![0-9A-Fa-f:-])[0-9A-Fa-f]{2}([:-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}(?![0-9A-Fa-f:-])")
_NOT_MACS = frozenset({"000000000000", "ffffffffffff", "020000000000"})
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_HEX = frozenset("0123456789abcdef")
#: shorter values are no identifier, and replacing them would hit unrelated text
MIN_LENGTH = 4


class Redactor:
    """Learns identifiers, then replaces each one by the same placeholder everywhere."""

    def __init__(self, rng: random.Random | None = None, device_name: str = "Phone") -> None:
        self.rng = rng or random.Random(secrets.randbits(64))
        self.device_name = device_name
        self.replaced: dict[str, str] = {}  # original -> placeholder
        self._macs: dict[str, str] = {}  # 12 lowercase hex digits -> placeholder digits
        self._numbers: dict[int, int] = {}
        self._pattern: re.Pattern[str] | None = None

    # -- learning -----------------------------------------------------------------------

    def learn(self, kind: str, value: Any) -> None:
        """Note one identifier of ``kind``; values that identify nothing are ignored."""
        if isinstance(value, int) and not isinstance(value, bool):
            self._learn_number(kind, value)
            return
        if not isinstance(value, str) or not value.strip() or value.strip() == self.device_name:
            return
        value = value.strip()
        if kind != "device_name" and (value.lower() in _NOT_IDS or len(value) < MIN_LENGTH):
            return
        if kind == "mac" and _MAC.fullmatch(value):
            self._learn_mac(value)
        elif value not in self.replaced:
            placeholder = self._draw(kind, value)
            if placeholder != value:
                self.replaced[value] = placeholder
                self._pattern = None

    def learn_patterns(self, text: str) -> None:
        """MAC and e-mail addresses anywhere in ``text``."""
        for match in _MAC.finditer(text):
            self._learn_mac(match.group(0))
        for match in _EMAIL.finditer(text):
            if match.group(0) not in self.replaced:
                self.replaced[match.group(0)] = f"user{len(self.replaced) + 1}@example.com"
                self._pattern = None

    def _learn_mac(self, mac: str) -> None:
        digits = re.sub("[^0-9A-Fa-f]", "", mac).lower()
        if digits not in _NOT_MACS and digits not in self._macs:
            self._macs[digits] = digits[:6] + "".join(self.rng.choice("0123456789abcdef") for _ in range(6))

    def _learn_number(self, kind: str, value: int) -> None:
        if kind == "ecid" and value > 0 and value not in self._numbers:
            udid_tail = next((p for o, p in self.replaced.items() if o.upper().endswith(f"-{value:016X}")), None)
            low = 10 ** (len(str(value)) - 1)
            self._numbers[value] = int(udid_tail[-16:], 16) if udid_tail else self.rng.randrange(low, low * 10)

    def _draw(self, kind: str, value: str) -> str:
        for _ in range(100):  # a placeholder must never equal what it hides
            placeholder = self._placeholder(kind, value)
            if placeholder != value and placeholder not in self.replaced.values():
                return placeholder
        return self._placeholder("serial", value)

    def _placeholder(self, kind: str, value: str) -> str:
        if kind == "device_name":
            return self.device_name
        digits = value.isascii() and value.isdigit()  # str.isdigit alone lets '²' through
        if kind == "imei" and digits and len(value) in (14, 15):
            body = value[:8] + self._digits(6)
            return body + luhn_digit(body) if len(value) == 15 else body
        if kind == "iccid" and digits and len(value) >= 18:
            body = value[:6] + self._digits(len(value) - 7)
            return body + (luhn_digit(body) if luhn_ok(value) else self._digits(1))
        if kind == "imsi" and digits:
            return value[:5] + self._digits(len(value) - 5)
        if kind == "phone":
            head = 2 if value.startswith("+") else 1
            return value[:head] + self._shaped(value[head:])
        if kind == "udid" and len(value) == 25 and value[8] == "-":
            return value[:9] + self._shaped(value[9:])
        return self._shaped(value)

    def _digits(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789") for _ in range(n))

    def _shaped(self, value: str) -> str:
        """Same length and alphabet: hex stays hex, digits digits, letters letters."""
        hex_only = set(value.lower()) <= _HEX
        out = []
        for ch in value:
            if ch.isdigit():
                out.append(self.rng.choice("0123456789"))
            elif ch.isascii() and ch.isalpha():
                pool = "abcdef" if hex_only else "abcdefghijklmnopqrstuvwxyz"
                pick = self.rng.choice(pool)
                out.append(pick.upper() if ch.isupper() else pick)
            else:
                out.append(ch)
        return "".join(out)

    # -- replacing ----------------------------------------------------------------------

    def text(self, text: str) -> str:
        """``text`` with every learned identifier replaced, keeping the case it appears in."""
        if self._macs:
            text = _MAC.sub(self._mac_sub, text)
        if not self.replaced:
            return text
        if self._pattern is None:
            originals = sorted(self.replaced, key=len, reverse=True)
            alternatives = "|".join(re.escape(o) for o in originals)
            self._pattern = re.compile(f"(?<![0-9A-Za-z])(?:{alternatives})(?![0-9A-Za-z])", re.IGNORECASE)
        return self._pattern.sub(self._sub, text)

    def _sub(self, match: re.Match[str]) -> str:
        found = match.group(0)
        original = next((o for o in self.replaced if o.lower() == found.lower()), found)
        placeholder = self.replaced.get(found) or self.replaced[original]
        if found != original and found == found.lower():
            return placeholder.lower()
        if found != original and found == found.upper():
            return placeholder.upper()
        return placeholder

    def _mac_sub(self, match: re.Match[str]) -> str:
        mac = match.group(0)
        new = self._macs.get(re.sub("[^0-9A-Fa-f]", "", mac).lower())
        if new is None:
            return mac
        octets = [new[i : i + 2] for i in range(0, 12, 2)]
        joined = match.group(1).join(octets)
        return joined.upper() if mac == mac.upper() and any(c.isalpha() for c in mac) else joined

    def value(self, value: Any, key: str | None = None) -> Any:
        """Any YAML value with identifiers replaced; ``key`` is the mapping key it sits under."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return self._numbers.get(value, value) if KEYS.get(key or "") == "ecid" else value
        if isinstance(value, bytes):
            return self.rng.randbytes(len(value)) if key in KEYS else value
        if isinstance(value, Mapping):
            return {k: self.value(v, k if isinstance(k, str) else None) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.value(v, key) for v in value]
        return value

    def parcel(self, text: str) -> str:
        """A `service call` reply whose UTF-16 string is an identifier, re-rendered with
        its placeholder (the text form never shows the identifier as one run of digits)."""
        return replace_in_parcel(text, self.replaced)


def redact_fixture(doc: Mapping[str, Any], rng: random.Random | None = None) -> tuple[dict[str, Any], Redactor]:
    """A copy of a fixture document with every identifier replaced, and the redactor that
    did it (its ``replaced`` mapping stays in memory: tests use it, files never see it)."""
    platform = doc.get("platform")
    redactor = Redactor(rng, device_name="iPhone" if platform == "ios" else "Phone")
    for kind, value in _identifiers(doc):
        redactor.learn(kind, value)
    for text in _strings(doc):
        redactor.learn_patterns(text)
    out = dict(redactor.value(dict(doc)))
    commands = (out.get("android") or {}).get("commands") or {}
    for command, reply in commands.items():
        if isinstance(reply, dict) and PARCEL_START in reply.get("stdout", ""):
            original = doc["android"]["commands"][command]["stdout"]
            reply["stdout"] = redactor.text(redactor.parcel(original))
    return out, redactor


def replace_in_parcel(text: str, replaced: Mapping[str, str]) -> str:
    """``text`` with the UTF-16 strings of its first parcel replaced (same lengths only),
    the hex words and the ASCII preview column rewritten in place."""
    start = text.find(PARCEL_START)
    if start < 0:
        return text
    cut = start + len(PARCEL_START)
    lines = text[cut:].split("\n")
    spans: list[tuple[int, int, int]] = []  # (line, start, end) of each hex word
    for i, line in enumerate(lines):
        offset = PARCEL_OFFSET.match(line)
        quote = line.find("'", offset.end() if offset else 0)
        hex_end = quote if quote >= 0 else len(line)
        spans += [(i, w.start(), w.end()) for w in PARCEL_WORD.finditer(line, offset.end() if offset else 0, hex_end)]
        if line.rstrip().endswith(")"):
            break
    data = b"".join(int(lines[i][a:b], 16).to_bytes(4, "little") for i, a, b in spans)
    new = data
    for original, placeholder in replaced.items():
        if len(original) == len(placeholder):
            new = new.replace(original.encode("utf-16-le"), placeholder.encode("utf-16-le"))
    if new == data:
        return text
    for n, (i, a, b) in reversed(list(enumerate(spans))):
        lines[i] = lines[i][:a] + f"{int.from_bytes(new[4 * n : 4 * n + 4], 'little'):08x}" + lines[i][b:]
    for i in sorted({i for i, _, _ in spans}):
        chunk = b"".join(new[4 * n : 4 * n + 4] for n, (j, _, _) in enumerate(spans) if j == i)
        lines[i] = _preview(lines[i], chunk)
    return text[:cut] + "\n".join(lines)


def _preview(line: str, chunk: bytes) -> str:
    """The line with its ASCII column ('....3.5.') redrawn from ``chunk``."""
    first, last = line.find("'"), line.rfind("'")
    if first < 0 or last <= first:
        return line
    shown = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
    return line[: first + 1] + shown.ljust(last - first - 1) + line[last:]


def _identifiers(doc: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    android, ios = doc.get("android") or {}, doc.get("ios") or {}
    if android:
        serial = str(android.get("serial", ""))
        if not _is_address(serial):
            yield "serial", serial
        commands = android.get("commands") or {}
        props = parse_getprop((commands.get(GETPROP) or {}).get("stdout", ""))
        for key, value in props.items():
            last = key.rsplit(".", 1)[-1].lower()
            if IMEI_PROP.search(key) and value.strip().isdigit():
                yield "imei", value
            elif last in PROP_KINDS and not key.startswith("init.svc"):
                yield PROP_KINDS[last], value
        reply = parse_string_reply((commands.get(IMEI) or {}).get("stdout", ""))
        if reply.value and reply.value.strip().isdigit():
            yield "imei", reply.value.strip()
    if ios:
        yield "udid", ios.get("udid")
        yield from _keyed(ios.get("lockdown") or {})
        yield from _keyed(ios.get("ioregistry") or {})


def _keyed(node: Any) -> Iterator[tuple[str, Any]]:
    """(kind, value) for every identifier key at any depth; UDIDs first, so an ECID can
    follow the UDID it is part of."""
    found: list[tuple[str, Any]] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            for key, value in item.items():
                if key in KEYS and not isinstance(value, (Mapping, list)):
                    found.append((KEYS[key], value))
                else:
                    stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)
    yield from sorted(found, key=lambda pair: pair[0] == "ecid")


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, Mapping):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _strings(value)


def _is_address(device_id: str) -> bool:
    """``127.0.0.1:5555``: a transport address, not the phone's serial."""
    host, sep, port = device_id.rpartition(":")
    return bool(sep and host and port.isdigit())
