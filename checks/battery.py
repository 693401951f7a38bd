"""The battery check: level, state, health, temperature, voltage, cycles and capacities.

Android: `dumpsys battery` for the live state, the power_supply sysfs files for cycles
and capacities (often unreadable without root: then unknown, with the phone's reason).
iOS: the lockdown battery domain for level and charging state, the AppleSmartBattery
IORegistry entry for the rest. Every figure is what the phone said, in the unit its
metric name carries; an odd value (overheat at 18 °C) is reported as said, and only a
unit mismatch (a 1000% health) is turned into unknown. Grading happens elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from agent.check import Check, CheckContext, CheckResult, Metric, MetricSpec, declare
from agent.links.base import AndroidLink, IosLink, ShellResult, ioregistry_read_key, lockdown_read_key
from checks import commands as cmd
from checks.parsers.battery_reading import Reading, missing
from checks.parsers.battery_sysfs import capacities, failed, plausible_percent, read_int
from checks.parsers.dumpsys_battery import HEALTH_CODES, STATUS_CODES, DumpsysBattery, parse_dumpsys_battery
from checks.parsers.ios_battery import IosBattery
from checks.shell import gather_reads, run_commands, said

#: the metrics every battery result carries, known or not (the report contract)
CONTRACT = (
    "level_percent", "status", "health", "temperature_c", "voltage_mv", "cycle_count",
    "design_capacity_mah", "full_charge_capacity_mah", "state_of_health_percent", "technology",
)
_ANDROID_READS = (cmd.DUMPSYS_BATTERY, cmd.SYS_CYCLE_COUNT, cmd.SYS_CHARGE_FULL, cmd.SYS_CHARGE_FULL_DESIGN)
#: above this a `voltage:` line is in µV, not mV (no phone cell is 100 V)
_MICROVOLT_THRESHOLD = 100_000


class BatteryCheck(Check):
    name: ClassVar[str] = "battery"
    title: ClassVar[str] = "Battery"
    reads: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "android": _ANDROID_READS,
        "ios": (lockdown_read_key(cmd.LOCKDOWN_BATTERY), ioregistry_read_key(cmd.IOREG_BATTERY)),
    }
    metrics: ClassVar[Mapping[str, MetricSpec]] = declare(
        ("level_percent", "%", "charge level"),
        ("status", None, "charging, discharging, full or not charging"),
        ("health", None, "the battery health the OS reports (good, overheat, dead, ...)"),
        ("temperature_c", "°C", "battery temperature"),
        ("voltage_mv", "mV", "battery voltage"),
        ("cycle_count", None, "charge cycles counted by the battery or the OS"),
        ("design_capacity_mah", "mAh", "the capacity the battery was made for"),
        ("full_charge_capacity_mah", "mAh", "what the battery holds when full, today"),
        ("state_of_health_percent", "%", "full-charge capacity as a share of design capacity"),
        ("technology", None, "battery chemistry (Li-ion, Li-poly)"),
        ("charge_counter_uah", "µAh", "charge left, as the fuel gauge counts it"),
        ("max_charging_current_ua", "µA", "the charger's maximum current"),
        ("max_charging_voltage_uv", "µV", "the charger's maximum voltage"),
        ("plugged", None, "the power source it is plugged into (ac, usb, wireless) or none"),
        ("present", None, "whether a battery is present"),
        ("updates_stopped", None, "true when `dumpsys battery` figures were set by hand and frozen"),
    )

    async def run(self, ctx: CheckContext) -> CheckResult | Mapping[str, Metric]:
        if isinstance(ctx.link, IosLink):
            metrics = await _ios(ctx, ctx.link)
            why = "the phone gave no battery figure over lockdown or the IORegistry"
        elif isinstance(ctx.link, AndroidLink):
            metrics = await _android(ctx)
            why = "neither `dumpsys battery` nor the sysfs battery files gave a figure"
        else:
            return CheckResult("unsupported", {}, detail=f"no battery reads for a {ctx.platform} link")
        if all(metrics[name].value is None for name in CONTRACT):
            return CheckResult("error", metrics, detail=why)
        return metrics


def _metric(reading: Reading, source: str | None) -> Metric:
    """A Reading as a report metric; the Reading's own source wins when it has one."""
    where = reading.source or source
    if reading.value is None:
        return Metric(None, where, reading.reason or "not determined")
    return Metric(reading.value, where, None, reading.method)


# -- Android ------------------------------------------------------------------------


async def _android(ctx: CheckContext) -> dict[str, Metric]:
    dump_result, cycles_result, full_result, design_result = await run_commands(ctx, _ANDROID_READS)
    dump = parse_dumpsys_battery(dump_result.stdout) if dump_result.ok else DumpsysBattery(found=False)
    metrics = _from_dumpsys(dump, _why_no_block(dump_result))
    full, design, ratio = capacities(_sysfs(full_result), _sysfs(design_result), _design_hint(ctx.model))
    metrics["cycle_count"] = _metric(_sysfs(cycles_result), cmd.SYS_CYCLE_COUNT)
    metrics["full_charge_capacity_mah"] = _metric(full, cmd.SYS_CHARGE_FULL)
    metrics["design_capacity_mah"] = _metric(design, cmd.SYS_CHARGE_FULL_DESIGN)
    metrics["state_of_health_percent"] = _android_soh(ratio, dump)
    return metrics


def _why_no_block(result: ShellResult) -> str:
    if result.ok:
        return "no 'Current Battery Service state:' block in the output"
    return failed(result.exit_code, result.stderr, result.stdout)


def _sysfs(result: ShellResult) -> Reading:
    return read_int(result.stdout, result.stderr, result.exit_code)


def _design_hint(model: Any) -> float | None:
    """The catalog's design capacity in mAh, which vouches for (or rejects) the phone's own."""
    value = model.get("battery_design_mah") if isinstance(model, Mapping) else getattr(model, "battery_design_mah", None)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return float(value)
    return None


def _from_dumpsys(dump: DumpsysBattery, reason: str) -> dict[str, Metric]:
    """The live-state metrics; every one unknown with ``reason`` when there is no block."""
    src = cmd.DUMPSYS_BATTERY
    if not dump.found:
        names = ("level_percent", "status", "health", "temperature_c", "voltage_mv", "technology", "charge_counter_uah",
                 "max_charging_current_ua", "max_charging_voltage_uv", "plugged", "present", "updates_stopped")
        return {name: Metric(None, src, reason) for name in names}
    technology = said(dump.fields.get("technology", "")) or None
    return {
        "level_percent": _metric(_level(dump), src),
        "status": _metric(_coded(dump.coded("status", STATUS_CODES)), src),
        "health": _metric(_coded(dump.coded("health", HEALTH_CODES)), src),
        "temperature_c": _metric(_scaled(dump, "temperature", 10, "temperature / 10"), src),
        "voltage_mv": _metric(_voltage(dump), src),
        "technology": _metric(Reading(technology) if technology else missing("no 'technology:' line"), src),
        "charge_counter_uah": _metric(_charge_counter(dump), src),
        "max_charging_current_ua": _metric(_int_line(dump, "Max charging current"), src),
        "max_charging_voltage_uv": _metric(_int_line(dump, "Max charging voltage"), src),
        "plugged": _metric(_coded(dump.plugged()), src),
        "present": _metric(_bool_line(dump, "present"), src),
        "updates_stopped": Metric(dump.updates_stopped, src),
    }


def _coded(pair: tuple[str | None, str | None]) -> Reading:
    """A (name, why-not) pair from the dumpsys parser as a Reading."""
    return Reading(pair[0], pair[1])


def _int_line(dump: DumpsysBattery, key: str) -> Reading:
    value = dump.integer(key)
    return Reading(value) if value is not None else missing(f"no whole-number '{key}:' line")


def _bool_line(dump: DumpsysBattery, key: str) -> Reading:
    value = dump.boolean(key)
    return Reading(value) if value is not None else missing(f"no true/false '{key}:' line")


def _scaled(dump: DumpsysBattery, key: str, divisor: int, method: str) -> Reading:
    value = dump.integer(key)
    return Reading(value / divisor, method=method) if value is not None else missing(f"no whole-number '{key}:' line")


def _level(dump: DumpsysBattery) -> Reading:
    level, scale = dump.integer("level"), dump.integer("scale")
    if level is None:
        return missing("no whole-number 'level:' line")
    if scale is None or scale == 100:
        return Reading(level)
    if scale <= 0:
        return missing(f"scale is {scale}: a level needs a positive scale")
    return Reading(round(100 * level / scale, 1), method="level * 100 / scale")


def _voltage(dump: DumpsysBattery) -> Reading:
    value = dump.integer("voltage")
    if value is None:
        return missing("no whole-number 'voltage:' line")
    if value > _MICROVOLT_THRESHOLD:
        return Reading(round(value / 1000), method="voltage in µV / 1000")
    return Reading(value)


def _charge_counter(dump: DumpsysBattery) -> Reading:
    value = dump.integer("Charge counter")
    if value is None:
        return missing("no whole-number 'Charge counter:' line")
    if value <= 0:
        return missing(f"Charge counter is {value}: not a charge (the fuel gauge does not count it)")
    return Reading(value)


def _android_soh(ratio: Reading, dump: DumpsysBattery) -> Metric:
    """charge_full/charge_full_design when both were read and judged plausible; else
    Samsung's own figure; else why neither, each in its own words."""
    source = f"{cmd.SYS_CHARGE_FULL} + {cmd.SYS_CHARGE_FULL_DESIGN}"
    if ratio.value is not None:
        return Metric(ratio.value, source, None, ratio.method)
    for key in ("mSavedBatteryAsoc", "mSavedBatteryBsoh"):
        samsung = plausible_percent(dump.samsung.get(key), f"Samsung {key}")
        if samsung.value is not None:
            return Metric(samsung.value, cmd.DUMPSYS_BATTERY, None, f"samsung {key}")
    asoc = plausible_percent(dump.samsung.get("mSavedBatteryAsoc"), "Samsung mSavedBatteryAsoc").reason
    return Metric(None, source, f"{ratio.reason}; {asoc}")


# -- iOS ----------------------------------------------------------------------------


async def _ios(ctx: CheckContext, link: IosLink) -> dict[str, Metric]:
    lockdown, ioreg = await gather_reads(
        link.lockdown_value(cmd.LOCKDOWN_BATTERY, timeout=ctx.timeout_s),
        link.ioregistry(cmd.IOREG_BATTERY, timeout=ctx.timeout_s),
    )
    ios = IosBattery(lockdown, ioreg, _ios_major(ctx.device.get("os_version")))
    full, design, health = ios.capacities()
    return {name: _metric(reading, None) for name, reading in {
        "level_percent": ios.level_percent(),
        "status": ios.status(),
        "health": missing("iOS reports no Android-style battery health state"),
        "temperature_c": ios.temperature_c(),
        "voltage_mv": ios.voltage_mv(),
        "cycle_count": ios.reg_int("CycleCount"),
        "design_capacity_mah": design,
        "full_charge_capacity_mah": full,
        "state_of_health_percent": health,
        "technology": missing("iOS does not report the battery chemistry"),
        "charge_counter_uah": ios.charge_counter_uah(),
        "plugged": ios.plugged(),
        "present": ios.present(),
    }.items()}


def _ios_major(version: Any) -> int | None:
    """The major iOS version from the identity metric (a Metric or plain text), if any."""
    text = getattr(version, "value", version)
    head = str(text).split(".")[0] if text is not None else ""
    return int(head) if head.isascii() and head.isdigit() else None
