"""Apply a profile: per-check verdicts, then one grade.

Verdicts, from best to worst: pass, warn, not_assessed, review, fail. A check's verdict
is the worst its rules give; a rule whose figure is unknown gives the rule's ``unknown``
verdict, so a missing figure can send a phone to review but never lets it pass unseen.

The grade starts from the base answer (the technician's cosmetic grade) and each grade
rule that applies caps it. "review" means a person must decide, unless no decision could
lower the capped grade: a cap at the bottom of the scale, or one below which only caps on
checks not under review remain (an F above "locked" stands when the locks check passed).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from agent import questions
from agent.check import CheckResult
from agent.grading.profile import NUMBER_OPS, REVIEW, CheckRules, GradeRule, GradeSpec, Profile, Rule

SEVERITY: Mapping[str, int] = {"pass": 0, "warn": 1, "not_assessed": 2, "review": 3, "fail": 4}
_PLACEHOLDER = re.compile(r"\{(value|limit|checks|reasons)\}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Fired:
    """One rule of a check that fired: what it tested, the verdict it gave, and why."""

    name: str                 # the metric or answer the rule tests
    verdict: str
    reason: str


@dataclass(frozen=True)
class Verdict:
    check: str
    verdict: str              # pass | warn | fail | review | not_assessed
    reasons: tuple[str, ...]
    fired: tuple[Fired, ...] = ()   # the rules behind the verdict, worst first


@dataclass(frozen=True)
class Grade:
    value: str                # a grade of the profile's scale, or "review"
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Grading:
    verdicts: Mapping[str, Verdict]
    grade: Grade | None       # None: the session is incomplete and is never graded


def grade(profile: Profile, results: Mapping[str, CheckResult], answers: Mapping[str, Any],
          complete: bool) -> Grading:
    """Verdicts for every check that ran; a grade only for a complete session."""
    verdicts = {name: _judge(profile, name, result, answers) for name, result in results.items()}
    if complete:
        for name in profile.checks:
            verdicts.setdefault(name, Verdict(name, "not_assessed", (f"{name} did not run",)))
    graded = {name: v for name, v in verdicts.items() if name in profile.check_rules}
    return Grading(verdicts, _grade(profile.grade, graded, answers) if complete else None)


def _judge(profile: Profile, name: str, result: CheckResult, answers: Mapping[str, Any]) -> Verdict:
    rules = profile.check_rules.get(name)
    if rules is None:
        return Verdict(name, "not_assessed", (f"profile {profile.name} has no rules for {name}",))
    if result.outcome != "measured":
        detail = f": {_show(result.detail)}" if result.detail else ""
        return Verdict(name, rules.outcomes.get(result.outcome, "review"), (f"{name} {result.outcome}{detail}",))
    return _apply_rules(rules, result, answers)


def _apply_rules(rules: CheckRules, result: CheckResult, answers: Mapping[str, Any]) -> Verdict:
    fired = [Fired(rule.name, *f) for rule in rules.rules if (f := _apply(rule, result.metrics, answers)) is not None]
    if not fired:
        return Verdict(rules.name, "pass", ("no rule flagged anything",))
    fired.sort(key=lambda f: -SEVERITY[f.verdict])   # stable: worst first, then rule order
    return Verdict(rules.name, fired[0].verdict, tuple(dict.fromkeys(f.reason for f in fired)), tuple(fired))


def _apply(rule: Rule, metrics: Mapping[str, Any], answers: Mapping[str, Any]) -> tuple[str, str] | None:
    """(verdict, reason) when the rule fires, else None."""
    value, missing = _value(rule, metrics, answers)
    if missing is not None:
        return rule.unknown, f"{rule.name} unknown: {missing}"
    held = _test(rule.op, value, rule.limit)
    if held is None:
        return rule.unknown, f"{rule.name} {_show(value)} cannot be compared ({_op_text(rule.op)} {_show(rule.limit)})"
    if not held:
        return None
    if rule.reason is None:
        return rule.verdict, f"{rule.name} {_show(value)} {_op_text(rule.op)} {_show(rule.limit)}"
    return rule.verdict, _fill(rule.reason, value=_show(value), limit=_show(rule.limit))


def _value(rule: Rule, metrics: Mapping[str, Any], answers: Mapping[str, Any]) -> tuple[Any, str | None]:
    """(value, None), or (None, why it is unknown)."""
    if rule.subject == "answer":
        answer = answers.get(rule.name)
        return (answer, None) if answer is not None else (None, "not answered")
    metric = metrics.get(rule.name)
    if metric is None:
        return None, "not measured"
    if metric.value is None:
        return None, _show(metric.reason or "not determined")
    return metric.value, None


def _test(op: str, value: Any, limit: Any) -> bool | None:
    """Whether the condition holds; None when the value cannot be compared. A limit that
    is not a finite number (a profile built in code, past the YAML reader) cannot be
    compared either: with NaN every comparison is false, so no failing rule would fire."""
    if op in NUMBER_OPS:
        if not _is_number(value) or not _is_number(limit):
            return None
        return {"below": value < limit, "at_most": value <= limit,
                "above": value > limit, "at_least": value >= limit}[op]
    if op in ("equals", "not_equals"):
        same = _same(value, limit)
        return None if same is None else same == (op == "equals")
    if op == "contains_any":
        if not isinstance(value, (list, tuple)):
            return None
        return any(_same(item, wanted) for item in value for wanted in limit)
    found = [_same(value, wanted) for wanted in limit]     # in / not_in
    if True in found:
        return op == "in"
    return None if False not in found else op == "not_in"


def _same(a: Any, b: Any) -> bool | None:
    """Equality that never confuses True with 1 or "80" with 80; text ignores case."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b if isinstance(a, bool) and isinstance(b, bool) else None
    if _is_number(a) and _is_number(b):
        return a == b
    if isinstance(a, str) and isinstance(b, str):
        return a.casefold() == b.casefold()
    return None


def _is_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return isinstance(value, int) or math.isfinite(value)


def _grade(spec: GradeSpec, verdicts: Mapping[str, Verdict], answers: Mapping[str, Any]) -> Grade:
    """``verdicts`` holds the checks the profile has rules for: a rule without ``check:``
    means any of those, never a third-party check the profile knows nothing about."""
    reasons: list[str] = []
    review: list[str] = []
    level = 0
    if spec.base is not None:
        answer = answers.get(spec.base)
        label = spec.base.replace("_", " ").replace(".", " ")
        if isinstance(answer, str) and answer in spec.scale:
            level = spec.scale.index(answer)
            reasons.append(f"{label} {answer}")
        else:
            review.append(f"no {label} answered" if answer is None else f"{label} {_show(answer)} is not on the scale")
    base_open = bool(review)  # the base answer is missing or off the scale
    cap_reasons: list[str] = []
    reviewed: set[str] = set()
    for rule in spec.rules:
        matched = [m for v in verdicts.values() if (not rule.checks or v.check in rule.checks) and (m := _match(rule, v))]
        if not matched:
            continue
        text = _grade_reason(rule, matched)
        if rule.at_most == REVIEW:
            review.append(text)
            reviewed.update(v.check for v in matched)
        else:
            level = max(level, spec.scale.index(rule.at_most))
            cap_reasons.append(text)
    settled = level == len(spec.scale) - 1 or (bool(review) and not _could_lower(spec, level, reviewed, base_open))
    if cap_reasons and settled:
        return Grade(spec.scale[level], tuple(cap_reasons))
    if review:
        return Grade(REVIEW, tuple(review))
    return Grade(spec.scale[level], tuple(reasons + (cap_reasons or [_summary(verdicts)])))


def _match(rule: GradeRule, verdict: Verdict) -> Verdict | None:
    """``verdict`` as far as ``rule`` tests it: whole, or (a rule naming metrics) narrowed to
    the worst of what the check's rules on those metrics gave, with their reasons only."""
    if not rule.metrics:
        return verdict if verdict.verdict in rule.verdicts else None
    fired = [f for f in verdict.fired if f.name in rule.metrics and f.verdict in rule.verdicts]
    if not fired:
        return None
    return Verdict(verdict.check, fired[0].verdict, tuple(dict.fromkeys(f.reason for f in fired)), tuple(fired))


def _could_lower(spec: GradeSpec, level: int, reviewed: set[str], base_open: bool) -> bool:
    """Whether a person's decision could still lower a capped grade: some cap below it may
    apply to a check under review, or the missing base answer may be worse. When none can (a
    cap at the bottom of the scale, or a functional fail above a grade only a lock reaches),
    the cap stands without a person."""
    if base_open and spec.base is not None and _worst_answer(spec) > level:
        return True
    return bool(reviewed) and any(rule.at_most != REVIEW and spec.scale.index(rule.at_most) > level
                                  and (not rule.checks or reviewed.intersection(rule.checks)) for rule in spec.rules)


def _worst_answer(spec: GradeSpec) -> int:
    question = questions.ALL.get(spec.base or "")
    values = [c.value for c in question.choices] if question is not None else list(spec.scale)
    return max(spec.scale.index(v) for v in values if v in spec.scale)


def _grade_reason(rule: GradeRule, matched: list[Verdict]) -> str:
    if rule.reason is not None:  # {reasons}: what the matched checks said, e.g. which lock holds the phone
        reasons = "; ".join(r for v in matched for r in v.reasons)
        return _fill(rule.reason, checks=", ".join(v.check for v in matched), reasons=reasons)
    found = ", ".join(f"{v.check} {v.verdict}" for v in matched)
    return f"{found}: a person must decide" if rule.at_most == REVIEW else f"{found}: grade at most {rule.at_most}"


def _summary(verdicts: Mapping[str, Verdict]) -> str:
    others = [f"{v.check} {v.verdict}" for v in verdicts.values() if v.verdict != "pass"]
    return "all checks pass" if not others else ", ".join(others) + ": no grade rule lowers the grade"


def _fill(template: str, **values: str) -> str:
    """Replace the named placeholders only: no str.format, so a template cannot reach
    attributes or indexes of the values."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def _op_text(op: str) -> str:
    return op.replace("_", " ")


def _show(value: Any) -> str:
    """A value as a short, single-line text (values come from the phone: untrusted)."""
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isfinite(value):
        text = str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.6g}"
    elif isinstance(value, int) and abs(value) >= 10**18:
        text = f"a {value.bit_length()}-bit number"   # str() refuses very long ints
    elif isinstance(value, (list, tuple)):
        text = ", ".join(_show(v) for v in value[:10]) + (", ..." if len(value) > 10 else "")
    else:
        text = str(value) if isinstance(value, (str, int)) else repr(value)
    text = _CONTROL.sub(" ", text)
    return text if len(text) <= 80 else text[:77] + "..."
