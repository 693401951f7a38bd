"""YAML with line numbers: the reader the model catalog and the grading profiles share.

It keeps the line of every key and item, so a mistake is reported as
``file:line: where: what`` (a ``Spot``) instead of a traceback, and it refuses duplicate
keys, which plain YAML resolves silently by keeping the last one.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from agent.errors import ProfileError

_MISSING = object()
_TYPE_NAMES = {str: "text", int: "a whole number", list: "a list", dict: "a mapping"}


class _Map(dict):
    """A YAML mapping that remembers the line of each key."""

    lines: dict[Any, int]


class _Seq(list):
    """A YAML sequence that remembers the line of each item."""

    lines: list[int]


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that keeps line numbers and refuses duplicate keys (which plain YAML
    resolves silently by keeping the last one: a rule that quietly vanishes)."""


def _construct_map(loader: _LineLoader, node: yaml.MappingNode) -> _Map:
    loader.flatten_mapping(node)
    out = _Map()
    out.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, Hashable):
            raise yaml.constructor.ConstructorError(None, None, "a key must be plain text", key_node.start_mark)
        if key in out:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        out[key] = loader.construct_object(value_node, deep=True)
        out.lines[key] = key_node.start_mark.line + 1
    return out


def _construct_seq(loader: _LineLoader, node: yaml.SequenceNode) -> _Seq:
    out = _Seq(loader.construct_object(child, deep=True) for child in node.value)
    out.lines = [child.start_mark.line + 1 for child in node.value]
    return out


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_seq)


def read_yaml(path: Path) -> tuple[bytes, dict, Spot]:
    """(file bytes, top-level mapping, its Spot). Safe: only plain YAML types are built."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise ProfileError(f"{path}: cannot read: {e.strerror or e}") from e
    try:
        doc = _load(raw)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f"{mark.line + 1}:" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ProfileError(f"{path}:{line} not valid YAML: {problem}") from e
    top = Spot(str(path), "", 1)
    return raw, top.expect(doc, dict), top


def _load(raw: bytes) -> Any:
    loader = _LineLoader(raw)  # raises already on bytes that are not UTF-8 or hold control characters
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


@dataclass(frozen=True)
class Spot:
    """Where a value sits in a YAML file: the file, the path to it and its line."""

    file: str
    path: str
    line: int

    def error(self, what: str) -> ProfileError:
        where = f" {self.path}:" if self.path else ""
        return ProfileError(f"{self.file}:{self.line}:{where} {what}")

    def at(self, key: Any, node: dict) -> Spot:
        line = getattr(node, "lines", {}).get(key, self.line)
        return Spot(self.file, f"{self.path}.{key}" if self.path else str(key), line)

    def item(self, index: int, node: list) -> Spot:
        lines = getattr(node, "lines", [])
        return Spot(self.file, f"{self.path}[{index}]", lines[index] if index < len(lines) else self.line)

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


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
