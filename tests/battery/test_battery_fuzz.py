"""No battery parser raises on anything a phone (or a garbage fault) can send."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from checks.parsers.battery_sysfs import capacity_mah, plausible_percent, read_int, state_of_health
from checks.parsers.dumpsys_battery import HEALTH_CODES, STATUS_CODES, parse_dumpsys_battery
from checks.parsers.ios_battery import IosBattery
from tests.battery.nsdict import parse_nsdict

#: lines that look like the real thing, mixed with anything at all
DUMPSYS_LINES = st.one_of(
    st.sampled_from([
        "Current Battery Service state:", "  level: 50", "  scale: 0", "  status: 9", "  health: x",
        "  voltage: 99999999999", " The last voltage value sent via the battery changed broadcast: 1",
        "  mSavedBatteryAsoc: [-5]", "  (UPDATES STOPPED -- use 'reset' to restart)", "",
    ]),
    st.text(max_size=40),
)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=10), st.binary(max_size=4))
PLIST = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
IOS_KEYS = st.sampled_from([
    "BatteryCurrentCapacity", "BatteryIsCharging", "FullyCharged", "ExternalConnected", "HasBattery", "CycleCount",
    "DesignCapacity", "AppleRawMaxCapacity", "NominalChargeCapacity", "MaxCapacity", "CurrentCapacity",
    "Temperature", "Voltage", "BatteryData", "IsCharging", "BatteryInstalled", "AppleRawCurrentCapacity",
])


@given(st.lists(DUMPSYS_LINES, max_size=30).map("\n".join))
def test_dumpsys_parser_never_raises(text: str) -> None:
    dump = parse_dumpsys_battery(text)
    for key in ("level", "scale", "voltage", "Charge counter"):
        dump.integer(key)
    dump.coded("status", STATUS_CODES)
    dump.coded("health", HEALTH_CODES)
    dump.plugged()


@given(st.text())
def test_nsdict_parser_never_raises(text: str) -> None:
    result = parse_nsdict(text)
    assert result is None or isinstance(result, dict)


@given(st.lists(st.sampled_from(list('{}()<>";=, \nab1-')), max_size=200).map("".join))
def test_nsdict_parser_never_raises_on_punctuation_soup(text: str) -> None:
    parse_nsdict(text)


def test_nsdict_parser_stops_at_absurd_nesting_instead_of_recursing_away() -> None:
    assert parse_nsdict("{ a = " * 5000) is not None
    assert parse_nsdict("{ " + "{ " * 5000) is not None


@given(st.text(), st.text(), st.one_of(st.none(), st.integers()))
def test_sysfs_reader_never_raises(stdout: str, stderr: str, code: int | None) -> None:
    read_int(stdout, stderr, code)


@given(st.one_of(st.none(), st.integers()), st.one_of(st.none(), st.floats(min_value=1, max_value=1e6)))
def test_capacity_and_health_never_raise(raw: int | None, hint: float | None) -> None:
    reading = capacity_mah(raw, hint)
    state_of_health(reading.value, reading.value)
    plausible_percent(raw)


@given(
    st.one_of(PLIST, st.dictionaries(IOS_KEYS, PLIST, max_size=8)),
    st.one_of(PLIST, st.dictionaries(IOS_KEYS, PLIST, max_size=8)),
    st.one_of(st.none(), st.integers(min_value=0, max_value=30)),
)
def test_ios_reader_never_raises(lockdown: Any, registry: Any, major: int | None) -> None:
    ios = IosBattery(lockdown, registry, major)
    full, design = ios.full_charge_capacity_mah(), ios.reg_int("DesignCapacity")
    for reading in (ios.level_percent(), ios.status(), ios.plugged(), ios.present(), ios.temperature_c(),
                    ios.charge_counter_uah(), ios.state_of_health(full, design), ios.reg_int("CycleCount")):
        assert reading.value is not None or reading.reason
