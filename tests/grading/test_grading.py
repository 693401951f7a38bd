"""Applying profiles: the verdicts and grades the bundled profiles give, the rules of the
grade (base answer, caps, review), and that no metric value can make grading raise."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.check import OUTCOMES, CheckResult, Metric
from agent.grading.profile import VERDICTS, Profile, load_profile
from agent.grading.rules import grade

GOOD_METRICS: dict[str, dict[str, Any]] = {
    "identity": {"emulator": False, "model": "Pixel 7"},
    "battery": {"state_of_health_percent": 91.2, "cycle_count": 312},
    "screen": {"visual_ok": True, "screen_defects": [], "resolution_matches_model": True},
    "storage": {"storage_matches_model": True, "total_bytes": 128_000_000_000},
    "locks": {"locks_found": [], "locks_unread": [], "tamper_signs": [], "tamper_unread": []},
}


def measured(metrics: dict[str, Any]) -> CheckResult:
    return CheckResult("measured", {
        name: Metric(value, "test") if value is not None else Metric(None, "test", "the phone did not say")
        for name, value in metrics.items()
    })


def results(**changes: dict[str, Any]) -> dict[str, CheckResult]:
    """Results of a healthy phone, with some metrics changed: results(battery={...})."""
    return {check: measured({**good, **changes.get(check, {})}) for check, good in GOOD_METRICS.items()}


@pytest.fixture(scope="module")
def default() -> Profile:
    return load_profile("default")


@pytest.fixture(scope="module")
def resale() -> Profile:
    return load_profile("resale-80")


def test_a_healthy_phone_gets_its_cosmetic_grade_under_both_profiles(default: Profile, resale: Profile) -> None:
    for profile in (default, resale):
        graded = grade(profile, results(), {"cosmetic_grade": "B"}, complete=True)
        assert {v.verdict for v in graded.verdicts.values()} == {"pass"}
        assert graded.grade.value == "B"
        assert graded.grade.reasons == ("cosmetic grade B", "all checks pass")


def test_pass_rules_explain_the_pass(resale: Profile) -> None:
    graded = grade(resale, results(), {"cosmetic_grade": "A"}, complete=True)
    assert graded.verdicts["battery"].reasons == ("battery state of health 91.2% >= 80%",)


def test_worn_battery_fails_resale_80_but_not_defaults_functional_grade(default: Profile, resale: Profile) -> None:
    worn = results(battery={"state_of_health_percent": 74})
    under_resale = grade(resale, worn, {"cosmetic_grade": "A"}, complete=True)
    assert under_resale.verdicts["battery"].verdict == "fail"
    assert "74% is below 80%" in under_resale.verdicts["battery"].reasons[0]
    assert under_resale.grade.value == "not_sellable"
    under_default = grade(default, worn, {"cosmetic_grade": "A"}, complete=True)
    assert under_default.verdicts["battery"].verdict == "warn"
    assert under_default.grade.value == "A"


def test_unknown_state_of_health_sends_the_phone_to_review_under_resale_80(resale: Profile) -> None:
    graded = grade(resale, results(battery={"state_of_health_percent": None}), {"cosmetic_grade": "A"}, complete=True)
    assert graded.verdicts["battery"].verdict == "review"
    assert graded.verdicts["battery"].reasons == ("state_of_health_percent unknown: the phone did not say",)
    assert graded.grade.value == "review"


def test_a_missing_metric_counts_as_unknown(resale: Profile) -> None:
    phone = results()
    phone["battery"] = measured({"cycle_count": 10})
    graded = grade(resale, phone, {"cosmetic_grade": "A"}, complete=True)
    assert graded.verdicts["battery"].verdict == "review"
    assert "state_of_health_percent unknown: not measured" in graded.verdicts["battery"].reasons


@pytest.mark.parametrize("name", ["default", "resale-80"])
def test_unanswered_screen_inspection_is_not_assessed_and_never_a_pass(name: str) -> None:
    phone = results(screen={"visual_ok": None, "screen_defects": None})
    graded = grade(load_profile(name), phone, {"cosmetic_grade": "A"}, complete=True)
    assert graded.verdicts["screen"].verdict == "not_assessed"
    assert graded.grade.value == "review"


@pytest.mark.parametrize("name", ["default", "resale-80"])
def test_screen_defects_fail_the_screen_and_are_named(name: str) -> None:
    phone = results(screen={"visual_ok": False, "screen_defects": ["lines", "burn_in"]})
    verdict = grade(load_profile(name), phone, {"cosmetic_grade": "A"}, complete=True).verdicts["screen"]
    assert verdict.verdict == "fail"
    assert "screen defects: lines, burn_in" in verdict.reasons


@pytest.mark.parametrize(("name", "bottom"), [("default", "F"), ("resale-80", "not_sellable")])
def test_storage_that_does_not_match_the_model_fails(name: str, bottom: str) -> None:
    graded = grade(load_profile(name), results(storage={"storage_matches_model": False}), {"cosmetic_grade": "A"}, True)
    assert graded.verdicts["storage"].verdict == "fail"
    assert "swapped or counterfeit" in graded.verdicts["storage"].reasons[0]
    assert graded.grade.value == bottom


def test_replaced_panel_warns_under_default_and_fails_resale(default: Profile, resale: Profile) -> None:
    phone = results(screen={"resolution_matches_model": False})
    assert grade(default, phone, {"cosmetic_grade": "A"}, True).verdicts["screen"].verdict == "warn"
    assert grade(resale, phone, {"cosmetic_grade": "A"}, True).verdicts["screen"].verdict == "fail"


def test_an_emulator_fails_identity(default: Profile) -> None:
    graded = grade(default, results(identity={"emulator": True}), {"cosmetic_grade": "A"}, True)
    assert graded.verdicts["identity"].verdict == "fail"
    assert graded.grade.value == "F"


def test_one_is_not_true_a_value_of_the_wrong_kind_is_unknown(default: Profile) -> None:
    verdict = grade(default, results(identity={"emulator": 1}), {"cosmetic_grade": "A"}, True).verdicts["identity"]
    assert verdict.verdict == "warn"
    assert verdict.reasons == ("emulator 1 cannot be compared (equals true)",)


def test_text_where_a_number_belongs_is_unknown_not_a_pass(resale: Profile) -> None:
    verdict = grade(resale, results(battery={"state_of_health_percent": "91"}), {}, True).verdicts["battery"]
    assert verdict.verdict == "review"


def test_an_incomplete_session_is_never_graded_but_keeps_its_verdicts(default: Profile) -> None:
    phone = {"battery": results()["battery"]}
    graded = grade(default, phone, {"cosmetic_grade": "A"}, complete=False)
    assert graded.grade is None
    assert set(graded.verdicts) == {"battery"}
    assert graded.verdicts["battery"].verdict == "pass"


def test_a_complete_session_missing_a_graded_check_goes_to_review(default: Profile) -> None:
    phone = results()
    del phone["storage"]
    graded = grade(default, phone, {"cosmetic_grade": "A"}, complete=True)
    assert graded.verdicts["storage"].verdict == "not_assessed"
    assert graded.verdicts["storage"].reasons == ("storage did not run",)
    assert graded.grade.value == "review"


@pytest.mark.parametrize("answers", [{}, {"cosmetic_grade": None}, {"cosmetic_grade": "Z"}, {"cosmetic_grade": ["A"]}])
def test_without_a_usable_cosmetic_answer_the_grade_is_review(default: Profile, answers: dict) -> None:
    graded = grade(default, results(), answers, complete=True)
    assert graded.grade.value == "review"
    assert "cosmetic grade" in graded.grade.reasons[0]


@pytest.mark.parametrize(
    ("outcome", "verdict"), [("error", "review"), ("unsupported", "review"), ("interrupted", "not_assessed")]
)
def test_checks_that_did_not_measure_get_the_outcome_verdict(default: Profile, outcome: str, verdict: str) -> None:
    phone = results()
    phone["battery"] = CheckResult(outcome, {}, detail="adb said:\nno such file")
    graded = grade(default, phone, {"cosmetic_grade": "A"}, complete=True)
    assert graded.verdicts["battery"].verdict == verdict
    assert graded.verdicts["battery"].reasons == (f"battery {outcome}: adb said: no such file",)
    assert graded.grade.value == "review"


def test_a_check_the_profile_does_not_grade_is_not_assessed_and_leaves_the_grade_alone(default: Profile) -> None:
    phone = {**results(), "camera": measured({"focus_ok": False})}
    graded = grade(default, phone, {"cosmetic_grade": "C"}, complete=True)
    assert graded.verdicts["camera"].verdict == "not_assessed"
    assert graded.grade.value == "C"


CAPS = """\
format: phonebench-profile/1
name: caps
checks:
  battery:
    outcomes: {unsupported: warn}
    rules:
      - {metric: state_of_health_percent, below: 85, verdict: warn}
      - {metric: state_of_health_percent, below: 60, verdict: fail}
  storage:
    rules:
      - {metric: storage_matches_model, equals: false, verdict: fail}
  screen:
    rules:
      - {answer: screen.visual, contains_any: [burn_in], verdict: warn, reason: "burn-in", unknown: not_assessed}
grade:
  scale: [A, B, C, D, F]
  base: cosmetic_grade
  rules:
    - when: {check: battery, verdict: warn}
      at_most: C
    - when: {check: screen, verdict: warn}
      at_most: B
    - when: {verdict: fail}
      at_most: F
    - when: {verdict: [review, not_assessed]}
      at_most: review
"""


@pytest.fixture
def caps(tmp_path: Path) -> Profile:
    path = tmp_path / "caps.yaml"
    path.write_text(CAPS, encoding="utf-8")
    return load_profile(str(path))


def test_a_cap_lowers_a_better_grade(caps: Profile) -> None:
    graded = grade(caps, results(battery={"state_of_health_percent": 82}), {"cosmetic_grade": "A", "screen.visual": []}, True)
    assert graded.grade.value == "C"
    assert graded.grade.reasons == ("cosmetic grade A", "battery warn: grade at most C")


def test_a_cap_never_raises_a_worse_grade(caps: Profile) -> None:
    graded = grade(caps, results(battery={"state_of_health_percent": 82}), {"cosmetic_grade": "D", "screen.visual": []}, True)
    assert graded.grade.value == "D"


def test_the_lowest_cap_wins(caps: Profile) -> None:
    answers = {"cosmetic_grade": "A", "screen.visual": ["burn_in"]}
    graded = grade(caps, results(battery={"state_of_health_percent": 82}), answers, True)
    assert graded.verdicts["screen"].reasons == ("burn-in",)
    assert graded.grade.value == "C"


def test_a_fail_at_the_bottom_of_the_scale_needs_no_person(caps: Profile) -> None:
    graded = grade(caps, results(storage={"storage_matches_model": False}), {}, True)
    assert graded.grade.value == "F"
    assert graded.grade.reasons == ("storage fail: grade at most F",)


def test_an_unanswered_answer_rule_gives_its_unknown_verdict(caps: Profile) -> None:
    graded = grade(caps, results(), {"cosmetic_grade": "A"}, True)
    assert graded.verdicts["screen"].verdict == "not_assessed"
    assert graded.verdicts["screen"].reasons == ("screen.visual unknown: not answered",)
    assert graded.grade.value == "review"


def test_a_checks_own_outcome_override_applies(caps: Profile) -> None:
    phone = {**results(), "battery": CheckResult("unsupported", {}, None)}
    graded = grade(caps, phone, {"cosmetic_grade": "A", "screen.visual": []}, True)
    assert graded.verdicts["battery"].verdict == "warn"
    assert graded.grade.value == "C"


def test_the_worst_rule_sets_the_verdict_and_its_reason_comes_first(caps: Profile) -> None:
    verdict = grade(caps, results(battery={"state_of_health_percent": 50}), {}, True).verdicts["battery"]
    assert verdict.verdict == "fail"
    assert verdict.reasons == ("state_of_health_percent 50 below 60", "state_of_health_percent 50 below 85")


def test_phone_text_in_a_reason_is_one_short_line(default: Profile) -> None:
    phone = results(screen={"visual_ok": False, "screen_defects": ["lines\n[bold]x" + "y" * 200]})
    reasons = grade(default, phone, {}, True).verdicts["screen"].reasons
    assert all("\n" not in r and len(r) < 120 for r in reasons)


# ---------------------------------------------------------------- properties

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
BUNDLED = {name: load_profile(name) for name in ("default", "resale-80")}   # parsed once for the properties
metric_names = st.sampled_from(sorted({n for m in GOOD_METRICS.values() for n in m} | {
    "screen_defects", "state_of_health_percent", "visual_ok", "other_metric"}))


@settings(max_examples=120, deadline=None)
@given(
    name=st.sampled_from(["default", "resale-80"]),
    checks=st.dictionaries(
        st.sampled_from([*GOOD_METRICS, "camera"]),
        st.tuples(st.sampled_from(OUTCOMES), st.dictionaries(metric_names, json_values, max_size=6),
                  st.none() | st.text(max_size=40)),
        max_size=5,
    ),
    answers=st.dictionaries(st.sampled_from(["cosmetic_grade", "screen.visual", "notes"]), json_values, max_size=3),
    complete=st.booleans(),
)
def test_grading_never_raises_on_arbitrary_metric_values(name: str, checks: dict, answers: dict, complete: bool) -> None:
    profile = BUNDLED[name]
    phone = {check: CheckResult(outcome, {k: Metric(v, "fuzz", None if v is not None else "fuzz") for k, v in metrics.items()},
                                detail)
             for check, (outcome, metrics, detail) in checks.items()}
    graded = grade(profile, phone, answers, complete)
    for verdict in graded.verdicts.values():
        assert verdict.verdict in VERDICTS
        assert verdict.reasons and all(isinstance(r, str) and "\n" not in r for r in verdict.reasons)
    if complete:
        assert graded.grade.value in (*profile.grade.scale, "review")
    else:
        assert graded.grade is None


@settings(max_examples=150, deadline=None)
@given(soh=json_values)
def test_resale_battery_passes_only_on_a_real_number_of_at_least_80(soh: Any) -> None:
    phone = results(battery={"state_of_health_percent": soh})
    verdict = grade(BUNDLED["resale-80"], phone, {"cosmetic_grade": "A"}, True).verdicts["battery"].verdict
    is_number = isinstance(soh, (int, float)) and not isinstance(soh, bool) and math.isfinite(soh)
    assert (verdict == "pass") == (is_number and soh >= 80)


@settings(max_examples=100, deadline=None)
@given(visual=json_values)
def test_the_screen_passes_only_when_the_technician_saw_no_defect(visual: Any) -> None:
    phone = results(screen={"visual_ok": visual, "screen_defects": []})
    verdict = grade(BUNDLED["default"], phone, {"cosmetic_grade": "A"}, True).verdicts["screen"].verdict
    assert (verdict == "pass") == (visual is True)


def test_a_grade_rule_naming_a_metric_tells_root_from_a_lock_in_one_check(resale: Profile) -> None:
    """One locks verdict (fail), two caps: a lock holds the phone, root makes it not sellable."""
    rooted = grade(resale, results(locks={"tamper_signs": ["root"]}), {"cosmetic_grade": "A"}, True)
    assert rooted.verdicts["locks"].verdict == "fail"
    assert rooted.grade is not None and rooted.grade.value == "not_sellable"
    assert any("root" in r for r in rooted.grade.reasons) and not any("hold" in r for r in rooted.grade.reasons)
    both = grade(resale, results(locks={"tamper_signs": ["root"], "locks_found": ["frp"]}), {"cosmetic_grade": "A"}, True)
    assert both.grade is not None and both.grade.value == "locked"
    assert any("Factory Reset Protection" in r for r in both.grade.reasons)


@pytest.mark.parametrize(("when", "error"), [
    ("{metric: tamper_signs, verdict: fail}", "metric: needs check:"),
    ("{check: locks, metric: battery_level, verdict: fail}", "no rule of locks tests 'battery_level'"),
])
def test_a_grade_rule_metric_must_be_one_its_checks_rules_test(tmp_path: Path, when: str, error: str) -> None:
    from agent.errors import ProfileError

    text = (Path(__file__).resolve().parents[2] / "profiles" / "resale-80.yaml").read_text(encoding="utf-8")
    path = tmp_path / "p.yaml"
    path.write_text(text.replace("{check: locks, metric: tamper_signs, verdict: fail}", when), encoding="utf-8")
    with pytest.raises(ProfileError, match=error) as raised:
        load_profile(str(path))
    assert f"{path}:" in str(raised.value)
