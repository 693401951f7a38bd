"""The station config: where reports go, which profile grades, which USB port is which slot.

Port paths are the kernel's (``1-1.3``, as ``adb devices -l`` shows ``usb:1-1.3``; see
``agent.ports``). Without a mapping a port keeps the slot it was first given
(remembered in the state dir), so the slot numbers stay put across runs.

One YAML file (``paths.config_path()``), every key optional::

    station_id: bench-3            # default: derived from the station key
    operator: J. Doe               # who signs off erasure certificates (default: none; erase --operator)
    shift_hours: 8                 # without operator: the name asked at a shift's first erase is kept
                                   # this long (default 8; state dir, operator.json)
    profile: default
    backend:
      url: https://grading.example.com
      token: s3cret                # or PHONEBENCH_BACKEND_TOKEN
      ca_bundle: /etc/phonebench/ca.pem
      timeout_s: 10
    slots:                         # USB port path -> slot number on the bench
      "1-1.2": 1
      "1-1.3": 2
    ports:                         # or a port's slot and the name on its card and in reports
      "1-1.4": {slot: 3, name: left 3}
      "2-1": {name: front}         # a name only: the slot is the one the station remembers
    printer: {tcp: "10.0.0.7:9100"}   # the label printer: raw TCP (ZPL on port 9100),
                                   # or {cups: QUEUE} through ``lp -d QUEUE``

A station with no file works offline: reports stay in the outbox. A file that is there
but wrong stops the station with the file, the line and what is wrong, because guessing
would send reports to the wrong place or mislabel slots. The token is a secret: it is
kept out of ``repr`` and shown masked, and a token that could not go into an HTTP header
as it is (a CR left by a Windows editor, a space, a non-ASCII letter) is refused at load,
naming where it came from but never quoting it: sent anyway, it would fail in the HTTP
library with an error that quotes the header, token and all.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from agent import paths
from agent.errors import ConfigError, PhonebenchError
from agent.yamlfile import Spot, kind_of, read_document

ENV_URL = "PHONEBENCH_BACKEND_URL"
ENV_TOKEN = "PHONEBENCH_BACKEND_TOKEN"
_TOP_KEYS = ("station_id", "operator", "shift_hours", "profile", "backend", "slots", "ports", "printer")
_PORT_KEYS = ("slot", "name")
#: the longest operator name a certificate carries (characters)
MAX_OPERATOR = 64
#: the highest slot number a bench has (a card grid, a label): past it is a typo
MAX_SLOT = 999
#: the longest port name, as it fits on a card's border and a label (characters)
MAX_PORT_NAME = 32
_BACKEND_KEYS = ("url", "token", "ca_bundle", "timeout_s")
_PRINTER_KEYS = ("tcp", "cups")
#: a CUPS queue name as ``lp -d`` takes it; never starting with "-", so it cannot read as an option
_QUEUE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.@-]{0,126}")


@dataclass(frozen=True)
class Printer:
    """Where ``phonebench label --print`` sends ZPL: ``tcp`` (host, port: a raw socket,
    as Zebra printers listen on 9100) or ``cups`` (queue: ``lp -d QUEUE -o raw``)."""

    kind: str
    host: str | None = None
    port: int | None = None
    queue: str | None = None

    def show(self) -> str:
        return f"tcp {self.host}:{self.port}" if self.kind == "tcp" else f"cups queue {self.queue}"


@dataclass(frozen=True)
class StationConfig:
    path: Path
    backend_url: str | None = None
    token: str | None = field(default=None, repr=False)
    ca_bundle: Path | None = None
    timeout_s: float = 10.0
    station_id: str | None = None
    operator: str | None = None
    #: how long a name asked at an erase stands for the next erases (hours), when ``operator`` is unset
    shift_hours: float = 8.0
    profile: str = "default"
    slots: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    #: port path -> its name on the bench (``ports: {"1-1.3": {name: ...}}``)
    port_names: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    printer: Printer | None = None
    #: where the url and token came from: "file", "env" or None
    url_from: str | None = None
    token_from: str | None = None

    def show(self) -> list[str]:
        """The config as lines for a terminal, the token masked."""
        token = "-" if self.token is None else f"******** (from {self._origin(self.token_from, ENV_TOKEN)})"
        url = "- (reports stay in the outbox)" if self.backend_url is None else self.backend_url
        if self.backend_url is not None:
            url += f" (from {self._origin(self.url_from, ENV_URL)})"
        lines = [
            f"config file: {self.path}{'' if self.path.exists() else ' (not there: defaults)'}",
            f"station id:  {self.station_id or '- (from the station key)'}",
            f"profile:     {self.profile}",
            f"backend:     {url}",
            f"token:       {token}",
            f"ca bundle:   {self.ca_bundle or '- (system CAs)'}",
            f"timeout:     {self.timeout_s:g} s",
            f"printer:     {self.printer.show() if self.printer else '-'}",
            f"slots:       {'-' if not self.slots else ''}",
        ]
        lines += [f"  {port} -> {slot}" + (f" ({self.port_names[port]})" if port in self.port_names else "")
                  for port, slot in sorted(self.slots.items(), key=lambda kv: kv[1])]
        lines += [f"  {port} ({name})" for port, name in sorted(self.port_names.items()) if port not in self.slots]
        return lines

    def to_json(self) -> dict[str, Any]:
        """The config as data; the token is never in it, only whether one is set and from where."""
        return {
            "path": str(self.path),
            "exists": self.path.exists(),
            "station_id": self.station_id,
            "profile": self.profile,
            "backend": {
                "url": self.backend_url,
                "url_from": self._origin(self.url_from, ENV_URL) if self.backend_url is not None else None,
                "token_set": self.token is not None,
                "token_from": self._origin(self.token_from, ENV_TOKEN) if self.token is not None else None,
                "ca_bundle": str(self.ca_bundle) if self.ca_bundle else None,
                "timeout_s": self.timeout_s,
            },
            "slots": dict(self.slots),
            "port_names": dict(self.port_names),
            "printer": None if self.printer is None else
            {"kind": self.printer.kind, "host": self.printer.host, "port": self.printer.port, "queue": self.printer.queue},
        }

    def _origin(self, origin: str | None, env: str) -> str:
        return env if origin == "env" else str(self.path)


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> StationConfig:
    """The station config from ``path`` (default: the station's), then the environment."""
    path = path or paths.config_path()
    env = os.environ if env is None else env
    values: dict[str, Any] = {"path": path}
    if path.exists():
        values.update(_parse(path))
    if env.get(ENV_URL):
        values.update(backend_url=_url(env[ENV_URL], f"${ENV_URL}"), url_from="env")
    if env.get(ENV_TOKEN):
        token = env[ENV_TOKEN]
        _check_token(token, lambda what: ConfigError(f"${ENV_TOKEN}: {what}"))
        values.update(token=token, token_from="env")
    return StationConfig(**values)


def _parse(path: Path) -> dict[str, Any]:
    _, doc, top = read_document(path, ConfigError)
    return _Reader(path, top, doc).read()


class _Reader:
    """Reads the parsed document, pointing at the line of whatever is wrong."""

    def __init__(self, path: Path, top: Spot, doc: Any) -> None:
        self.path, self.top, self.doc = path, top, doc

    def fail(self, keys: tuple[Any, ...], what: str) -> PhonebenchError:
        return self.top.along(self.doc, keys).error(what)

    def read(self) -> dict[str, Any]:
        if self.doc is None:
            return {}
        top = self.mapping(self.doc, (), _TOP_KEYS)
        out: dict[str, Any] = {}
        if top.get("station_id") is not None:
            out["station_id"] = self.text(top["station_id"], ("station_id",))
        if top.get("operator") is not None:
            operator = self.text(top["operator"], ("operator",))
            if len(operator) > MAX_OPERATOR:
                raise self.fail(("operator",), f"a name of {len(operator)} characters; at most {MAX_OPERATOR}")
            out["operator"] = operator
        if top.get("shift_hours") is not None:
            hours = top["shift_hours"]
            if isinstance(hours, bool) or not isinstance(hours, int | float) or not 0 < hours <= 24:
                raise self.fail(("shift_hours",), f"expected hours between 0 and 24, got {hours!r}")
            out["shift_hours"] = float(hours)
        if top.get("profile") is not None:
            out["profile"] = self.text(top["profile"], ("profile",))
        if top.get("backend") is not None:
            out.update(self.backend(top["backend"]))
        if top.get("slots") is not None or top.get("ports") is not None:
            out.update(self.slots(top.get("slots"), top.get("ports")))
        if top.get("printer") is not None:
            out["printer"] = self.printer(top["printer"])
        return out

    def printer(self, node: Any) -> Printer:
        """Exactly one of ``tcp: "host:port"`` or ``cups: QUEUE``."""
        printer = self.mapping(node, ("printer",), _PRINTER_KEYS)
        given = [key for key in _PRINTER_KEYS if printer.get(key) is not None]
        if len(given) != 1:
            raise self.fail(("printer",), "expected one of tcp: \"host:9100\" or cups: QUEUE")
        keys = ("printer", given[0])
        value = self.text(printer[given[0]], keys)
        if given[0] == "cups":
            if not _QUEUE.fullmatch(value):
                raise self.fail(keys, f"expected a CUPS queue name (letters, digits, _ . @ -), got {value!r}")
            return Printer("cups", queue=value)
        host, port = _host_port(value, lambda what: self.fail(keys, what))
        return Printer("tcp", host=host, port=port)

    def backend(self, node: Any) -> dict[str, Any]:
        backend = self.mapping(node, ("backend",), _BACKEND_KEYS)
        out: dict[str, Any] = {}
        if backend.get("url") is not None:
            keys = ("backend", "url")
            out["backend_url"] = _url(self.text(backend["url"], keys), "", lambda what: self.fail(keys, what))
            out["url_from"] = "file"
        if backend.get("token") is not None:
            out["token"], out["token_from"] = self.token(backend["token"]), "file"
        if backend.get("ca_bundle") is not None:
            out["ca_bundle"] = self.ca_bundle(backend["ca_bundle"])
        if backend.get("timeout_s") is not None:
            timeout = backend["timeout_s"]
            if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 600:
                raise self.fail(("backend", "timeout_s"), f"expected seconds between 0 and 600, got {timeout!r}")
            out["timeout_s"] = float(timeout)
        return out

    def token(self, value: Any) -> str:
        """The token as written: unlike other text it is not stripped, and it is never quoted."""
        fail = lambda what: self.fail(("backend", "token"), what)  # noqa: E731
        if not isinstance(value, str):
            raise fail(f"expected text, got {kind_of(value)}")
        _check_token(value, fail)
        return value

    def ca_bundle(self, node: Any) -> Path:
        keys = ("backend", "ca_bundle")
        bundle = Path(self.text(node, keys)).expanduser()
        bundle = bundle if bundle.is_absolute() else self.path.parent / bundle
        if not bundle.is_file():
            raise self.fail(keys, f"no such file {bundle}")
        return bundle

    def slots(self, slots: Any, ports: Any) -> dict[str, Mapping[str, Any]]:
        """``slots: {PORT: N}`` and ``ports: {PORT: {slot: N, name: TEXT}}`` as one port -> slot
        table and one port -> name table; a port or a slot given twice is an error."""
        table: dict[str, int] = {}
        names: dict[str, str] = {}
        seen: dict[int, str] = {}
        entries = [("slots", port, value) for port, value in self.mapping(slots or {}, ("slots",), None).items()]
        entries += [("ports", port, value) for port, value in self.mapping(ports or {}, ("ports",), None).items()]
        for section, port, value in entries:
            keys: tuple[Any, ...] = (section, port)
            path = self.port(port, keys)
            if path in table or path in names:
                raise self.fail(keys, f"port {path} is already given")
            slot = value
            if section == "ports":
                entry = self.mapping(value, keys, _PORT_KEYS)
                slot = entry.get("slot")
                if entry.get("name") is not None:
                    names[path] = self.text(entry["name"], (*keys, "name"), MAX_PORT_NAME)
                if slot is None:
                    if path not in names:
                        raise self.fail(keys, "expected slot: N, name: TEXT or both")
                    continue
                keys = (*keys, "slot")
            if isinstance(slot, bool) or not isinstance(slot, int) or not 1 <= slot <= MAX_SLOT:
                shown = repr(slot) if len(repr(slot)) <= 24 else f"{repr(slot)[:21]}..."
                raise self.fail(keys, f"expected a slot number from 1 to {MAX_SLOT}, got {shown}")
            if slot in seen:
                raise self.fail(keys, f"slot {slot} is already port {seen[slot]}")
            seen[slot], table[path] = path, slot
        return {"slots": MappingProxyType(table), "port_names": MappingProxyType(names)}

    def port(self, key: Any, keys: tuple[Any, ...]) -> str:
        """A port path in the normal form (``usb:1-1.3`` as adb prints it is taken too)."""
        from agent.ports import normal_path

        path = normal_path(key) if isinstance(key, str) and key.isprintable() else None
        if path is None or path.startswith("sim-"):
            shown = repr(key) if isinstance(key, str) and key.isprintable() else "this key"
            raise self.fail(keys, f"expected a USB port path such as 1-1.3 (adb devices -l shows usb:1-1.3), got {shown}")
        return path

    def mapping(self, node: Any, keys: tuple[str, ...], allowed: tuple[str, ...] | None) -> dict:
        if not isinstance(node, dict):
            raise self.fail(keys, f"expected a mapping, got {kind_of(node)}")
        for key in node:
            if allowed is not None and key not in allowed:
                raise self.fail((*keys, key), f"unknown key (expected one of: {', '.join(allowed)})")
        return node

    def text(self, value: Any, keys: tuple[str, ...], cap: int | None = None) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(keys, f"expected text, got {value!r:.40}")
        if not value.isprintable():
            raise self.fail(keys, f"control characters in {value!r:.40}")
        if cap is not None and len(value.strip()) > cap:
            raise self.fail(keys, f"longer than {cap} characters ({len(value.strip())})")
        return value.strip()


def check_token(token: str, where: str) -> str:
    """``token`` if it can go into ``Authorization: Bearer`` as it is; ConfigError naming ``where`` otherwise."""
    _check_token(token, lambda what: ConfigError(f"{where}: {what}"))
    return token


def _check_token(token: str, fail: Callable[[str], PhonebenchError]) -> None:
    """Printable ASCII only. The error says which character is wrong, never what the token is."""
    if not token:
        raise fail("the token is empty")
    for position, char in enumerate(token, 1):
        if not "!" <= char <= "~":
            raise fail(f"the token's character {position} of {len(token)} is {_char_kind(char)}; "
                       "expected printable ASCII without spaces")


def _char_kind(char: str) -> str:
    """A character named without showing it: the token's other characters stay secret too."""
    names = {"\r": "a carriage return (CR: a file saved on Windows?)", "\n": "a line break",
             "\t": "a tab", " ": "a space"}
    if char in names:
        return names[char]
    if char.isspace():
        return f"white space (U+{ord(char):04X})"
    if not char.isprintable():
        return f"a control character (U+{ord(char):04X})"
    return "not ASCII"


def _url(value: str, where: str, fail: Callable[[str], PhonebenchError] | None = None) -> str:
    """``value`` as a backend base URL; credentials in it would end up in logs, so they are refused."""
    if fail is None:
        fail = lambda what: ConfigError(f"{where}: {what}")  # noqa: E731
    try:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018  (raises on a port out of range)
    except ValueError as e:
        raise fail(f"not a URL: {value!r} ({e})") from e
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise fail(f"expected an http:// or https:// URL, got {value!r}")
    if parts.username or parts.password:
        raise fail("put the token under backend.token, not in the URL")
    if parts.query or parts.fragment:
        raise fail("expected a base URL without ?query or #fragment")
    return value.strip().rstrip("/")



def _host_port(value: str, fail: Callable[[str], PhonebenchError]) -> tuple[str, int]:
    """``host:port`` (``[v6]:port`` for IPv6) as the pair a socket connects to."""
    try:
        parts = urlsplit(f"//{value}")
        host, port = parts.hostname, parts.port
    except ValueError as e:
        raise fail(f"expected host:port, got {value!r} ({e})") from e
    if not host or not port or parts.path or parts.query or parts.fragment or parts.username or " " in value:
        raise fail(f"expected host:port (e.g. 10.0.0.7:9100), got {value!r}")
    return host, port
