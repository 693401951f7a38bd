"""The power_supply sysfs files, and the unit sense-checks that capacities need.

The kernel ABI says ``charge_full`` and ``charge_full_design`` are in µAh, but some
vendor kernels print mAh, and some print a design capacity ten times off. A wrong unit
must not become a 1000% battery health: each capacity is read in the unit that makes it
a phone battery (agreeing with the model catalog when it knows the design capacity), and
a health outside 20-110% is reported as unknown with the reason, never clamped. The two
capacities and the health are judged once, together (``capacities``): a figure that is
rejected for the health is not reported as a capacity either. Every rejection names the
figure and the rule it broke.
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


def capacity_mah(raw: int | None, design_hint_mah: float | None, name: str = "capacity") -> Reading:
    """A sysfs capacity in mAh: µAh as the ABI says, or mAh when only that is a phone
    battery (the two are 1000x apart, so at most one is). With the catalog's design
    capacity the figure must also sit within CATALOG_TOLERANCE of it. ``name`` is the
    file the reason names."""
    if raw is None:
        return Reading(None, f"{name} not read")
    if raw <= 0:
        return Reading(None, f"{name} is {raw}: a capacity must be positive")
    low, high = PLAUSIBLE_MAH
    for mah, how in ((raw / 1000, "µAh / 1000"), (float(raw), "mAh as printed")):
        if low <= mah <= high:
            return _within_catalog(Reading(round(mah), method=how), raw, design_hint_mah, name)
    return Reading(None, f"{name} {raw} is no battery capacity in µAh ({raw / 1000:g} mAh) or mAh "
                         f"(a phone or tablet battery holds {low:g}-{high:g} mAh)")


def _within_catalog(reading: Reading, raw: int, hint: float | None, name: str) -> Reading:
    if not hint:
        return reading
    low, high = (hint * f for f in CATALOG_TOLERANCE)
    if low <= reading.value <= high:
        return reading
    return Reading(None, f"{name} {raw} ({reading.value} mAh, {reading.method}) is outside {low:g}-{high:g} mAh, "
                         f"the range for this model's {hint:g} mAh battery (catalog)")


def capacities(full_raw: Reading, design_raw: Reading, hint_mah: float | None) -> tuple[Reading, Reading, Reading]:
    """(full-charge mAh, design mAh, state of health %) from the two sysfs reads, judged
    once: a figure rejected for the health is not reported as a capacity either. The
    catalog vouches for the design capacity; the design capacity, when there is one, is
    what the full-charge capacity is measured against (else the catalog is)."""
    names = ("charge_full", "charge_full_design")
    design = capacity_mah(design_raw.value, hint_mah, names[1]) if design_raw.value is not None else design_raw
    hint_for_full = None if design.value is not None else hint_mah
    full = capacity_mah(full_raw.value, hint_for_full, names[0]) if full_raw.value is not None else full_raw
    full, design = _named(full, names[0]), _named(design, names[1])
    return judge_pair(full, design, names, design_confirmed=bool(hint_mah) and design.value is not None)


def _named(reading: Reading, name: str) -> Reading:
    """A read that failed, with the file it was: "charge_full: failed (exit 1): ..." ."""
    if reading.value is None and reading.reason and not reading.reason.startswith(name):
        return Reading(None, f"{name}: {reading.reason}", source=reading.source)
    return reading


def judge_pair(
    full: Reading, design: Reading, names: tuple[str, str], design_confirmed: bool
) -> tuple[Reading, Reading, Reading]:
    """The one judgement of a full-charge and a design capacity (mAh). Their ratio is the
    state of health; one a battery cannot have rejects the full-charge capacity, and the
    design capacity too unless something else (the catalog) vouches for it."""
    if full.value is None or design.value is None:
        missing = "; ".join(r.reason or "not determined" for r in (full, design) if r.value is None)
        return full, design, Reading(None, f"needs both capacities: {missing}")
    health = state_of_health(full.value, design.value, names)
    if health.value is not None:
        return full, design, Reading(health.value, method=f"{names[0]}/{names[1]}")
    rejected = Reading(None, health.reason, source=full.source)
    kept = design if design_confirmed else Reading(None, health.reason, source=design.source)
    return rejected, kept, health


def state_of_health(full_mah: float | None, design_mah: float | None,
                    names: tuple[str, str] = ("the full-charge capacity", "the design capacity")) -> Reading:
    """Full-charge capacity over design capacity, in percent, when both are known and the
    ratio is one a battery can have (PLAUSIBLE_SOH); never clamped."""
    if full_mah is None or design_mah is None or design_mah <= 0:
        return Reading(None, "needs both the full-charge and the design capacity")
    percent = round(100 * full_mah / design_mah, 1)
    low, high = PLAUSIBLE_SOH
    if not low <= percent <= high:
        return Reading(None, f"{names[0]} is {percent:.0f} % of {names[1]}: implausible "
                             f"(a battery holds {low:g}-{high:g} % of its design), not used")
    return Reading(percent)


def plausible_percent(value: int | None, name: str = "the value") -> Reading:
    """A health percentage a phone printed (Samsung's ASOC); -1 and other out-of-range
    values mean the phone does not know."""
    if value is None:
        return Reading(None, f"{name} not printed")
    low, high = PLAUSIBLE_SOH
    if not low <= value <= high:
        return Reading(None, f"{name} is {value}: not a health percentage ({low:g}-{high:g} %)")
    return Reading(value)
