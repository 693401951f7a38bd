"""The model catalog: what a phone model should be, so checks can compare a phone with it.

A phone only says what it is through codes (``SM-S911B``, ``panther``, ``iPhone14,5``);
the catalog maps every such code to the maker's public figures: native resolution (of
both panels, for a foldable), storage tiers sold, rated battery capacity (left out where
the maker publishes only watt-hours, as Apple does for iPads). A replaced panel or a swapped storage chip
shows as a phone that disagrees with its catalog entry.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.errors import ProfileError
from agent.resources import data_dir
from agent.yamlfile import Spot, read_yaml

FORMAT = "phonebench-catalog/1"
PLATFORMS = ("android", "ios")
_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


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
    cover_screen_px: tuple[int, int] | None = None   # a foldable's second panel, portrait

    @property
    def panels_px(self) -> tuple[tuple[int, int], ...]:
        """Every built-in panel, main first: a foldable's cover screen is its second."""
        return (self.screen_px,) if self.cover_screen_px is None else (self.screen_px, self.cover_screen_px)


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
    _, doc, top = read_yaml(path, ProfileError)
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
                        "cover_screen_px", "storage_gb", "battery_design_mah"})
    key = spot.get(node, "key", str)
    if not _SLUG.match(key):
        raise spot.at("key", node).error(f"key {key!r} must be a lowercase slug like 'google-pixel-7'")
    codes = spot.get(node, "codes", list)
    if not codes or not all(isinstance(c, str) and c.strip() for c in codes):
        raise spot.at("codes", node).error("codes must be a non-empty list of text (quote codes like \"iPhone14,5\")")
    screen = _panel(node, spot, "screen_px")
    cover = _panel(node, spot, "cover_screen_px") if "cover_screen_px" in node else None
    storage = spot.get(node, "storage_gb", list)
    if not storage or not all(_positive(v) for v in storage):
        raise spot.at("storage_gb", node).error(f"storage_gb must list the tiers sold in GB, got {storage!r}")
    battery = spot.get(node, "battery_design_mah", int, default=None)
    if battery is not None and not _positive(battery):
        raise spot.at("battery_design_mah", node).error(f"battery_design_mah must be positive, got {battery!r}")
    return Model(
        key=key, platform=spot.choice(node, "platform", PLATFORMS),
        manufacturer=spot.get(node, "manufacturer", str), marketing_name=spot.get(node, "marketing_name", str),
        codes=tuple(c.strip() for c in codes), screen_px=screen,
        storage_gb=tuple(sorted(set(storage))), battery_design_mah=battery, cover_screen_px=cover,
    )


def _panel(node: dict[str, Any], spot: Spot, key: str) -> tuple[int, int]:
    """A panel's [width, height] in pixels, portrait (width <= height)."""
    screen = spot.get(node, key, list)
    if len(screen) != 2 or not all(_positive(v) for v in screen) or screen[0] > screen[1]:
        raise spot.at(key, node).error(f"{key} must be [width, height] in portrait, got {screen!r}")
    return screen[0], screen[1]


def _positive(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _norm(code: str) -> str:
    return code.strip().casefold()

