"""The battery check end to end over replayed phones: metrics, sources, reasons and faults."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest
import yaml

from agent.check import CheckContext, CheckResult, Metric
from agent.errors import LinkDisconnected, LinkTimeout
from agent.fixtures.format import parse_fixture
from agent.links.replay import replay_link
from checks import commands as cmd
from checks.battery import CONTRACT, BatteryCheck
from tests.battery.battery_data import CAPTURES, read_data

DENIED = {"stdout": "", "stderr": "cat: {path}: Permission denied\n", "exit_code": 1}
PIXEL_DUMP = """Current Battery Service state:
  AC powered: false
  USB powered: true
  Wireless powered: false
  Dock powered: false
  Max charging current: 500000
  Max charging voltage: 5000000
  Charge counter: 3712000
  status: 2
  health: 2
  present: true
  level: 81
  scale: 100
  voltage: 4211
 The last voltage value sent via the battery changed broadcast: 4199
  temperature: 301
  technology: Li-ion
"""


@dataclass(frozen=True)
class Model:
    """A stand-in for a catalog entry."""

    battery_design_mah: int


def android(commands: Mapping[str, Any], faults: list[dict[str, str]] | None = None) -> Any:
    doc = {
        "format": "phonebench-fixture/1", "name": "battery-test", "platform": "android", "source": "inline",
        "android": {"serial": "TEST0001", "commands": dict(commands)}, "faults": faults or [],
    }
    return replay_link(parse_fixture(yaml.safe_dump(doc, allow_unicode=True)))


def ios(lockdown: Mapping[str, Any], ioreg: Mapping[str, Any], faults: list[dict[str, str]] | None = None) -> Any:
    doc = {
        "format": "phonebench-fixture/1", "name": "battery-test", "platform": "ios", "source": "inline",
        "ios": {"udid": "00008030-TEST", "lockdown": {"": {"ProductVersion": "17.4"}, cmd.LOCKDOWN_BATTERY: dict(lockdown)},
                "ioregistry": {cmd.IOREG_BATTERY: dict(ioreg)} if ioreg else {}},
        "faults": faults or [],
    }
    return replay_link(parse_fixture(yaml.safe_dump(doc, allow_unicode=True)))


def run(link: Any, model: Any = None, device: Mapping[str, Any] | None = None, timeout_s: float = 5.0) -> Any:
    ctx = CheckContext(link=link, platform=link.platform, device=device or {}, model=model, timeout_s=timeout_s)
    return asyncio.run(BatteryCheck().run(ctx))


def sysfs(cycles: str, full: str, design: str) -> dict[str, dict[str, Any]]:
    return {cmd.SYS_CYCLE_COUNT: {"stdout": cycles}, cmd.SYS_CHARGE_FULL: {"stdout": full},
            cmd.SYS_CHARGE_FULL_DESIGN: {"stdout": design}}


def denied() -> dict[str, dict[str, Any]]:
    return {c: {**DENIED, "stderr": DENIED["stderr"].format(path=c[4:])} for c in
            (cmd.SYS_CYCLE_COUNT, cmd.SYS_CHARGE_FULL, cmd.SYS_CHARGE_FULL_DESIGN)}


def assert_report_shaped(metrics: Mapping[str, Metric]) -> None:
    assert set(CONTRACT) <= set(metrics)
    for name, metric in metrics.items():
        out = metric.to_json()
        assert out["value"] is None or out["source"], name
        assert out["value"] is not None or out["reason"], name


def test_pixel_with_readable_sysfs_measures_everything() -> None:
    metrics = run(android({cmd.DUMPSYS_BATTERY: {"stdout": PIXEL_DUMP}, **sysfs("312\n", "4200000\n", "4500000\n")}))
    assert_report_shaped(metrics)
    expected = {
        "level_percent": 81, "status": "charging", "health": "good", "temperature_c": 30.1, "voltage_mv": 4211,
        "cycle_count": 312, "design_capacity_mah": 4500, "full_charge_capacity_mah": 4200,
        "state_of_health_percent": 93.3, "technology": "Li-ion", "plugged": "usb", "present": True,
        "charge_counter_uah": 3712000, "max_charging_current_ua": 500000, "max_charging_voltage_uv": 5000000,
    }
    assert {name: metrics[name].value for name in expected} == expected
    assert metrics["state_of_health_percent"].method == "charge_full/charge_full_design"
    assert metrics["cycle_count"].source == cmd.SYS_CYCLE_COUNT
    assert metrics["voltage_mv"].source == cmd.DUMPSYS_BATTERY


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.stem)
def test_each_real_capture_gives_its_expected_figures_with_sysfs_denied(path: Any) -> None:
    expect, text = read_data(path.name)
    metrics = run(android({cmd.DUMPSYS_BATTERY: {"stdout": text}, **denied()}))
    assert_report_shaped(metrics)
    assert {name: metrics[name].value for name in expect} == expect
    assert "Permission denied" in (metrics["cycle_count"].reason or "")


def test_samsung_health_comes_from_asoc_and_usage_is_never_a_cycle_count() -> None:
    _, text = read_data("dumpsys_battery_samsung_galaxy_s24.txt")
    metrics = run(android({cmd.DUMPSYS_BATTERY: {"stdout": text}, **denied()}))
    assert metrics["state_of_health_percent"].value == 99
    assert metrics["state_of_health_percent"].method == "samsung mSavedBatteryAsoc"
    assert metrics["cycle_count"].value is None  # mSavedBatteryUsage: [70188] is not a cycle count


def test_samsung_asoc_of_minus_one_leaves_health_unknown_with_the_reason() -> None:
    _, text = read_data("dumpsys_battery_samsung_j6_a10_asoc_unsupported.txt")
    metrics = run(android({cmd.DUMPSYS_BATTERY: {"stdout": text}, **denied()}))
    assert metrics["state_of_health_percent"].value is None
    assert "-1" in (metrics["state_of_health_percent"].reason or "")


def test_design_capacity_ten_times_off_never_yields_a_1000_percent_health() -> None:
    link = android({cmd.DUMPSYS_BATTERY: {"stdout": PIXEL_DUMP}, **sysfs("5\n", "4300000\n", "430000\n")})
    metrics = run(link)
    assert metrics["state_of_health_percent"].value is None
    assert "implausible" in (metrics["state_of_health_percent"].reason or "")


def test_catalog_design_capacity_exposes_a_design_figure_in_the_wrong_unit() -> None:
    link = android({cmd.DUMPSYS_BATTERY: {"stdout": PIXEL_DUMP}, **sysfs("5\n", "4300000\n", "430000\n")})
    metrics = run(link, model=Model(battery_design_mah=4500))
    assert metrics["design_capacity_mah"].value is None and "catalog" in (metrics["design_capacity_mah"].reason or "")
    assert metrics["full_charge_capacity_mah"].value == 4300
    assert metrics["state_of_health_percent"].value is None


def test_catalog_recognises_a_kernel_that_prints_mah() -> None:
    link = android({cmd.DUMPSYS_BATTERY: {"stdout": PIXEL_DUMP}, **sysfs("5\n", "4300\n", "4500\n")})
    metrics = run(link, model={"battery_design_mah": 4500})
    assert metrics["design_capacity_mah"].value == 4500
    assert metrics["design_capacity_mah"].method == "mAh as printed"
    assert metrics["state_of_health_percent"].value == 95.6


def test_odd_values_are_reported_as_the_phone_said_them() -> None:
    text = PIXEL_DUMP.replace("health: 2", "health: 3").replace("temperature: 301", "temperature: 180")
    metrics = run(android({cmd.DUMPSYS_BATTERY: {"stdout": text}, **denied()}))
    assert (metrics["health"].value, metrics["temperature_c"].value) == ("overheat", 18.0)


def test_a_failing_dumpsys_names_its_exit_and_sysfs_still_counts() -> None:
    dump = {"stdout": "", "stderr": "Can't find service: battery\n", "exit_code": 1}
    metrics = run(android({cmd.DUMPSYS_BATTERY: dump, **sysfs("7\n", "3900000\n", "4000000\n")}))
    assert metrics["level_percent"].value is None
    assert metrics["level_percent"].reason == "failed (exit 1): Can't find service: battery"
    assert metrics["state_of_health_percent"].value == 97.5


def test_disconnect_at_dumpsys_battery_propagates() -> None:
    link = android({cmd.DUMPSYS_BATTERY: {"stdout": PIXEL_DUMP}}, faults=[{"kind": "disconnect", "at": cmd.DUMPSYS_BATTERY}])
    with pytest.raises(LinkDisconnected):
        run(link)


def test_a_hanging_read_propagates_as_a_timeout() -> None:
    link = android({cmd.DUMPSYS_BATTERY: {"stdout": PIXEL_DUMP}}, faults=[{"kind": "hang", "at": cmd.SYS_CHARGE_FULL}])
    with pytest.raises(LinkTimeout):
        run(link, timeout_s=0.01)


def test_garbage_everywhere_is_an_error_with_nulls_and_reasons() -> None:
    link = android({cmd.DUMPSYS_BATTERY: {"stdout": PIXEL_DUMP}, **sysfs("1", "2", "3")},
                   faults=[{"kind": "garbage", "at": "*"}])
    result = run(link)
    assert isinstance(result, CheckResult) and result.outcome == "error"
    assert result.detail and "\n" not in result.detail
    assert all(result.metrics[name].value is None for name in CONTRACT)
    assert_report_shaped(result.metrics)


def test_iphone_reads_lockdown_and_the_registry() -> None:
    lockdown = {"BatteryCurrentCapacity": 64, "BatteryIsCharging": False, "ExternalConnected": False,
                "FullyCharged": False, "HasBattery": True}
    registry = {"CycleCount": 412, "DesignCapacity": 3227, "AppleRawMaxCapacity": 2790, "MaxCapacity": 100,
                "Temperature": 3012, "Voltage": 3921, "AppleRawCurrentCapacity": 1785}
    metrics = run(ios(lockdown, registry), device={"os_version": "17.4"})
    assert_report_shaped(metrics)
    assert {name: metrics[name].value for name in (
        "level_percent", "status", "temperature_c", "voltage_mv", "cycle_count", "design_capacity_mah",
        "full_charge_capacity_mah", "state_of_health_percent", "plugged", "present", "charge_counter_uah")} == {
        "level_percent": 64, "status": "discharging", "temperature_c": 30.12, "voltage_mv": 3921, "cycle_count": 412,
        "design_capacity_mah": 3227, "full_charge_capacity_mah": 2790, "state_of_health_percent": 86.5,
        "plugged": "none", "present": True, "charge_counter_uah": 1785000}
    assert metrics["state_of_health_percent"].method == "AppleRawMaxCapacity/DesignCapacity"
    assert metrics["level_percent"].source == "lockdown:com.apple.mobile.battery/BatteryCurrentCapacity"
    assert metrics["cycle_count"].source == "ioregistry:AppleSmartBattery/CycleCount"


def test_iphone_without_the_registry_entry_still_measures_level() -> None:
    metrics = run(ios({"BatteryCurrentCapacity": 53, "BatteryIsCharging": True}, {}))
    assert metrics["level_percent"].value == 53 and metrics["cycle_count"].value is None
    assert metrics["cycle_count"].reason


def test_iphone_garbage_is_an_error() -> None:
    link = ios({"BatteryCurrentCapacity": 53}, {"CycleCount": 1}, faults=[{"kind": "garbage", "at": "*"}])
    result = run(link)
    assert isinstance(result, CheckResult) and result.outcome == "error"


def test_iphone_disconnect_at_the_battery_domain_propagates() -> None:
    link = ios({"BatteryCurrentCapacity": 53}, {}, faults=[{"kind": "disconnect", "at": "lockdown:" + cmd.LOCKDOWN_BATTERY}])
    with pytest.raises(LinkDisconnected):
        run(link)


def test_reads_name_every_command_and_lockdown_read() -> None:
    assert BatteryCheck.reads["android"] == (
        cmd.DUMPSYS_BATTERY, cmd.SYS_CYCLE_COUNT, cmd.SYS_CHARGE_FULL, cmd.SYS_CHARGE_FULL_DESIGN)
    assert BatteryCheck.reads["ios"] == ("lockdown:com.apple.mobile.battery", "ioregistry:AppleSmartBattery")


# -- read but implausible is not unreadable; one judgement per reading -------------------

ISSUE_SYSFS = sysfs("411\n", "6882000\n", "4550000\n")
RATIO_REASON = "charge_full is 151 % of charge_full_design: implausible (a battery holds 20-110 % of its design), not used"


def test_implausible_capacities_say_what_happened_not_unreadable() -> None:
    metrics = run(android({cmd.DUMPSYS_BATTERY: {"stdout": PIXEL_DUMP}, **ISSUE_SYSFS}), model=Model(4500))
    assert metrics["full_charge_capacity_mah"].value is None
    assert metrics["full_charge_capacity_mah"].reason == RATIO_REASON
    assert metrics["state_of_health_percent"].reason == f"{RATIO_REASON}; Samsung mSavedBatteryAsoc not printed"
    assert "not readable" not in (metrics["state_of_health_percent"].reason or "")
    assert metrics["design_capacity_mah"].value == 4550


def test_a_phone_the_catalog_does_not_know_gets_one_judgement() -> None:
    metrics = run(android({cmd.DUMPSYS_BATTERY: {"stdout": PIXEL_DUMP}, **ISSUE_SYSFS}), model=None)
    assert metrics["state_of_health_percent"].value is None
    assert metrics["full_charge_capacity_mah"].value is None
    assert metrics["full_charge_capacity_mah"].reason == RATIO_REASON
    assert metrics["design_capacity_mah"].value is None


def test_dumpsys_rejections_name_the_figure_and_the_rule() -> None:
    text = PIXEL_DUMP.replace("scale: 100", "scale: 0").replace("Charge counter: 3712000", "Charge counter: 0")
    metrics = run(android({cmd.DUMPSYS_BATTERY: {"stdout": text}, **denied()}))
    assert metrics["level_percent"].reason == "scale is 0: a level needs a positive scale"
    assert metrics["charge_counter_uah"].reason == "Charge counter is 0: not a charge (the fuel gauge does not count it)"


def test_iphone_with_capacities_only_under_battery_data() -> None:
    registry = {"BatteryData": {"NominalChargeCapacity": 3103, "DesignCapacity": 3544, "CycleCount": 501},
                "Voltage": 0, "AppleRawBatteryVoltage": 3879, "BatteryInstalled": True, "MaxCapacity": 100}
    metrics = run(ios({"BatteryCurrentCapacity": 64}, registry), device={"os_version": "26.0"})
    assert_report_shaped(metrics)
    got = {name: metrics[name].value for name in (
        "full_charge_capacity_mah", "design_capacity_mah", "state_of_health_percent", "cycle_count", "voltage_mv")}
    assert got == {"full_charge_capacity_mah": 3103, "design_capacity_mah": 3544, "state_of_health_percent": 87.6,
                   "cycle_count": 501, "voltage_mv": 3879}
    assert metrics["voltage_mv"].source == "ioregistry:AppleSmartBattery/AppleRawBatteryVoltage"
    assert metrics["state_of_health_percent"].source == (
        "ioregistry:AppleSmartBattery/BatteryData/NominalChargeCapacity + "
        "ioregistry:AppleSmartBattery/BatteryData/DesignCapacity")
