"""sysfs reads and the unit sense-checks that keep a wrong unit from becoming a health."""

from __future__ import annotations

from checks.parsers.battery_reading import Reading
from checks.parsers.battery_sysfs import capacities, capacity_mah, plausible_percent, read_int, state_of_health


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
    assert reading.value is None and "is 1000 % of" in (reading.reason or "")


def test_health_is_full_over_design_in_percent() -> None:
    assert state_of_health(4200, 4500).value == 93.3


def test_samsung_asoc_of_minus_one_means_not_known() -> None:
    assert plausible_percent(-1).value is None
    assert plausible_percent(96).value == 96


# -- every sanity check: its rejection names the figure and the rule --------------------


def test_rejected_non_positive_capacity_names_figure_and_rule() -> None:
    assert capacity_mah(0, None, "charge_full").reason == "charge_full is 0: a capacity must be positive"


def test_rejected_capacity_in_no_unit_names_figure_and_rule() -> None:
    assert capacity_mah(45_000_000, None, "charge_full_design").reason == (
        "charge_full_design 45000000 is no battery capacity in µAh (45000 mAh) or mAh "
        "(a phone or tablet battery holds 300-20000 mAh)")


def test_rejected_capacity_against_the_catalog_names_figure_and_rule() -> None:
    assert capacity_mah(430_000, 4500, "charge_full_design").reason == (
        "charge_full_design 430000 (430 mAh, µAh / 1000) is outside 900-6750 mAh, "
        "the range for this model's 4500 mAh battery (catalog)")


def test_rejected_health_names_both_figures_and_the_range() -> None:
    assert state_of_health(6882, 4550, ("charge_full", "charge_full_design")).reason == (
        "charge_full is 151 % of charge_full_design: implausible (a battery holds 20-110 % of its design), not used")


def test_rejected_samsung_percentage_names_figure_and_rule() -> None:
    assert plausible_percent(-1, "Samsung mSavedBatteryAsoc").reason == (
        "Samsung mSavedBatteryAsoc is -1: not a health percentage (20-110 %)")


# -- one judgement for the capacities and the health ----------------------------------

RAW = (Reading(6_882_000), Reading(4_550_000))


def test_read_but_implausible_capacities_are_not_called_unreadable() -> None:
    """The issue's readings, with a catalog that knows the phone (4500 mAh)."""
    full, design, health = capacities(*RAW, 4500)
    reason = "charge_full is 151 % of charge_full_design: implausible (a battery holds 20-110 % of its design), not used"
    assert (full.value, full.reason) == (None, reason)
    assert (health.value, health.reason) == (None, reason)
    assert design.value == 4550


def test_an_unknown_phone_gets_one_judgement_for_health_and_capacities() -> None:
    """Without a catalog nothing vouches for either figure: neither is reported."""
    full, design, health = capacities(*RAW, None)
    assert full.value is None and design.value is None and health.value is None
    assert "implausible" in (full.reason or "") and full.reason == health.reason == design.reason


def test_a_catalog_rejected_design_leaves_the_full_charge_capacity_judged_by_the_catalog() -> None:
    full, design, health = capacities(Reading(4_300_000), Reading(430_000), 4500)
    assert (full.value, design.value, health.value) == (4300, None, None)
    assert health.reason and health.reason.startswith("needs both capacities: charge_full_design 430000")


def test_an_unreadable_file_is_named_in_the_health_reason() -> None:
    denied = read_int("", "cat: charge_full: Permission denied\n", 1)
    _, _, health = capacities(denied, Reading(4_550_000), None)
    assert health.reason == "needs both capacities: charge_full: failed (exit 1): cat: charge_full: Permission denied"
