"""The model catalog: what a phone model should be, so checks can compare a phone with it.

A phone only says what it is through codes (``SM-S911B``, ``panther``, ``iPhone14,5``);
the catalog maps every such code to the maker's public figures: native resolution,
storage tiers sold, rated battery capacity. A replaced panel or a swapped storage chip
shows as a phone that disagrees with its catalog entry.

This module also holds the YAML reader that the catalog and the profiles share: it keeps
the line of every key and item, so a mistake is reported as ``file:line: where: what``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from agent.errors import ProfileError
from agent.resources import data_dir

FORMAT = "phonebench-catalog/1"
PLATFORMS = ("android", "ios")
_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_MISSING = object()
_TYPE_NAMES = {str: "text", int: "a whole number", list: "a list", dict: "a mapping"}


@dataclass(frozen=True)
class Model:
    key: str
    platform: str
    manufacturer: str
    marketing_name: str
    codes: tuple[str, ...]
    screen_px: tuple[int, int]        # native, portrait: (width, height)
    storage_gb: tuple[int, ...]
    battery_design_mah: int | None


class Catalog:
    """Models indexed by every code they may report (case-insensitive)."""

    def __init__(self, models: Iterable[Model]) -> None:
        self._models = tuple(models)
        self._index = {(m.platform, _norm(code)): m for m in self._models for code in m.codes}

    def lookup(self, platform: str, *codes: str | None) -> Model | None:
        """The model the first matching code names; None codes are skipped."""
        for code in codes:
            if isinstance(code, str):
                model = self._index.get((platform.casefold(), _norm(code)))
                if model is not None:
                    return model
        return None

    def __iter__(self) -> Iterator[Model]:
        return iter(self._models)

    def __len__(self) -> int:
        return len(self._models)


def load_catalog(path: Path | None = None) -> Catalog:
    """The catalog at ``path`` (default: the bundled one), read once per path."""
    return _load_cached((path or data_dir("profiles") / "catalog.yaml").resolve())


@functools.lru_cache(maxsize=8)
def _load_cached(path: Path) -> Catalog:
    _, doc, top = read_yaml(path)
    top.keys_in(doc, {"format", "models"})
    if top.get(doc, "format", str) != FORMAT:
        raise top.at("format", doc).error(f"expected format: {FORMAT}")
    items = top.get(doc, "models", list)
    listing = top.at("models", doc)
    models: list[Model] = []
    claimed: dict[str, tuple[Model, Spot]] = {}
    for i, item in enumerate(items):
        spot = listing.item(i, items)
        model = _model(item, spot)
        for code in model.codes:
            other = claimed.get(_norm(code))
            if other is not None:
                owner, where = other
                raise spot.at("codes", item).error(f"code {code!r} is also claimed by {owner.key} (line {where.line})")
            claimed[_norm(code)] = (model, spot)
        models.append(model)
    keys = [m.key for m in models]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise listing.error(f"model key {duplicates[0]!r} is used twice")
    return Catalog(models)


def _model(node: Any, spot: Spot) -> Model:
    node = spot.expect(node, dict)
    spot.keys_in(node, {"key", "platform", "manufacturer", "marketing_name", "codes", "screen_px",
                        "storage_gb", "battery_design_mah"})
    key = spot.get(node, "key", str)
    if not _SLUG.match(key):
        raise spot.at("key", node).error(f"key {key!r} must be a lowercase slug like 'google-pixel-7'")
    codes = spot.get(node, "codes", list)
    if not codes or not all(isinstance(c, str) and c.strip() for c in codes):
        raise spot.at("codes", node).error("codes must be a non-empty list of text (quote codes like \"iPhone14,5\")")
    screen = spot.get(node, "screen_px", list)
    if len(screen) != 2 or not all(_positive(v) for v in screen) or screen[0] > screen[1]:
        raise spot.at("screen_px", node).error(f"screen_px must be [width, height] in portrait, got {screen!r}")
    storage = spot.get(node, "storage_gb", list)
    if not storage or not all(_positive(v) for v in storage):
        raise spot.at("storage_gb", node).error(f"storage_gb must list the tiers sold in GB, got {storage!r}")
    battery = spot.get(node, "battery_design_mah", int, default=None)
    if battery is not None and not _positive(battery):
        raise spot.at("battery_design_mah", node).error(f"battery_design_mah must be positive, got {battery!r}")
    return Model(
        key=key, platform=spot.choice(node, "platform", PLATFORMS),
        manufacturer=spot.get(node, "manufacturer", str), marketing_name=spot.get(node, "marketing_name", str),
        codes=tuple(c.strip() for c in codes), screen_px=(screen[0], screen[1]),
        storage_gb=tuple(sorted(set(storage))), battery_design_mah=battery,
    )


def _positive(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _norm(code: str) -> str:
    return code.strip().casefold()


# ---------------------------------------------------------------- YAML with line numbers


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
    loader = _LineLoader(raw)
    try:
        doc = loader.get_single_data()
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f"{mark.line + 1}:" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ProfileError(f"{path}:{line} not valid YAML: {problem}") from e
    finally:
        loader.dispose()
    top = Spot(str(path), "", 1)
    return raw, top.expect(doc, dict), top


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
