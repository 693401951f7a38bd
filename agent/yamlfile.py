"""The one YAML reader for every file a person writes: fixtures, grading profiles, the model
catalog, the station config and the answers file.

It is PyYAML's SafeLoader (its scanner, parser, nodes and marks) with four things added:

- every key and item keeps its line (``_Map``, ``_Seq``), so a mistake is reported as
  ``FILE:LINE: key.path: what is wrong`` (a ``Spot``): one line, never a traceback;
- duplicate keys are refused, also keys that only collide once YAML has typed them (``1``
  and ``'1'``): plain YAML keeps the last one silently, and a rule or a slot vanishes;
- aliases (``*name``, ``<<: *name``) are refused: with them a file of under 1 KB expands
  to gigabytes ("billion laughs"), and no file of ours needs them;
- nesting depth and the digits of a whole number are bounded (PyYAML's composer recurses,
  and ``int()`` of a long string is slow and refused past 4,300 digits), and ``.nan`` and
  ``.inf`` are refused, since every comparison with them is quietly false.

The area that reads a file names its error class (FixtureError, ProfileError, ConfigError,
UsageError), so each mistake leaves the CLI with that area's exit code.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from agent.errors import DataRefused, PhonebenchError
from agent.text import inert

#: collections inside collections (the top mapping is level 1); the bundled files reach 6
MAX_DEPTH = 64
#: digits of a whole number; a 64-bit value (an iPhone's ECID) has up to 20
MAX_DIGITS = 30

_MISSING = object()
_TYPE_NAMES = {str: "text", int: "a whole number", list: "a list", dict: "a mapping"}
_CONSTRUCTOR_ERRORS = (ValueError, TypeError, KeyError, AttributeError, OverflowError)


class _Map(dict):
    """A YAML mapping that remembers the line of each key."""

    lines: dict[Any, int]


class _Seq(list):
    """A YAML sequence that remembers the line of each item."""

    lines: list[int]


def _refused(what: str, mark: yaml.Mark, path: str) -> DataRefused:
    """Valid YAML that we still do not read, with where it is."""
    return DataRefused(what, mark.line + 1, path)


class _Loader(yaml.SafeLoader):
    """SafeLoader that knows the key path it is at, refuses aliases and deep nesting while
    composing, and builds ``_Map``/``_Seq`` with the checks above while constructing."""

    def __init__(self, text: str) -> None:
        super().__init__(text)  # the reader refuses control characters here already
        self.path = ""
        self.depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        outer = self.path
        self.path = _step(outer, parent, index)
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise _refused("aliases are not allowed", event.start_mark, self.path)
        nests = isinstance(event, yaml.CollectionStartEvent)
        if nests and self.depth >= MAX_DEPTH:
            raise _refused(f"nested more than {MAX_DEPTH} levels deep", event.start_mark, self.path)
        self.depth += nests
        node = super().compose_node(parent, index)
        self.depth -= nests
        self.path = outer
        return node

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """Explicit tags skip the resolver's checks (``!!int 12x``, ``!!bool maybe``), and
        PyYAML's constructors then fail with plain Python errors: those get a line too."""
        try:
            return super().construct_object(node, deep)
        except DataRefused:
            raise  # already says what and where
        except _CONSTRUCTOR_ERRORS as e:
            raise _refused(f"cannot read {_show(node.value)} as {_tag(node)}", node.start_mark, self.path) from e


def _step(outer: str, parent: yaml.Node | None, index: Any) -> str:
    """The path of the node PyYAML is about to compose: ``index`` is the item number in a
    sequence, the key node for a mapping's value, and None for the key itself."""
    if isinstance(parent, yaml.SequenceNode):
        return _index(outer, index)
    if isinstance(parent, yaml.MappingNode) and isinstance(index, yaml.Node):
        return _child(outer, index.value if isinstance(index, yaml.ScalarNode) else "?")
    return outer


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> _Map:
    for key_node, _ in node.value:  # `<<` merges one mapping into another: a key's value
        if key_node.tag == "tag:yaml.org,2002:merge":  # then comes from elsewhere, unseen
            raise _refused("merge keys (<<) are not allowed", key_node.start_mark, _child(loader.path, "<<"))
    out = _Map()
    out.lines = {}
    names: dict[str, Any] = {}  # str(key) -> the key first given under that name
    outer = loader.path
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, Hashable):
            raise _refused("a key must be plain text", key_node.start_mark, outer)
        first = key if key in out else names.get(str(key), _MISSING)
        if first is not _MISSING:
            raise _refused(_duplicate(key, first, out.lines[first]), key_node.start_mark, _child(outer, key))
        names[str(key)] = key
        loader.path = _child(outer, key)
        out[key] = loader.construct_object(value_node, deep=True)
        out.lines[key] = key_node.start_mark.line + 1
    loader.path = outer
    return out


def _duplicate(key: Any, first: Any, line: int) -> str:
    if type(key) is type(first) and key == first:
        return f"duplicate key {_show(key)} (already on line {line})"
    return f"duplicate key {_show(key)} (line {line} has {_show(first)}, which names the same key)"


def _construct_seq(loader: _Loader, node: yaml.SequenceNode) -> _Seq:
    out = _Seq()
    outer = loader.path
    for i, child in enumerate(node.value):
        loader.path = _index(outer, i)
        out.append(loader.construct_object(child, deep=True))
    loader.path = outer
    out.lines = [child.start_mark.line + 1 for child in node.value]
    return out


def _construct_int(loader: _Loader, node: yaml.ScalarNode) -> int:
    """Counted before ``int()`` runs: the point is never to start the slow conversion."""
    if sum(ch.isalnum() for ch in node.value) > MAX_DIGITS:
        raise _refused(f"a whole number of more than {MAX_DIGITS} digits", node.start_mark, loader.path)
    return loader.construct_yaml_int(node)


def _construct_float(loader: _Loader, node: yaml.ScalarNode) -> float:
    value = loader.construct_yaml_float(node)
    if not math.isfinite(value):
        raise _refused(f"{_show(node.value)} is not a finite number", node.start_mark, loader.path)
    return value


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_seq)
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)


def parse_yaml(data: bytes | str, file: str, raises: type[PhonebenchError]) -> Any:
    """The one document in ``data`` (None when there is none), built from plain YAML types
    only; any problem is a ``raises`` error naming ``file`` and the line."""
    text = data if isinstance(data, str) else _decode(data, file, raises)
    try:
        return _load(text)
    except (DataRefused, yaml.YAMLError) as e:
        line, path, what = _where(e, text)
        raise raises(_message(file, line, path, what)) from e


def read_document(path: Path, raises: type[PhonebenchError]) -> tuple[bytes, Any, Spot]:
    """(file bytes, the document or None, a Spot at its top)."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise raises(f"{path}: cannot read: {e.strerror or e}") from e
    return raw, parse_yaml(raw, str(path), raises), Spot(str(path), "", 1, raises)


def read_yaml(path: Path, raises: type[PhonebenchError]) -> tuple[bytes, dict, Spot]:
    """(file bytes, top-level mapping, its Spot), for files that must hold a mapping."""
    raw, doc, top = read_document(path, raises)
    return raw, top.expect(doc, dict), top


def plain(value: Any) -> Any:
    """``value`` with plain dicts and lists in place of ``_Map``/``_Seq``: for data kept
    past validation, so any dumper or comparison downstream sees ordinary types."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def kind_of(value: Any) -> str:
    """What a value is, in the words of an error message (never a Python class name)."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, float):
        return "a number"
    return next((name for kind, name in _TYPE_NAMES.items() if isinstance(value, kind)), type(value).__name__)


def _decode(raw: bytes, file: str, raises: type[PhonebenchError]) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise raises(_message(file, line, "", f"not UTF-8 text (byte {e.start})")) from e


def _load(text: str) -> Any:
    loader = _Loader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _where(e: DataRefused | yaml.YAMLError, text: str) -> tuple[int, str, str]:
    """(line, key path, what) of a YAML error: ours carry a path, PyYAML's a mark."""
    if isinstance(e, DataRefused):
        return e.line or 1, e.path, e.what
    if isinstance(e, yaml.reader.ReaderError):  # a character YAML refuses, before any mark exists
        return text.count("\n", 0, e.position) + 1, "", f"not valid YAML: {str(e).splitlines()[0]}"
    if isinstance(e, yaml.MarkedYAMLError):
        mark = e.problem_mark or e.context_mark
        context = f"{e.context}, " if e.context and not e.context.startswith("while ") else ""
        return (mark.line + 1 if mark else 1), "", f"not valid YAML: {context}{e.problem or e.context}"
    return 1, "", f"not valid YAML: {str(e).splitlines()[0] if str(e) else type(e).__name__}"


def _message(file: str, line: int, path: str, what: str) -> str:
    """The one shape of every error about a file: ``FILE:LINE: key.path: what``, one line."""
    path = path if len(path) <= 80 else path[:77] + "..."
    where = f" {path}:" if path else ""
    return inert(f"{file}:{line}:{where} {what}")


def _child(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


def _index(path: str, index: int) -> str:
    return f"{path}[{index}]"


def _tag(node: yaml.Node) -> str:
    return node.tag.replace("tag:yaml.org,2002:", "!!")


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


@dataclass(frozen=True)
class Spot:
    """Where a value sits in a YAML file: the file, the path to it and its line, and the
    error class of the area that reads the file."""

    file: str
    path: str
    line: int
    raises: type[PhonebenchError]

    def error(self, what: str) -> PhonebenchError:
        return self.raises(_message(self.file, self.line, self.path, what))

    def at(self, key: Any, node: dict) -> Spot:
        line = getattr(node, "lines", {}).get(key, self.line)
        return replace(self, path=_child(self.path, key), line=line)

    def item(self, index: int, node: list) -> Spot:
        lines = getattr(node, "lines", [])
        return replace(self, path=_index(self.path, index), line=lines[index] if index < len(lines) else self.line)

    def along(self, node: Any, keys: Iterable[Any]) -> Spot:
        """The Spot of ``keys`` below ``node``: the path names every key, the line is the
        deepest one the file has (a missing key is reported where it should have been)."""
        spot = self
        for key in keys:
            if isinstance(node, list) and isinstance(key, int):
                spot, node = spot.item(key, node), (node[key] if 0 <= key < len(node) else None)
            else:
                spot, node = spot.at(key, node), (node.get(key) if isinstance(node, dict) else None)
        return spot

    def expect(self, value: Any, kind: type) -> Any:
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.error(f"expected {_TYPE_NAMES.get(kind, kind.__name__)}, got {_show(value)}")
        return value

    def get(self, node: dict, key: str, kind: type, default: Any = _MISSING) -> Any:
        if key not in node or (node[key] is None and default is not _MISSING):
            if default is _MISSING:
                raise self.error(f"missing {key!r}")
            return default
        return self.at(key, node).expect(node[key], kind)

    def choice(self, node: dict, key: str, options: Iterable[str], default: Any = _MISSING) -> str:
        value = self.get(node, key, str, default)
        if value not in options:
            raise self.at(key, node).error(f"{value!r} is not one of: {', '.join(options)}")
        return value

    def names(self, node: dict, key: str, default: Any = _MISSING) -> tuple[str, ...]:
        """One name or a list of names, as a tuple."""
        value = node.get(key, default)
        if value is _MISSING:
            raise self.error(f"missing {key!r}")
        value = [value] if isinstance(value, str) else value
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise self.at(key, node).error(f"expected a name or a list of names, got {_show(value)}")
        return tuple(value)

    def keys_in(self, node: dict, allowed: set[str]) -> None:
        for key in node:
            if key not in allowed:
                raise self.at(key, node).error(f"unknown key {key!r} (expected: {', '.join(sorted(allowed))})")

