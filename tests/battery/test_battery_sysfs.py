"""sysfs reads and the unit sense-checks that keep a wrong unit from becoming a health."""

from __future__ import annotations

from checks.parsers.battery_sysfs import capacity_mah, plausible_percent, read_int, state_of_health


def test_permission_denied_is_unknown_with_the_phones_words() -> None:
    reading = read_int("", "cat: /sys/class/power_supply/battery/charge_full: Permission denied\n", 1)
    assert reading.value is None
    assert "Permission denied" in (reading.reason or "") and "exit 1" in (reading.reason or "")


def test_missing_file_on_shell_v1_without_exit_code_is_unknown() -> None:
    reading = read_int("cat: /sys/class/power_supply/battery/cycle_count: No such file or directory\n", "", None)
    assert reading.value is None and "No such file" in (reading.reason or "")


def test_control_characters_from_the_phone_are_removed_from_reasons() -> None:
    reading = read_int("\x1b[31mboom\x07\n", "", 0)
    assert reading.value is None and "\x1b" not in (reading.reason or "") and "\x07" not in (reading.reason or "")


def test_a_number_with_a_trailing_newline_reads() -> None:
    assert read_int("312\n", "", 0).value == 312


def test_microamp_hours_become_milliamp_hours() -> None:
    reading = capacity_mah(4_500_000, None)
    assert (reading.value, reading.method) == (4500, "µAh / 1000")


def test_a_kernel_printing_mah_is_recognised_by_the_catalog() -> None:
    reading = capacity_mah(4500, 4500)
    assert (reading.value, reading.method) == (4500, "mAh as printed")


def test_a_design_capacity_ten_times_off_is_unknown_not_a_huge_battery() -> None:
    assert capacity_mah(45_000_000, 4500).value is None
    assert capacity_mah(45_000_000, None).value is None


def test_health_beyond_110_percent_is_unknown_and_never_clamped() -> None:
    reading = state_of_health(4300, 430)
    assert reading.value is None and "1000.0%" in (reading.reason or "")


def test_health_is_full_over_design_in_percent() -> None:
    assert state_of_health(4200, 4500).value == 93.3


def test_samsung_asoc_of_minus_one_means_not_known() -> None:
    assert plausible_percent(-1).value is None
    assert plausible_percent(96).value == 96
