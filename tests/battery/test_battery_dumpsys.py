"""`dumpsys battery` parsing against real outputs, and the look-alikes it must not take."""

from __future__ import annotations

import pytest

from checks.parsers.dumpsys_battery import HEALTH_CODES, STATUS_CODES, parse_dumpsys_battery
from tests.battery.battery_data import CAPTURES, read_data


def test_every_capture_names_where_it_was_published() -> None:
    assert len(CAPTURES) >= 6
    for path in CAPTURES:
        assert path.read_text(encoding="utf-8").startswith("# source: ")


def test_pixel_android14_one_space_lines_are_not_taken_for_voltage() -> None:
    _, text = read_data("dumpsys_battery_google_pixel8pro_a14plus.txt")
    dump = parse_dumpsys_battery(text)
    assert dump.integer("voltage") == 3764  # not 3775, "The last voltage value sent ..."
    assert dump.integer("level") == 22  # not "Capacity level: 2"
    assert not any(key.startswith("The last") or key.startswith("Time when") for key in dump.fields)


def test_oneplus_oplus_block_before_the_aosp_block_is_ignored() -> None:
    _, text = read_data("dumpsys_battery_oneplus_ace5_coloros15_oplus_block_first.txt")
    dump = parse_dumpsys_battery(text)
    assert dump.found
    assert "PlugType" not in dump.fields and "PhoneTemp" not in dump.fields
    assert dump.integer("temperature") == 325
    assert dump.integer("Charge counter") == 4864000


def test_oplus_block_alone_is_not_the_aosp_block() -> None:
    _, text = read_data("dumpsys_battery_oneplus_ace5_coloros15_oplus_block_first.txt")
    oplus_only = text.split("Current Battery Service state:")[0]
    dump = parse_dumpsys_battery(oplus_only)
    assert not dump.found and dump.fields == {}


def test_motorola_mod_level_is_not_the_phone_level() -> None:
    _, text = read_data("dumpsys_battery_motorola_moto_mod_lines.txt")
    dump = parse_dumpsys_battery(text)
    assert dump.integer("level") == 100
    assert dump.integer("mod level") == -1


def test_samsung_lowercase_charge_counter_duplicate_is_not_taken() -> None:
    _, text = read_data("dumpsys_battery_samsung_j6_a10_asoc_unsupported.txt")
    altered = text.replace("  charge counter: 2532000", "  charge counter: 1")
    assert altered != text
    assert parse_dumpsys_battery(altered).integer("Charge counter") == 2532000


def test_samsung_eventlog_lines_do_not_leak_into_the_block() -> None:
    _, text = read_data("dumpsys_battery_samsung_galaxy_s24.txt")
    dump = parse_dumpsys_battery(text)
    assert dump.integer("level") == 75  # the EventLogBuffer says level:74 .. 71
    assert dump.integer("voltage") == 4156
    assert "mProtectBatteryMode" not in dump.fields  # one-space line outside the block


def test_samsung_saved_battery_lines_are_read_with_or_without_brackets() -> None:
    _, s24 = read_data("dumpsys_battery_samsung_galaxy_s24.txt")
    _, old = read_data("dumpsys_battery_samsung_2018_pre_a9.txt")
    assert parse_dumpsys_battery(s24).samsung["mSavedBatteryAsoc"] == 99
    assert parse_dumpsys_battery(s24).samsung["mSavedBatteryBsoh"] == 99
    assert parse_dumpsys_battery(old).samsung == {
        "mSavedBatteryAsoc": 77, "mSavedBatteryMaxTemp": 490, "mSavedBatteryMaxCurrent": 2872,
        "mSavedBatteryUsage": 176488,
    }


def test_status_and_health_may_be_words_or_constants() -> None:
    dump = parse_dumpsys_battery("Current Battery Service state:\n  status: Not charging\n  health: Over voltage\n")
    assert dump.coded("status", STATUS_CODES) == ("not_charging", None)
    assert dump.coded("health", HEALTH_CODES) == ("over_voltage", None)


def test_an_unknown_health_constant_is_unknown_with_a_reason_not_a_guess() -> None:
    dump = parse_dumpsys_battery("Current Battery Service state:\n  health: 8\n")
    value, reason = dump.coded("health", HEALTH_CODES)
    assert value is None and "8" in (reason or "")


def test_updates_stopped_marks_forced_values() -> None:
    text = "Current Battery Service state:\n  (UPDATES STOPPED -- use 'reset' to restart)\n  level: 15\n"
    dump = parse_dumpsys_battery(text)
    assert dump.updates_stopped and dump.integer("level") == 15


def test_crlf_output_parses_like_lf() -> None:
    _, text = read_data("dumpsys_battery_motorola_moto_mod_lines.txt")
    assert parse_dumpsys_battery(text.replace("\n", "\r\n")).fields == parse_dumpsys_battery(text).fields


@pytest.mark.parametrize("text", ["", "garbage\n", "  level: 50\n  status: 2\n", "Current OPLUS Battery Service state:\n"])
def test_output_without_the_aosp_header_is_not_found(text: str) -> None:
    assert not parse_dumpsys_battery(text).found
