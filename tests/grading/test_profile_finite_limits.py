"""A profile limit is a finite number: every comparison with NaN is false, so a NaN limit
would let a 74 % battery through resale-80 without one failing rule."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from types import MappingProxyType

import pytest

from agent.errors import ProfileError
from agent.grading.profile import Profile, load_profile
from agent.grading.rules import grade
from agent.resources import data_dir
from tests.grading.test_grading import results

RESALE = data_dir("profiles") / "resale-80.yaml"


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


@pytest.mark.parametrize("limit", [".nan", ".NaN", ".inf", "-.inf", "1.0e+999"])
@pytest.mark.parametrize("op", ["below", "at_least"])
def test_a_non_finite_limit_in_resale_80_is_refused_with_its_line(tmp_path: Path, op: str, limit: str) -> None:
    text = RESALE.read_text(encoding="utf-8")
    assert text.count(f"{op}: 80\n") == 1
    path = tmp_path / "resale-nan.yaml"
    path.write_text(text.replace(f"{op}: 80\n", f"{op}: {limit}\n"), encoding="utf-8")
    with pytest.raises(ProfileError) as caught:
        load_profile(str(path))
    message = str(caught.value)
    assert message.startswith(f"{path}:{_line_of(text, f'{op}: 80')}:") and "is not a finite number" in message
    assert "\n" not in message


def test_a_74_percent_battery_fails_resale_80() -> None:
    graded = grade(load_profile("resale-80"), results(battery={"state_of_health_percent": 74}),
                   {"cosmetic_grade": "A"}, complete=True)
    assert graded.verdicts["battery"].verdict == "fail" and graded.grade.value != "A"


def _with_nan_limits(profile: Profile) -> Profile:
    """resale-80 as code could build it, past the YAML reader: both battery limits NaN."""
    battery = profile.check_rules["battery"]
    rules = tuple(dataclasses.replace(rule, limit=math.nan) for rule in battery.rules)
    check_rules = {**profile.check_rules, "battery": dataclasses.replace(battery, rules=rules)}
    return dataclasses.replace(profile, check_rules=MappingProxyType(check_rules))


def test_a_nan_limit_that_got_past_the_reader_still_grades_no_a() -> None:
    """Belt and braces: the comparison reads a NaN limit as unknown, never as a pass."""
    graded = grade(_with_nan_limits(load_profile("resale-80")), results(battery={"state_of_health_percent": 74}),
                   {"cosmetic_grade": "A"}, complete=True)
    assert graded.verdicts["battery"].verdict != "pass" and graded.grade.value != "A"
