"""The power_supply sysfs files, and the unit sense-checks that capacities need.

The kernel ABI says ``charge_full`` and ``charge_full_design`` are in µAh, but some
vendor kernels print mAh, and some print a design capacity ten times off. A wrong unit
must not become a 1000% battery health: each capacity is read in the unit that makes it
a phone battery (agreeing with the model catalog when it knows the design capacity), and
a health outside 20-110% is reported as unknown with the reason, never clamped.
"""

from __future__ import annotations

import re

from checks.parsers.battery_reading import Reading
from checks.shell import said

_INT = re.compile(r"^\s*(-?\d+)\s*$")

#: a phone or tablet battery, in mAh
PLAUSIBLE_MAH = (300.0, 20000.0)
#: how far a reading may sit from the catalog's design capacity and still be in the unit
#: tried (a worn battery holds less; the two candidate units are 1000x apart)
CATALOG_TOLERANCE = (0.2, 1.5)
#: a state of health outside this is a unit mismatch, not a battery
PLAUSIBLE_SOH = (20.0, 110.0)


def read_int(stdout: str, stderr: str, exit_code: int | None) -> Reading:
    """One sysfs file read with `cat`: a whole number, or why not (the phone's own words
    for "Permission denied" and "No such file", made safe to show)."""
    if exit_code not in (0, None):
        return Reading(None, failed(exit_code, stderr, stdout))
    match = _INT.match(stdout)
    if match is None:
        words = said(stdout) or said(stderr)
        return Reading(None, f"not a whole number: {words!r}" if words else "printed nothing")
    return Reading(int(match[1]))


def failed(exit_code: int | None, stderr: str, stdout: str) -> str:
    """How a command that failed is reported: its exit status and the phone's first words."""
    words = said(stderr) or said(stdout)
    return f"failed (exit {exit_code}){': ' + words if words else ''}"


def capacity_mah(raw: int | None, design_hint_mah: float | None) -> Reading:
    """A sysfs capacity in mAh: µAh as the ABI says, or mAh when only that fits."""
    if raw is None:
        return Reading(None, "not read")
    if raw <= 0:
        return Reading(None, f"the phone reports {raw}")
    candidates = ((raw / 1000, "µAh / 1000"), (float(raw), "mAh as printed"))
    if design_hint_mah:
        low, high = (design_hint_mah * f for f in CATALOG_TOLERANCE)
        for mah, how in candidates:
            if low <= mah <= high:
                return Reading(round(mah), method=how)
        return Reading(None, f"{raw} fits neither µAh nor mAh for a {design_hint_mah:g} mAh battery (catalog)")
    low, high = PLAUSIBLE_MAH
    for mah, how in candidates:
        if low <= mah <= high:
            return Reading(round(mah), method=how)
    return Reading(None, f"{raw} is no phone battery capacity in µAh or mAh")


def state_of_health(full_mah: float | None, design_mah: float | None) -> Reading:
    """Full-charge capacity over design capacity, in percent, when both are known and the
    ratio is one a battery can have."""
    if full_mah is None or design_mah is None or design_mah <= 0:
        return Reading(None, "needs both the full-charge and the design capacity")
    percent = round(100 * full_mah / design_mah, 1)
    low, high = PLAUSIBLE_SOH
    if not low <= percent <= high:
        return Reading(None, f"{percent}% is implausible (units of the two capacities likely differ)")
    return Reading(percent)


def plausible_percent(value: int | None) -> Reading:
    """A health percentage a phone printed (Samsung's ASOC); -1 and other out-of-range
    values mean the phone does not know."""
    if value is None:
        return Reading(None, "not printed")
    low, high = PLAUSIBLE_SOH
    if not low <= value <= high:
        return Reading(None, f"the phone prints {value} (not a health percentage)")
    return Reading(value)
