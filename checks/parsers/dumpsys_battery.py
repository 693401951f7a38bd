"""`dumpsys battery`: the AOSP "Current Battery Service state:" block, and Samsung's extras.

Phones print look-alikes of the AOSP keys, so every key is read only where AOSP puts it:
inside the block that starts at the exact line ``Current Battery Service state:``, on a
line indented by exactly two spaces, with a case-sensitive key. That leaves out:

- OnePlus/ColorOS's ``Current OPLUS Battery Service state:`` block, printed *before* the
  AOSP one with the same two-space indent;
- the one-space lines of Samsung and Android 14+ (`` The last voltage value sent via the
  battery changed broadcast: N``), which would otherwise pass for ``voltage``;
- Motorola's ``mod level:`` (a Moto Mod's battery), a different key from ``level``;
- Samsung's lowercase duplicate ``charge counter:``, and the ``level:N, voltage:N``
  inside the EventLogBuffer lines further down.

The block ends at the first line that is not indented. Samsung's extra lines
(``mSavedBatteryAsoc: [96]``) come after it and are read by name, anchored at a line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

HEADER = "Current Battery Service state:"
UPDATES_STOPPED = "(UPDATES STOPPED"
_FIELD = re.compile(r"^  (?P<key>[^\s:][^:]*?):[ \t]*(?P<value>.*?)\s*$")
_SAMSUNG = re.compile(r"^[ \t]*(?P<key>mSavedBattery[A-Za-z]+):[ \t]*\[?(?P<value>-?\d+)\]?[ \t]*$")
_INT = re.compile(r"^[+-]?\d+$")

#: BatteryManager.BATTERY_STATUS_* and the words some builds print instead
STATUS_CODES: Mapping[int, str] = {1: "unknown", 2: "charging", 3: "discharging", 4: "not_charging", 5: "full"}
#: BatteryManager.BATTERY_HEALTH_*
HEALTH_CODES: Mapping[int, str] = {
    1: "unknown", 2: "good", 3: "overheat", 4: "dead", 5: "over_voltage", 6: "unspecified_failure", 7: "cold",
}
#: where the AOSP dump names each charger, and what the report calls it
PLUG_KEYS: tuple[tuple[str, str], ...] = (
    ("AC powered", "ac"), ("USB powered", "usb"), ("Wireless powered", "wireless"), ("Dock powered", "dock"),
)


@dataclass(frozen=True)
class DumpsysBattery:
    """What one `dumpsys battery` said. ``fields`` holds the AOSP block's lines as text
    (first occurrence of each key wins); ``samsung`` the ``mSavedBattery*`` integers."""

    found: bool
    fields: Mapping[str, str] = field(default_factory=dict)
    updates_stopped: bool = False
    samsung: Mapping[str, int] = field(default_factory=dict)

    def integer(self, key: str) -> int | None:
        value = self.fields.get(key)
        return int(value) if value is not None and _INT.match(value) else None

    def boolean(self, key: str) -> bool | None:
        return {"true": True, "false": False}.get(self.fields.get(key, "").lower())

    def coded(self, key: str, codes: Mapping[int, str]) -> tuple[str | None, str | None]:
        """(name, None) for a known constant or word; (None, why) otherwise."""
        raw = self.fields.get(key)
        if raw is None:
            return None, f"no '{key}:' line"
        number = self.integer(key)
        if number is not None:
            if number in codes:
                return codes[number], None
            return None, f"'{key}: {number}' is not a BatteryManager constant"
        word = raw.strip().lower().replace(" ", "_").replace("-", "_")
        if word in codes.values():
            return word, None
        return None, f"'{key}:' value is not recognised"

    def plugged(self) -> tuple[str | None, str | None]:
        seen = [(name, self.boolean(key)) for key, name in PLUG_KEYS if key in self.fields]
        if not seen:
            return None, "no 'AC/USB/Wireless powered:' lines"
        powered = [name for name, on in seen if on]
        if powered:
            return powered[0], None
        if any(on is None for _, on in seen):
            return None, "a 'powered:' line is neither true nor false"
        return "none", None


def parse_dumpsys_battery(text: str) -> DumpsysBattery:
    """Parse `dumpsys battery`; never raises. ``found`` is False without the AOSP header."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    start = next((i for i, line in enumerate(lines) if line.rstrip() == HEADER), None)
    samsung = _samsung_lines(lines)
    if start is None:
        return DumpsysBattery(found=False, samsung=samsung)
    fields: dict[str, str] = {}
    stopped = False
    for line in lines[start + 1:]:
        if not line.startswith(" "):
            break
        if line.strip().startswith(UPDATES_STOPPED):
            stopped = True
            continue
        match = _FIELD.match(line)
        if match:
            fields.setdefault(match["key"], match["value"])
    return DumpsysBattery(found=True, fields=fields, updates_stopped=stopped, samsung=samsung)


def _samsung_lines(lines: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for line in lines:
        match = _SAMSUNG.match(line)
        if match:
            out.setdefault(match["key"], int(match["value"]))
    return out
