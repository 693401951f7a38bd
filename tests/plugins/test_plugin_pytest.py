"""The pytest plugin: a user's own test file runs sessions and checks over recorded phones."""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]
ROOT = Path(__file__).resolve().parents[2]

USER_TESTS = '''
WORN = {worn!r}
IPHONE = {iphone!r}
ANSWERS = {{"cosmetic_grade": "B", "screen.visual": []}}


def test_worn_battery_is_reported_and_warned(phonebench_session):
    report = phonebench_session(WORN, profile="default", answers=ANSWERS)
    battery = next(c for c in report["checks"] if c["name"] == "battery")
    assert battery["metrics"]["cycle_count"]["value"] == 1100
    assert battery["verdict"] == "warn"
    assert report["answers"]["cosmetic_grade"] == "B"


def test_one_check_alone(phonebench_check, phonebench_phone):
    result = phonebench_check("battery", phonebench_phone(WORN))
    assert result.outcome == "measured"
    assert result.metrics["cycle_count"].value == 1100


def test_a_simulated_iphone_measures_like_its_replay(phonebench_session, phonebench_simulated_phone):
    live = phonebench_session(phonebench_simulated_phone(IPHONE))
    replayed = phonebench_session(IPHONE)
    assert [c["metrics"] for c in live["checks"]] == [c["metrics"] for c in replayed["checks"]]


def test_a_wrong_expectation_fails(phonebench_session):
    report = phonebench_session(WORN)
    battery = next(c for c in report["checks"] if c["name"] == "battery")
    assert battery["verdict"] == "pass"
'''


def _plugin_args() -> list[str]:
    """Load the plugin by name unless the installed entry point already does."""
    installed = any(ep.value == "agent.pytest_plugin" for ep in entry_points(group="pytest11"))
    return [] if installed else ["-p", "agent.pytest_plugin"]


def test_user_tests_assert_on_metrics_and_verdicts_of_bundled_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_TESTS.format(worn=str(ROOT / "fixtures/android/worn-battery.yaml"),
                                                    iphone=str(ROOT / "fixtures/ios/iphone-13.yaml")))
    result = pytester.runpytest_subprocess(*_plugin_args(), "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*test_a_wrong_expectation_fails*", "*assert 'warn' == 'pass'*"])


def test_answers_that_fit_no_question_are_refused(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_bad='''
import pytest
from agent.errors import UsageError

def test_bad(phonebench_session):
    with pytest.raises(UsageError, match="cosmetic_grade"):
        phonebench_session({path!r}, answers={{"cosmetic_grade": "Z"}})
'''.format(path=str(ROOT / "fixtures/android/pixel-7.yaml")))
    pytester.runpytest_subprocess(*_plugin_args(), "-p", "no:cacheprovider").assert_outcomes(passed=1)
