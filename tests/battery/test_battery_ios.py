"""iPhone battery figures from the published captures, and the unit traps across iOS versions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from checks.parsers.ios_battery import IosBattery
from tests.battery.nsdict import parse_nsdict
from tests.conftest import read_capture

IOKIT = "ios_iokit_powersource_nsdictionary_ios9_d1815pmu_eeiokitlistener.txt"
LOCKDOWN = "ios_lockdown_mobile_battery_domain_json_tidevice.json"

#: where each `# expect:` key of the IOKit capture lives in the parsed dictionary
IOKIT_PATHS = {
    "cycle_count": ("CycleCount",), "design_capacity_mah": ("DesignCapacity",),
    "apple_raw_max_capacity_mah": ("AppleRawMaxCapacity",), "apple_raw_current_capacity_mah": ("AppleRawCurrentCapacity",),
    "max_capacity_raw": ("MaxCapacity",), "current_capacity_raw": ("CurrentCapacity",),
    "battery_data_max_capacity_mah": ("BatteryData", "MaxCapacity"),
    "full_available_capacity_mah": ("BatteryData", "FullAvailableCapacity"),
    "voltage_mv": ("Voltage",), "instant_amperage_ma": ("InstantAmperage",), "amperage_ma": ("Amperage",),
    "adapter_watts": ("AdapterDetails", "Watts"), "state_of_charge_percent": ("BatteryData", "StateOfCharge"),
    "chem_id": ("BatteryData", "ChemID"), "manufacturer": ("Manufacturer",), "io_class": ("IOClass",),
}


def iokit() -> tuple[dict, dict[str, Any]]:
    expect, body = read_capture(IOKIT)
    parsed = parse_nsdict(body.decode("utf-8"))
    assert parsed is not None
    return expect, parsed


def dig(tree: dict[str, Any], path: tuple[str, ...]) -> Any:
    for key in path:
        tree = tree[key]
    return tree


def test_nsdict_reads_every_expected_value_of_the_ios9_capture() -> None:
    expect, parsed = iokit()
    for name, path in IOKIT_PATHS.items():
        assert dig(parsed, path) == expect[name], name


def test_nsdict_survives_the_truncated_blob_and_keeps_the_keys_after_it() -> None:
    _, parsed = iokit()
    assert set(parsed["battery-data"]) == {"0003-default", "0004-default", "0005-default"}
    assert parsed["built-in"] == 1
    assert parsed["IOInterruptSpecifiers"][0] == bytes.fromhex("03000000")


def test_ios9_pmu_capture_gives_capacities_health_temperature_and_state() -> None:
    expect, parsed = iokit()
    ios = IosBattery({}, parsed, ios_major=9)
    full, design = ios.full_charge_capacity_mah(), ios.reg_int("DesignCapacity")
    assert ios.reg_int("CycleCount").value == expect["cycle_count"]
    assert design.value == expect["design_capacity_mah"]
    assert full.value == expect["apple_raw_max_capacity_mah"]
    assert ios.state_of_health(full, design).value == expect["health_percent_raw_max_over_design"]
    assert ios.state_of_health(full, design).method == "AppleRawMaxCapacity/DesignCapacity"
    assert ios.temperature_c().value == expect["temperature_c"]
    assert ios.reg_int("Voltage").value == expect["voltage_mv"]
    assert ios.status().value == "full"  # FullyCharged = 1, IsCharging = 0, ExternalConnected = 1


def test_ios9_max_capacity_is_mah_when_no_raw_key_exists() -> None:
    _, parsed = iokit()
    del parsed["AppleRawMaxCapacity"]
    reading = IosBattery({}, parsed, ios_major=9).full_charge_capacity_mah()
    assert reading.value == 1275 and "MaxCapacity" in (reading.method or "")


@pytest.mark.parametrize("major", [10, 12, 17, None])
def test_max_and_full_charge_capacity_percentages_are_never_divided(major: int | None) -> None:
    registry = {"MaxCapacity": 100, "CurrentCapacity": 87, "FullChargeCapacity": 100, "DesignCapacity": 3227}
    ios = IosBattery({}, registry, ios_major=major)
    full = ios.full_charge_capacity_mah()
    assert full.value is None
    assert ios.state_of_health(full, ios.reg_int("DesignCapacity")).value is None


def test_newer_ios_battery_data_sub_dict_supplies_cycles() -> None:
    registry = {"BatteryData": {"CycleCount": 412, "DesignCapacity": 3227}, "AppleRawMaxCapacity": 2790}
    ios = IosBattery({}, registry, ios_major=17)
    assert ios.reg_int("CycleCount").value == 412
    assert ios.reg_int("CycleCount").source == "ioregistry:AppleSmartBattery/BatteryData/CycleCount"
    assert ios.state_of_health(ios.full_charge_capacity_mah(), ios.reg_int("DesignCapacity")).value == 86.5


def test_lockdown_domain_capture_gives_level_and_charging_but_no_capacities() -> None:
    expect, body = read_capture(LOCKDOWN)
    ios = IosBattery(json.loads(body), None, ios_major=None)
    assert ios.level_percent().value == expect["battery_percent"]
    assert ios.status().value == "charging"
    assert ios.present().value is expect["has_battery"]
    assert ios.reg_int("CycleCount").value is expect["cycle_count"]
    assert ios.full_charge_capacity_mah().value is expect["design_capacity_mah"]


def test_unplugged_iphone_is_discharging_even_when_fully_charged() -> None:
    ios = IosBattery({"BatteryIsCharging": False, "FullyCharged": True, "ExternalConnected": False}, {}, 17)
    assert ios.status().value == "discharging"
    assert ios.plugged().value == "none"


# -- keys under BatteryData, zero readings, reasons that name what was missing ------------

DATA = Path(__file__).parent / "data"


def registry(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text("utf-8").split("# ---\n", 1)[1])


def test_nominal_charge_capacity_only_under_battery_data_gives_capacity_and_health() -> None:
    """The issue's minimal input."""
    ios = IosBattery({}, {"BatteryData": {"NominalChargeCapacity": 3103, "DesignCapacity": 3544}}, ios_major=17)
    full, design, health = ios.capacities()
    assert (full.value, full.source) == (3103, "ioregistry:AppleSmartBattery/BatteryData/NominalChargeCapacity")
    assert (design.value, health.value) == (3544, 87.6)
    assert health.method == "NominalChargeCapacity/DesignCapacity"


def test_real_entry_with_capacities_only_under_battery_data() -> None:
    """macOS 27's AppleSmartBattery: no AppleRawMaxCapacity, capacities only in BatteryData."""
    ios = IosBattery({}, registry("ioreg_applesmartbattery_macbook_air_m2_macos27_batterydata_only.json"), None)
    full, design, health = ios.capacities()
    assert (full.value, design.value, health.value) == (4554, 4563, 99.8)
    assert ios.reg_int("CycleCount").value == 37
    assert ios.voltage_mv().value == 11842
    assert ios.temperature_c().reason == "AppleSmartBattery has no Temperature at the top level or in BatteryData"
    assert ios.status().value == "charging"


def test_real_battery_data_line_without_top_level_keys() -> None:
    ios = IosBattery({}, registry("ioreg_applesmartbattery_macos27_batterydata_line_sysinfo_1041.json"), None)
    full, design, health = ios.capacities()
    assert (full.value, design.value, health.value) == (5937, 5760, 103.1)
    assert ios.level_percent().value is None  # CurrentCapacity 54 is a percentage only on a known iOS 10+


def test_real_older_iphone_keeps_raw_max_capacity_and_raw_voltage_at_the_top_level() -> None:
    ios = IosBattery({}, registry("ioreg_applesmartbattery_iphone_tidevice_35_top_level_excerpt.json"), 14)
    full, design, health = ios.capacities()
    assert (full.value, full.method) == (2900, "AppleRawMaxCapacity")
    assert design.value is None and health.value is None
    assert health.reason == ("needs both capacities: AppleSmartBattery has no whole-number DesignCapacity "
                             "at the top level or in BatteryData")
    assert (ios.voltage_mv().value, ios.voltage_mv().method) == (3876, "AppleRawBatteryVoltage (mV)")
    assert ios.charge_counter_uah().value == 612_000


def test_missing_full_capacity_names_what_is_missing_not_max_capacity() -> None:
    reading = IosBattery({}, {"DesignCapacity": 3544}, ios_major=17).full_charge_capacity_mah()
    assert reading.reason == "no AppleRawMaxCapacity or NominalChargeCapacity at the top level or in BatteryData"


def test_max_capacity_percentage_is_named_with_its_figure_and_the_rule() -> None:
    reading = IosBattery({}, {"MaxCapacity": 100}, ios_major=17).full_charge_capacity_mah()
    assert reading.reason == ("no AppleRawMaxCapacity or NominalChargeCapacity at the top level or in BatteryData; "
                              "MaxCapacity 100 is a percentage on iOS 17 (mAh only up to iOS 9)")


def test_zero_voltage_from_a_present_battery_is_not_a_figure() -> None:
    """The issue's minimal input: Voltage 0 beside AppleRawBatteryVoltage 3879."""
    ios = IosBattery({}, {"Voltage": 0, "AppleRawBatteryVoltage": 3879, "BatteryInstalled": True}, 17)
    assert (ios.voltage_mv().value, ios.voltage_mv().source) == (3879, "ioregistry:AppleSmartBattery/AppleRawBatteryVoltage")


def test_zero_voltage_and_temperature_alone_are_unknown_with_the_figure_and_the_rule() -> None:
    ios = IosBattery({}, {"Voltage": 0, "Temperature": 0, "BatteryInstalled": 1}, 17)
    assert ios.voltage_mv().value is None
    assert ios.voltage_mv().reason == "Voltage is 0: not reported (the battery is present)"
    assert ios.temperature_c().value is None
    assert ios.temperature_c().reason == "Temperature is 0: not reported (the battery is present)"


def test_zero_design_capacity_is_rejected_with_its_figure() -> None:
    design = IosBattery({}, {"DesignCapacity": 0}, 17).design_capacity_mah()
    assert (design.value, design.reason) == (None, "DesignCapacity is 0: a capacity must be positive")


def test_implausible_health_rejects_the_full_charge_capacity_too() -> None:
    ios = IosBattery({}, {"AppleRawMaxCapacity": 32270, "DesignCapacity": 3227}, 17)
    full, design, health = ios.capacities()
    assert full.value is None and health.value is None and design.value == 3227
    assert full.reason == health.reason == (
        "AppleRawMaxCapacity is 1000 % of DesignCapacity: implausible (a battery holds 20-110 % of its design), not used")


def test_a_level_that_is_no_percentage_says_so() -> None:
    reading = IosBattery({"BatteryCurrentCapacity": 150}, {}, 17).level_percent()
    assert reading.reason == "BatteryCurrentCapacity is 150: not a percentage (0-100)"


def test_a_negative_charge_says_so() -> None:
    reading = IosBattery({}, {"BatteryData": {"AppleRawCurrentCapacity": -5}}, 17).charge_counter_uah()
    assert reading.reason == "AppleRawCurrentCapacity is -5: a charge cannot be negative"


def test_a_zero_at_the_top_level_does_not_hide_the_figure_under_battery_data() -> None:
    from checks.parsers.ios_battery import IosBattery

    battery = IosBattery({"HasBattery": True}, {
        "Voltage": 0, "Temperature": 0, "AppleRawMaxCapacity": 0, "DesignCapacity": 0, "CycleCount": 0,
        "BatteryData": {"Voltage": 3879, "Temperature": 2890, "AppleRawMaxCapacity": 3000, "DesignCapacity": 3544,
                        "CycleCount": 12},
    }, 17)
    assert battery.voltage_mv().value == 3879
    assert battery.temperature_c().value == 28.9
    assert battery.reg_int("CycleCount").value == 12


def test_a_temperature_below_zero_is_a_figure_not_a_silent_gauge() -> None:
    from checks.parsers.ios_battery import IosBattery

    assert IosBattery({"HasBattery": True}, {"Temperature": -500}, 17).temperature_c().value == -5.0
