"""iPhone battery figures from the lockdown battery domain and the AppleSmartBattery entry.

Lockdown's ``com.apple.mobile.battery`` gives the level and charging booleans only; the
IORegistry entry (through the diagnostics relay) gives cycles, capacities, temperature
and voltage. Units moved across iOS versions, so which key may be divided by which is
decided here, once:

- ``MaxCapacity``/``CurrentCapacity`` are percentages from iOS 10 on, mAh before (the
  iOS <= 9 PMU registry: ``MaxCapacity = 1275`` for a 1420 mAh design). They are used as
  mAh only on iOS <= 9, or when the version is unknown and the value cannot be a percent.
- ``FullChargeCapacity`` is a placeholder of 100 from iOS 12.2 on: never used.
- ``AppleRawMaxCapacity`` (then ``NominalChargeCapacity``) is the full-charge capacity
  in mAh; ``Temperature`` is in hundredths of a degree C; ``Voltage`` (then
  ``AppleRawBatteryVoltage``) in mV.

Recent iOS (seen from iOS 17 to 26) may keep AppleRawMaxCapacity, NominalChargeCapacity,
DesignCapacity and CycleCount only inside the entry's ``BatteryData`` dictionary, so
every registry key is looked up at the top level and then inside BatteryData, with the
same rules. A zero voltage or temperature from a battery that is present means "not
reported", never a figure. Values may come as Python bools or as the 0/1 integers of a
registry dump.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from checks.commands import IOREG_BATTERY, LOCKDOWN_BATTERY, ioreg_source, lockdown_source
from checks.parsers.battery_reading import Reading, missing
from checks.parsers.battery_sysfs import judge_pair

FULL_CAPACITY_KEYS = ("AppleRawMaxCapacity", "NominalChargeCapacity")
VOLTAGE_KEYS = ("Voltage", "AppleRawBatteryVoltage")
_LEVELS = "at the top level or in BatteryData"


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    return {0: False, 1: True}.get(value) if _int(value) is not None else None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _lock(key: str) -> str:
    return lockdown_source(LOCKDOWN_BATTERY, key)


def _reg(key: str) -> str:
    return ioreg_source(IOREG_BATTERY, key)


class IosBattery:
    """Reads one phone's two answers; each method returns a Reading with its source."""

    def __init__(self, lockdown: Any, ioreg: Any, ios_major: int | None) -> None:
        self.lockdown = _mapping(lockdown)
        self.ioreg = _mapping(ioreg)
        self.data = _mapping(self.ioreg.get("BatteryData"))
        self.ios_major = ios_major

    def find(self, key: str, kind: Any = _int) -> tuple[Any, str] | None:
        """(value, source) of a registry key, at the top level or else inside BatteryData,
        when ``kind`` can read it there."""
        zero = None  # a 0 at one level must not hide the figure the other level has
        for where, prefix in ((self.ioreg, ""), (self.data, "BatteryData/")):
            value = kind(where.get(key))
            if value is not None and (value != 0 or isinstance(value, bool)):
                return value, _reg(prefix + key)
            if value is not None and zero is None:
                zero = value, _reg(prefix + key)
        return zero

    def reg_int(self, key: str) -> Reading:
        """A registry integer, at the top level or else inside BatteryData."""
        found = self.find(key)
        if found is None:
            return missing(f"AppleSmartBattery has no whole-number {key} {_LEVELS}", _reg(key))
        return Reading(found[0], source=found[1])

    def level_percent(self) -> Reading:
        level = _int(self.lockdown.get("BatteryCurrentCapacity"))
        if level is not None and 0 <= level <= 100:
            return Reading(level, source=_lock("BatteryCurrentCapacity"))
        current = self.find("CurrentCapacity")
        if current is not None and 0 <= current[0] <= 100 and (self.ios_major or 0) >= 10:
            return Reading(current[0], method="CurrentCapacity (a percentage from iOS 10)", source=current[1])
        if level is not None:
            why = f"BatteryCurrentCapacity is {level}: not a percentage (0-100)"
            return missing(why, _lock("BatteryCurrentCapacity"))
        return missing("no battery percentage in lockdown", _lock("BatteryCurrentCapacity"))

    def flags(self) -> tuple[bool | None, bool | None, bool | None, str]:
        """(charging, fully charged, external power) from lockdown, else the registry."""
        said = [_bool(self.lockdown.get(n)) for n in ("BatteryIsCharging", "FullyCharged", "ExternalConnected")]
        if any(v is not None for v in said):
            return said[0], said[1], said[2], _lock("BatteryIsCharging")
        flags = [self.find(n, _bool) for n in ("IsCharging", "FullyCharged", "ExternalConnected")]
        charging, full, external = (f[0] if f else None for f in flags)
        return charging, full, external, _reg("IsCharging")

    def status(self) -> Reading:
        charging, full, external, source = self.flags()
        how = "from IsCharging, FullyCharged and ExternalConnected"
        if external is False:
            return Reading("discharging", method=how, source=source)
        if charging:
            return Reading("charging", method=how, source=source)
        if full:
            return Reading("full", method=how, source=source)
        if external is True:
            return Reading("not_charging", method=how, source=source)
        return missing("no charging flags in lockdown or the registry", source)

    def plugged(self) -> Reading:
        _, _, external, source = self.flags()
        if external is False:
            return Reading("none", source=source)
        if external is True:
            return missing("iOS says external power is connected, not which kind", source)
        return missing("no ExternalConnected flag", source)

    def present(self) -> Reading:
        has = _bool(self.lockdown.get("HasBattery"))
        if has is not None:
            return Reading(has, source=_lock("HasBattery"))
        installed = self.find("BatteryInstalled", _bool)
        if installed is not None:
            return Reading(installed[0], source=installed[1])
        return missing("no HasBattery flag", _lock("HasBattery"))

    def temperature_c(self) -> Reading:
        reading = self._reported(("Temperature",), "hundredths of a degree", below_zero_too=True)
        if reading.value is None:
            return reading
        return Reading(reading.value / 100, method="Temperature / 100", source=reading.source)

    def voltage_mv(self) -> Reading:
        return self._reported(VOLTAGE_KEYS, "mV")

    def _reported(self, keys: tuple[str, ...], unit: str, below_zero_too: bool = False) -> Reading:
        """The first of ``keys`` with a figure; 0 (or, unless ``below_zero_too``, less: a
        temperature may be below zero, a voltage may not) from a battery that is there is
        the gauge not reporting, so the next key is tried and the reason says so."""
        notes = []
        for key in keys:
            found = self.find(key)
            if found is None:
                continue
            if found[0] > 0 or (below_zero_too and found[0] < 0):
                return Reading(found[0], method=None if key == keys[0] else f"{key} ({unit})", source=found[1])
            gone = self.present().value is False
            meaning = "no battery is installed" if gone else "not reported (the battery is present)"
            notes.append(f"{key} is {found[0]}: {meaning}")
        if not notes:
            return missing(f"AppleSmartBattery has no {' or '.join(keys)} {_LEVELS}", _reg(keys[0]))
        return missing("; ".join(notes), _reg(keys[0]))

    def full_charge_capacity_mah(self) -> Reading:
        notes = []
        for key in FULL_CAPACITY_KEYS:
            found = self.find(key)
            if found is not None and found[0] > 0:
                return Reading(found[0], method=key, source=found[1])
            if found is not None:
                notes.append(f"{key} is {found[0]}: a capacity must be positive")
        max_capacity = self.find("MaxCapacity")
        if max_capacity is not None and self._max_capacity_is_mah(max_capacity[0]):
            return Reading(max_capacity[0], method="MaxCapacity (mAh on iOS <= 9)", source=max_capacity[1])
        notes = notes or [f"no AppleRawMaxCapacity or NominalChargeCapacity {_LEVELS}"]
        if max_capacity is not None:
            notes.append(f"MaxCapacity {max_capacity[0]} is {self._why_percent()}")
        return missing("; ".join(notes), _reg("AppleRawMaxCapacity"))

    def _max_capacity_is_mah(self, value: int) -> bool:
        if self.ios_major is not None:
            return self.ios_major <= 9
        return value > 100

    def _why_percent(self) -> str:
        if self.ios_major is not None:
            return f"a percentage on iOS {self.ios_major} (mAh only up to iOS 9)"
        return "at most 100, so a percentage (the iOS version is unknown)"

    def design_capacity_mah(self) -> Reading:
        design = self.reg_int("DesignCapacity")
        if design.value is not None and design.value <= 0:
            return missing(f"DesignCapacity is {design.value}: a capacity must be positive", design.source)
        return design

    def capacities(self) -> tuple[Reading, Reading, Reading]:
        """(full-charge mAh, design mAh, state of health %), judged once: a full-charge
        capacity the health rejects is not reported either. DesignCapacity is the pack's
        rated mAh, with no unit to mistake, so it stands on its own."""
        return self._judge(self.full_charge_capacity_mah(), self.design_capacity_mah())

    def state_of_health(self, full: Reading, design: Reading) -> Reading:
        return self._judge(full, design)[2]

    def _judge(self, full: Reading, design: Reading) -> tuple[Reading, Reading, Reading]:
        key = (full.method or "").split(" ")[0] or "the full-charge capacity"
        full, design_out, soh = judge_pair(full, design, (key, "DesignCapacity"), design_confirmed=True)
        if soh.value is None:
            return full, design_out, missing(soh.reason or "not determined", full.source)
        source = f"{full.source} + {design.source}"
        return full, design_out, Reading(soh.value, method=f"{key}/DesignCapacity", source=source)

    def charge_counter_uah(self) -> Reading:
        found = self.find("AppleRawCurrentCapacity")
        if found is None:
            why = f"AppleSmartBattery has no AppleRawCurrentCapacity {_LEVELS}"
            return missing(why, _reg("AppleRawCurrentCapacity"))
        if found[0] < 0:
            return missing(f"AppleRawCurrentCapacity is {found[0]}: a charge cannot be negative", found[1])
        return Reading(found[0] * 1000, method="AppleRawCurrentCapacity (mAh) * 1000", source=found[1])
