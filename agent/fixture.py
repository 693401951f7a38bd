"""Recorded phones: the ``phonebench-fixture/1`` format (reference: fixtures/README.md).

One YAML file describes one phone: how it presents itself (adb banner and state, or
lockdown pairing) and what it answers (shell commands, lockdown values, IORegistry
entries), plus faults to inject. The same object drives the in-process replay link and
the protocol simulators, so a fixture means the same thing everywhere.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from agent.errors import FixtureError

FORMAT = "phonebench-fixture/1"
ANDROID_STATES = ("device", "unauthorized", "offline", "recovery", "sideload")
PAIRING = ("paired", "trust_pending", "denied")
FAULT_KINDS = ("disconnect", "hang", "garbage")


@dataclass(frozen=True)
class CommandReply:
    """What the phone printed for one shell command."""

    stdout: str
    stderr: str = ""
    exit_code: int = 0
    delay_ms: int = 0


@dataclass(frozen=True)
class Fault:
    """A misbehaviour injected at ``at``: a command line, ``lockdown:<domain>``,
    ``ioregistry:<entry>``, or ``*`` for everything."""

    kind: str
    at: str

    def applies(self, key: str) -> bool:
        return self.at == "*" or self.at == key


@dataclass(frozen=True)
class AndroidSide:
    serial: str
    state: str
    banner: Mapping[str, str]
    features: tuple[str, ...]
    commands: Mapping[str, CommandReply]


@dataclass(frozen=True)
class IosSide:
    udid: str
    pairing: str
    lockdown: Mapping[str, Mapping[str, Any]]
    ioregistry: Mapping[str, Mapping[str, Any]]
    delay_ms: int = 0


@dataclass(frozen=True)
class Fixture:
    name: str
    platform: str
    source: str
    android: AndroidSide | None = None
    ios: IosSide | None = None
    faults: tuple[Fault, ...] = ()
    expect: Mapping[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def device_id(self) -> str:
        """The adb serial or the iPhone UDID."""
        if self.android is not None:
            return self.android.serial
        assert self.ios is not None
        return self.ios.udid

    def fault_at(self, key: str) -> Fault | None:
        """The first fault that fires at ``key`` (a command line or a read key)."""
        return next((f for f in self.faults if f.applies(key)), None)


def garbage_for(key: str) -> str:
    """Deterministic nonsense for a ``garbage`` fault: the same key always gets the same
    bytes, so replay and simulators disagree on nothing."""
    digest = hashlib.sha256(key.encode()).digest() * 8
    alphabet = "\x00\x1b[]{}:=%#@!~^&*|<>?;0123456789abcdefXYZ \t\n\ufffd"
    return "".join(alphabet[b % len(alphabet)] for b in digest)


def load_fixture(path: str | Path) -> Fixture:
    """Read and validate one fixture file; any problem is a FixtureError naming the file,
    the line and what is wrong."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise FixtureError(f"{path}: cannot read fixture: {e.strerror or e}") from e
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise FixtureError(f"{path}: not UTF-8 text (byte {e.start})") from e
    return parse_fixture(text, path)


def parse_fixture(text: str, path: Path | None = None) -> Fixture:
    where = str(path) if path else "<fixture>"
    try:
        node, doc = _compose_and_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f": line {mark.line + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise FixtureError(f"{where}{line}: invalid YAML: {problem}") from e
    return _Validator(where, node).fixture(doc, path)


def _compose_and_load(text: str) -> tuple[yaml.Node | None, Any]:
    """The node tree (for line numbers) and the plain data, from one safe parse."""
    loader = yaml.SafeLoader(text)  # may itself raise on a character YAML refuses
    try:
        node = loader.get_single_node()
        return node, (loader.construct_document(node) if node is not None else None)
    finally:
        loader.dispose()


class _Validator:
    """Turns the YAML document into a Fixture, pointing at the line of whatever is wrong."""

    def __init__(self, where: str, root: yaml.Node | None) -> None:
        self.where = where
        self.root = root

    def fail(self, keys: tuple[str, ...], what: str) -> FixtureError:
        line = _line_of(self.root, keys)
        at = f": line {line}" if line else ""
        dotted = ".".join(keys)
        return FixtureError(f"{self.where}{at}: {dotted + ': ' if dotted else ''}{what}")

    def mapping(self, value: Any, keys: tuple[str, ...]) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(keys, f"expected a mapping, got {_kind(value)}")
        for k in value:
            if not isinstance(k, str):
                raise self.fail(keys, f"keys must be strings, got {k!r}")
        return value

    def string(self, doc: Mapping[str, Any], key: str, keys: tuple[str, ...], default: str | None = None) -> str:
        value = doc.get(key, default)
        if not isinstance(value, str):
            raise self.fail(keys + (key,), f"expected text, got {_kind(value)}")
        return value

    def integer(self, doc: Mapping[str, Any], key: str, keys: tuple[str, ...], default: int) -> int:
        value = doc.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(keys + (key,), f"expected a whole number, got {_kind(value)}")
        return value

    def choice(self, doc: Mapping[str, Any], key: str, keys: tuple[str, ...], options: tuple[str, ...], default: str) -> str:
        value = self.string(doc, key, keys, default)
        if value not in options:
            raise self.fail(keys + (key,), f"must be one of {', '.join(options)}, got {value!r}")
        return value

    def fixture(self, doc: Any, path: Path | None) -> Fixture:
        if doc is None:
            raise self.fail((), "the file is empty")
        doc = self.mapping(doc, ())
        fmt = doc.get("format")
        if fmt != FORMAT:
            raise self.fail(("format",), f"expected {FORMAT!r}, got {fmt!r}")
        platform = self.choice(doc, "platform", (), ("android", "ios"), "")
        known = {"format", "name", "platform", "source", "android", "ios", "faults", "expect"}
        extra = sorted(set(doc) - known)
        if extra:
            raise self.fail((extra[0],), f"unknown key (expected one of {', '.join(sorted(known))})")
        if platform not in doc:
            raise self.fail((), f"platform is {platform} but there is no '{platform}:' section")
        other = "ios" if platform == "android" else "android"
        if other in doc:
            raise self.fail((other,), f"a {platform} fixture cannot have an '{other}:' section")
        section = self.mapping(doc[platform], (platform,))
        return Fixture(
            name=self.string(doc, "name", ()),
            platform=platform,
            source=self.string(doc, "source", ()),
            android=self.android(section) if platform == "android" else None,
            ios=self.ios(section) if platform == "ios" else None,
            faults=self.faults(doc.get("faults", [])),
            expect=self.expect(doc.get("expect", {}) or {}),
            path=path,
        )

    def only(self, doc: Mapping[str, Any], keys: tuple[str, ...], allowed: tuple[str, ...]) -> None:
        extra = sorted(set(doc) - set(allowed))
        if extra:
            raise self.fail(keys + (extra[0],), f"unknown key (expected {', '.join(allowed)})")

    def android(self, doc: Mapping[str, Any]) -> AndroidSide:
        k = ("android",)
        self.only(doc, k, ("serial", "state", "banner", "features", "commands"))
        banner = self.mapping(doc.get("banner", {}) or {}, k + ("banner",))
        features = doc.get("features", []) or []
        if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
            raise self.fail(k + ("features",), "expected a list of feature names")
        commands = self.mapping(doc.get("commands", {}) or {}, k + ("commands",))
        return AndroidSide(
            serial=self.string(doc, "serial", k),
            state=self.choice(doc, "state", k, ANDROID_STATES, "device"),
            banner={str(a): str(b) for a, b in banner.items()},
            features=tuple(features),
            commands={cmd: self.reply(spec, k + ("commands", cmd)) for cmd, spec in commands.items()},
        )

    def reply(self, spec: Any, keys: tuple[str, ...]) -> CommandReply:
        spec = self.mapping(spec, keys)
        extra = sorted(set(spec) - {"stdout", "stderr", "exit_code", "delay_ms"})
        if extra:
            raise self.fail(keys + (extra[0],), "unknown key (expected stdout, stderr, exit_code, delay_ms)")
        delay = self.integer(spec, "delay_ms", keys, 0)
        if delay < 0:
            raise self.fail(keys + ("delay_ms",), "must not be negative")
        exit_code = self.integer(spec, "exit_code", keys, 0)
        if not 0 <= exit_code <= 255:
            raise self.fail(keys + ("exit_code",), "must be 0-255 (adb carries one byte)")
        return CommandReply(
            stdout=self.string(spec, "stdout", keys, ""),
            stderr=self.string(spec, "stderr", keys, ""),
            exit_code=exit_code,
            delay_ms=delay,
        )

    def ios(self, doc: Mapping[str, Any]) -> IosSide:
        k = ("ios",)
        self.only(doc, k, ("udid", "pairing", "lockdown", "ioregistry", "delay_ms"))
        if self.integer(doc, "delay_ms", k, 0) < 0:
            raise self.fail(k + ("delay_ms",), "must not be negative")
        lockdown = self.mapping(doc.get("lockdown", {}) or {}, k + ("lockdown",))
        ioreg = self.mapping(doc.get("ioregistry", {}) or {}, k + ("ioregistry",))
        if "" not in lockdown:
            raise self.fail(k + ("lockdown",), "needs the empty domain '' (ProductType, ProductVersion, ...)")
        return IosSide(
            udid=self.string(doc, "udid", k),
            pairing=self.choice(doc, "pairing", k, PAIRING, "paired"),
            lockdown={d: dict(self.mapping(v, k + ("lockdown", d))) for d, v in lockdown.items()},
            ioregistry={n: dict(self.mapping(v, k + ("ioregistry", n))) for n, v in ioreg.items()},
            delay_ms=self.integer(doc, "delay_ms", k, 0),
        )

    def expect(self, value: Any) -> Mapping[str, Any]:
        """What a correct session finds: ``complete`` and ``metrics`` ("check.metric" -> value)."""
        doc = self.mapping(value, ("expect",))
        self.only(doc, ("expect",), ("complete", "metrics", "notes"))
        if not isinstance(doc.get("complete", True), bool):
            raise self.fail(("expect", "complete"), "expected true or false")
        metrics = self.mapping(doc.get("metrics", {}) or {}, ("expect", "metrics"))
        for key in metrics:
            check, _, name = key.partition(".")
            if not (check and name and check.replace("_", "").isalnum() and name.replace("_", "").isalnum()):
                raise self.fail(("expect", "metrics", key), "expected a key like battery.cycle_count")
        return doc

    def faults(self, value: Any) -> tuple[Fault, ...]:
        if not isinstance(value, list):
            raise self.fail(("faults",), f"expected a list, got {_kind(value)}")
        out = []
        for i, spec in enumerate(value):
            keys = ("faults", str(i))
            spec = self.mapping(spec, keys)
            self.only(spec, keys, ("kind", "at"))
            out.append(Fault(kind=self.choice(spec, "kind", keys, FAULT_KINDS, ""), at=self.string(spec, "at", keys)))
        return tuple(out)


def _kind(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__


def _line_of(node: yaml.Node | None, keys: tuple[str, ...]) -> int | None:
    """1-based line of the deepest node along ``keys`` that exists."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in keys:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if getattr(k, "value", None) == key), None)
            if match is None:
                return line
            line, node = match[0].start_mark.line + 1, match[1]
        elif isinstance(node, yaml.SequenceNode) and key.isascii() and key.isdigit() and int(key) < len(node.value):
            node = node.value[int(key)]
            line = node.start_mark.line + 1
        else:
            return line
    return line
