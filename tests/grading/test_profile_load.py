"""Loading profiles: the bundled ones load, and each mistake an author can make stops
the load with one line naming the file, the line, the rule and what is wrong."""

from __future__ import annotations

import hashlib
import textwrap
from pathlib import Path

import pytest

from agent.errors import ProfileError
from agent.grading.profile import list_profiles, load_profile
from agent.resources import data_dir

BUILTIN_CHECKS = {"identity", "battery", "screen", "storage", "locks"}

GOOD = """\
format: phonebench-profile/1
name: test
description: a profile for tests
checks:
  battery:
    rules:
      - metric: state_of_health_percent
        below: 80
        verdict: fail
        reason: "battery {value}% below {limit}%"
  screen:
    rules:
      - answer: screen.visual
        contains_any: [lines]
        verdict: fail
grade:
  scale: [A, B, C, D, F]
  base: cosmetic_grade
  rules:
    - when: {check: battery, verdict: fail}
      at_most: C
    - when: {verdict: review}
      at_most: review
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "profile.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_every_bundled_profile_loads_against_the_builtin_checks() -> None:
    names = {p.name for p in list_profiles()}
    assert {"default", "resale-80"} <= names
    for name in names:
        profile = load_profile(name, known_checks=BUILTIN_CHECKS)
        assert profile.checks and set(profile.checks) <= BUILTIN_CHECKS
        assert profile.questions == ("cosmetic_grade",)
        assert profile.description


def test_digest_is_the_sha256_of_the_file_bytes() -> None:
    path = data_dir("profiles") / "default.yaml"
    profile = load_profile("default")
    assert profile.digest == "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    assert profile.path == path


def test_a_profile_file_loads_by_path_and_lists_what_it_grades_on(tmp_path: Path) -> None:
    profile = load_profile(str(write(tmp_path, GOOD)))
    assert profile.name == "test"
    assert profile.checks == ("battery", "screen")
    assert profile.questions == ("cosmetic_grade", "screen.visual")
    rule = profile.check_rules["battery"].rules[0]
    assert (rule.op, rule.limit, rule.verdict, rule.unknown) == ("below", 80, "fail", "review")
    assert profile.check_rules["battery"].outcomes == {"error": "review", "unsupported": "review", "interrupted": "not_assessed"}


def test_an_unknown_bundled_name_lists_the_bundled_profiles() -> None:
    with pytest.raises(ProfileError, match="no bundled profile named 'nope'.*default"):
        load_profile("nope")


def test_a_bundled_name_cannot_reach_outside_the_profiles_folder() -> None:
    with pytest.raises(ProfileError, match="no bundled profile"):
        load_profile("..")


def test_a_missing_file_is_a_profile_error(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="cannot read"):
        load_profile(str(tmp_path / "absent.yaml"))


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"format: x\x07\n", r"profile\.yaml:1: not valid YAML: unacceptable character #x0007"),
        (b"format: \xff\xfe\n", r"profile\.yaml:1: not UTF-8 text \(byte 8\)$"),
    ],
    ids=["control character", "not UTF-8"],
)
def test_bytes_yaml_refuses_to_read_are_a_profile_error(tmp_path: Path, raw: bytes, message: str) -> None:
    path = tmp_path / "profile.yaml"
    path.write_bytes(raw)
    with pytest.raises(ProfileError, match=message):
        load_profile(str(path))


# (text to replace in GOOD, replacement, line, where, what)
BAD = [
    ("below: 80", "bellow: 80", 8, "checks.battery.rules[0].bellow", "unknown operator 'bellow'"),
    ("below: 80", 'below: "80"', 8, "checks.battery.rules[0].below", "below needs a number, got '80'"),
    ("below: 80", "below: 80\n        above: 90", 7, "checks.battery.rules[0]", "give exactly one condition"),
    ("verdict: fail\n        reason", "verdict: broken\n        reason", 9, "checks.battery.rules[0].verdict",
     "'broken' is not one of: pass, warn, fail, review, not_assessed"),
    ("{value}%", "{vale}%", 10, "checks.battery.rules[0].reason", "unknown placeholder {vale}"),
    ("state_of_health_percent", "state_of_heath_percent", 7, "checks.battery.rules[0].metric",
     "check 'battery' has no metric 'state_of_heath_percent'"),
    ("contains_any: [lines]", "contains_any: [cracks]", 13, "checks.screen.rules[0].answer",
     "'cracks' is not a choice of 'screen.visual'"),
    ("contains_any: [lines]", "equals: lines", 13, "checks.screen.rules[0].answer",
     "equals does not apply to the checklist answer 'screen.visual'"),
    ("answer: screen.visual", "answer: screen.feel", 13, "checks.screen.rules[0].answer", "no question 'screen.feel'"),
    ("at_most: C", "at_most: E", 21, "grade.rules[0].at_most", "grade 'E' is not on the scale"),
    ("{check: battery, verdict: fail}", "{check: battery, verdict: failed}", 20, "grade.rules[0].when.verdict",
     "unknown verdict 'failed'"),
    ("{check: battery, verdict: fail}", "{check: storage, verdict: fail}", 20, "grade.rules[0].when.check",
     "'storage' has no rules under checks:"),
    ("scale: [A, B, C, D, F]", "scale: [A, B, C, F]", 18, "grade.base", "answer 'cosmetic_grade' can be 'D'"),
    ("scale: [A, B, C, D, F]", "scale: [A, B, C, D, review]", 17, "grade.scale", "'review' is reserved"),
    ("base: cosmetic_grade", "base: notes", 18, "grade.base", "base must name a choice question"),
    ("        verdict: fail\n        reason", "        verdict: fail\n        unknown: pass\n        reason", 10,
     "checks.battery.rules[0].unknown", "'pass' is not one of: review, not_assessed, warn, fail"),
    ("checks:\n", "outcomes: {error: pass}\nchecks:\n", 4, "outcomes.error", "'pass' is not one of"),
    ("description:", "colour: red\ndescription:", 3, "colour", "unknown key 'colour'"),
    ("format: phonebench-profile/1", "format: phonebench-profile/9", 1, "format", "expected format: phonebench-profile/1"),
    ("  screen:\n", "  battery:\n", 11, "", "duplicate key 'battery'"),
    ("  scale: [A, B, C, D, F]", "  scale: [A, B, C, D, F", 18, "", "not valid YAML"),
    ('    rules:\n      - metric: state_of_health_percent\n        below: 80\n        verdict: fail\n'
     '        reason: "battery {value}% below {limit}%"\n', "    rules: nope\n", 6, "checks.battery.rules",
     "expected a list, got 'nope'"),
]


@pytest.mark.parametrize(("old", "new", "line", "where", "what"), BAD, ids=[case[4][:40] for case in BAD])
def test_a_bad_profile_fails_with_one_line_naming_file_line_rule_and_fault(
    tmp_path: Path, old: str, new: str, line: int, where: str, what: str
) -> None:
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ProfileError) as err:
        load_profile(str(path))
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"{path}:{line}:"), message
    assert where in message and what in message, message


def test_a_rule_naming_an_unknown_check_fails_when_the_checks_are_known(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    load_profile(str(path))                       # without known_checks any name is accepted
    with pytest.raises(ProfileError) as err:
        load_profile(str(path), known_checks={"battery", "storage"})
    assert str(err.value) == (f"{path}:11: checks.screen: no check named 'screen' (known: battery, storage)")


def test_a_profile_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "- just\n- a list\n")
    with pytest.raises(ProfileError, match="expected a mapping"):
        load_profile(str(path))


def test_yaml_tags_that_build_objects_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, textwrap.dedent("""\
        format: !!python/object/apply:os.system ["true"]
        """))
    with pytest.raises(ProfileError, match="not valid YAML"):
        load_profile(str(path))
