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
  in mAh; ``Temperature`` is in hundredths of a degree C; ``Voltage`` in mV.

Values may come as Python bools or as the 0/1 integers of a registry dump.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from checks.commands import IOREG_BATTERY, LOCKDOWN_BATTERY, ioreg_source, lockdown_source
from checks.parsers.battery_reading import Reading, missing
from checks.parsers.battery_sysfs import state_of_health

FULL_CAPACITY_KEYS = ("AppleRawMaxCapacity", "NominalChargeCapacity")


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

    def reg_int(self, key: str) -> Reading:
        """A registry integer, at the top level or else inside BatteryData."""
        if _int(self.ioreg.get(key)) is not None:
            return Reading(self.ioreg[key], source=_reg(key))
        if _int(self.data.get(key)) is not None:
            return Reading(self.data[key], source=_reg(f"BatteryData/{key}"))
        return missing(f"AppleSmartBattery has no whole-number {key}", _reg(key))

    def level_percent(self) -> Reading:
        level = _int(self.lockdown.get("BatteryCurrentCapacity"))
        if level is not None and 0 <= level <= 100:
            return Reading(level, source=_lock("BatteryCurrentCapacity"))
        current = _int(self.ioreg.get("CurrentCapacity"))
        if current is not None and 0 <= current <= 100 and (self.ios_major or 0) >= 10:
            return Reading(current, method="CurrentCapacity (a percentage from iOS 10)", source=_reg("CurrentCapacity"))
        return missing("no battery percentage in lockdown", _lock("BatteryCurrentCapacity"))

    def flags(self) -> tuple[bool | None, bool | None, bool | None, str]:
        """(charging, fully charged, external power) from lockdown, else the registry."""
        names = ("BatteryIsCharging", "FullyCharged", "ExternalConnected")
        found = tuple(_bool(self.lockdown.get(n)) for n in names)
        if any(v is not None for v in found):
            return (*found, _lock("BatteryIsCharging"))
        names = ("IsCharging", "FullyCharged", "ExternalConnected")
        return (*(_bool(self.ioreg.get(n)) for n in names), _reg("IsCharging"))

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
        installed = _bool(self.ioreg.get("BatteryInstalled"))
        if installed is not None:
            return Reading(installed, source=_reg("BatteryInstalled"))
        return missing("no HasBattery flag", _lock("HasBattery"))

    def temperature_c(self) -> Reading:
        raw = _int(self.ioreg.get("Temperature"))
        if raw is None:
            return missing("AppleSmartBattery has no Temperature", _reg("Temperature"))
        return Reading(raw / 100, method="Temperature / 100", source=_reg("Temperature"))

    def full_charge_capacity_mah(self) -> Reading:
        for key in FULL_CAPACITY_KEYS:
            if _int(self.ioreg.get(key)) is not None and self.ioreg[key] > 0:
                return Reading(self.ioreg[key], method=key, source=_reg(key))
        max_capacity = _int(self.ioreg.get("MaxCapacity"))
        if max_capacity is not None and self._max_capacity_is_mah(max_capacity):
            return Reading(max_capacity, method="MaxCapacity (mAh on iOS <= 9)", source=_reg("MaxCapacity"))
        return missing("no AppleRawMaxCapacity or NominalChargeCapacity (MaxCapacity is a percentage)",
                       _reg("AppleRawMaxCapacity"))

    def _max_capacity_is_mah(self, value: int) -> bool:
        if self.ios_major is not None:
            return self.ios_major <= 9
        return value > 100

    def state_of_health(self, full: Reading, design: Reading) -> Reading:
        soh = state_of_health(full.value, design.value)
        if soh.value is None:
            return missing(soh.reason or "not determined", full.source)
        key = (full.method or "").split(" ")[0]
        return Reading(soh.value, method=f"{key}/DesignCapacity", source=f"{full.source} + {design.source}")

    def charge_counter_uah(self) -> Reading:
        raw = _int(self.ioreg.get("AppleRawCurrentCapacity"))
        if raw is None or raw < 0:
            return missing("AppleSmartBattery has no AppleRawCurrentCapacity", _reg("AppleRawCurrentCapacity"))
        return Reading(raw * 1000, method="AppleRawCurrentCapacity (mAh) * 1000", source=_reg("AppleRawCurrentCapacity"))
