"""iPhone battery figures from the published captures, and the unit traps across iOS versions."""

from __future__ import annotations

import json
from typing import Any

import pytest

from checks.parsers.ios_battery import IosBattery
from checks.parsers.nsdict import parse_nsdict
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
