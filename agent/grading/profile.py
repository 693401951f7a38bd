"""Grading profiles: declarative YAML rules that turn check metrics and the technician's
answers into verdicts and one grade.

A profile is data, never code: conditions are a fixed set of comparisons, reasons are
templates with named placeholders, and nothing is evaluated. Everything is checked when
the file is loaded, so a typo fails at once with the file, the line and the rule
("checks.battery.rules[2]") instead of quietly grading phones wrong. profiles/README.md
is the reference for authors; agent/grading/rules.py applies a loaded profile.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent import questions
from agent.errors import ProfileError
from agent.resources import data_dir
from agent.yamlfile import Spot, read_yaml

FORMAT = "phonebench-profile/1"
VERDICTS = ("pass", "warn", "fail", "review", "not_assessed")
UNKNOWN_VERDICTS = ("review", "not_assessed", "warn", "fail")
OUTCOME_DEFAULTS: Mapping[str, str] = {"error": "review", "unsupported": "review", "interrupted": "not_assessed"}
REVIEW = "review"
NUMBER_OPS = ("below", "at_most", "above", "at_least")
SCALAR_OPS = ("equals", "not_equals")
LIST_OPS = ("in", "not_in", "contains_any")
OPERATORS = NUMBER_OPS + SCALAR_OPS + LIST_OPS
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_BUNDLED_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")

@dataclass(frozen=True)
class Rule:
    """"When <metric or answer> <op> <limit>, the check's verdict is <verdict>." A null
    value (or one the comparison cannot read) gives ``unknown`` instead."""

    subject: str      # "metric" or "answer"
    name: str         # metric name or answer key
    op: str
    limit: Any
    verdict: str
    reason: str | None
    unknown: str


@dataclass(frozen=True)
class CheckRules:
    name: str
    rules: tuple[Rule, ...]
    outcomes: Mapping[str, str]   # verdict for each non-measured outcome


@dataclass(frozen=True)
class GradeRule:
    """"When <checks> have <verdicts>, the grade is at most <at_most>" (or review). With
    ``metrics``, only the verdicts the checks' rules on those metrics gave count, so one check
    can cap the grade in two ways (a lock holds a phone; root makes it not sellable)."""

    checks: tuple[str, ...]       # empty: any check the profile grades
    verdicts: tuple[str, ...]
    at_most: str
    reason: str | None
    metrics: tuple[str, ...] = ()  # empty: the check's verdict, whichever rule gave it


@dataclass(frozen=True)
class GradeSpec:
    scale: tuple[str, ...]        # best first
    base: str | None              # answer key the grade starts from
    rules: tuple[GradeRule, ...]


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    digest: str
    path: Path | None
    questions: tuple[str, ...]
    checks: tuple[str, ...]
    check_rules: Mapping[str, CheckRules]
    grade: GradeSpec


def load_profile(name_or_path: str, known_checks: Collection[str] | None = None) -> Profile:
    """A bundled profile by name ("default") or a profile file by path."""
    return _parse(_resolve(name_or_path), known_checks)


def list_profiles() -> list[Profile]:
    """Every bundled profile, by name."""
    folder = data_dir("profiles")
    paths = [p for p in sorted(folder.glob("*.yaml")) if p.name != "catalog.yaml"]
    return sorted((_parse(p, None) for p in paths), key=lambda p: p.name)


def _resolve(name_or_path: str) -> Path:
    looks_like_path = "/" in name_or_path or "\\" in name_or_path or name_or_path.endswith((".yaml", ".yml"))
    if looks_like_path:
        return Path(name_or_path)
    path = data_dir("profiles") / f"{name_or_path}.yaml"
    if not _BUNDLED_NAME.match(name_or_path) or name_or_path == "catalog" or not path.is_file():
        bundled = ", ".join(p.name for p in list_profiles())
        raise ProfileError(f"no bundled profile named {name_or_path!r} (bundled: {bundled}; or give a file path)")
    return path


def _parse(path: Path, known_checks: Collection[str] | None) -> Profile:
    raw, doc, top = read_yaml(path, ProfileError)
    top.keys_in(doc, {"format", "name", "description", "outcomes", "checks", "grade"})
    if top.get(doc, "format", str) != FORMAT:
        raise top.at("format", doc).error(f"expected format: {FORMAT}")
    outcomes = _outcomes(doc, top, OUTCOME_DEFAULTS)
    checks_node = top.get(doc, "checks", dict)
    check_rules: dict[str, CheckRules] = {}
    for name in checks_node:
        spot = top.at("checks", doc).at(name, checks_node)
        check_rules[str(name)] = _check(str(name), checks_node[name], spot, outcomes, known_checks)
    grade = _grade(top.get(doc, "grade", dict), top.at("grade", doc), check_rules)
    answer_keys = [grade.base] if grade.base else []
    answer_keys += [r.name for c in check_rules.values() for r in c.rules if r.subject == "answer"]
    return Profile(
        name=top.get(doc, "name", str),
        description=top.get(doc, "description", str, default=""),
        digest="sha256:" + hashlib.sha256(raw).hexdigest(),
        path=path,
        questions=tuple(dict.fromkeys(answer_keys)),
        checks=tuple(check_rules),
        check_rules=check_rules,
        grade=grade,
    )


def _outcomes(node: dict, spot: Spot, inherited: Mapping[str, str]) -> Mapping[str, str]:
    given = spot.get(node, "outcomes", dict, default={})
    here = spot.at("outcomes", node)
    here.keys_in(given, set(OUTCOME_DEFAULTS))
    out = dict(inherited)
    for outcome in given:
        out[outcome] = here.choice(given, outcome, UNKNOWN_VERDICTS)
    return out


def _check(name: str, node: Any, spot: Spot, outcomes: Mapping[str, str],
           known_checks: Collection[str] | None) -> CheckRules:
    if not _NAME.match(name):
        raise spot.error(f"check name {name!r} is not snake_case")
    if known_checks is not None and name not in known_checks:
        raise spot.error(f"no check named {name!r} (known: {', '.join(sorted(known_checks))})")
    node = spot.expect(node, dict)
    spot.keys_in(node, {"rules", "outcomes"})
    rules_node = spot.get(node, "rules", list)
    rules_spot = spot.at("rules", node)
    rules = tuple(_rule(name, item, rules_spot.item(i, rules_node)) for i, item in enumerate(rules_node))
    return CheckRules(name, rules, _outcomes(node, spot, outcomes))


def _rule(check: str, node: Any, spot: Spot) -> Rule:
    node = spot.expect(node, dict)
    ops = [k for k in node if k not in {"metric", "answer", "verdict", "reason", "unknown"}]
    for key in ops:
        if key not in OPERATORS:
            raise spot.at(key, node).error(f"unknown operator {key!r} (use one of: {', '.join(OPERATORS)})")
    if len(ops) != 1:
        raise spot.error(f"give exactly one condition ({', '.join(OPERATORS)}); found {len(ops)}")
    subjects = [k for k in ("metric", "answer") if k in node]
    if len(subjects) != 1:
        raise spot.error("give exactly one of metric: or answer:")
    subject, op = subjects[0], ops[0]
    name = spot.get(node, subject, str)
    limit = _limit(op, node[op], spot.at(op, node))
    if subject == "metric":
        _check_metric(check, name, spot.at("metric", node))
    else:
        _check_answer(name, op, limit, spot.at("answer", node))
    reason = spot.get(node, "reason", str, default=None)
    if reason is not None:
        _check_template(reason, {"value", "limit"}, spot.at("reason", node))
    return Rule(
        subject=subject, name=name, op=op, limit=limit,
        verdict=spot.choice(node, "verdict", VERDICTS), reason=reason,
        unknown=spot.choice(node, "unknown", UNKNOWN_VERDICTS, default="review"),
    )


def _limit(op: str, value: Any, spot: Spot) -> Any:
    def scalar(v: Any) -> bool:
        return isinstance(v, (str, int, float, bool))

    if op in NUMBER_OPS and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise spot.error(f"{op} needs a number, got {value!r}")
    if op in SCALAR_OPS and not scalar(value):
        raise spot.error(f"{op} needs a single value (text, number, true/false), got {value!r}")
    if op in LIST_OPS:
        if not isinstance(value, list) or not value or not all(scalar(v) for v in value):
            raise spot.error(f"{op} needs a non-empty list of values, got {value!r}")
        return tuple(value)
    return value


def _check_metric(check: str, name: str, spot: Spot) -> None:
    """A metric the check declares (see ``Check.metrics``), so a misspelt one fails at load."""
    from agent.plugins import declared_metrics

    known = declared_metrics().get(check)
    if known is not None and name not in known:
        raise spot.error(f"check {check!r} has no metric {name!r} (it has: {', '.join(sorted(known))})")
    if known is None and not _NAME.match(name):
        raise spot.error(f"metric name {name!r} is not snake_case")


def _check_answer(key: str, op: str, limit: Any, spot: Spot) -> None:
    question = questions.ALL.get(key)
    if question is None:
        raise spot.error(f"no question {key!r} (answers: {', '.join(sorted(questions.ALL))})")
    allowed = ("contains_any",) if question.kind == "checklist" else SCALAR_OPS + ("in", "not_in")
    if op not in allowed:
        raise spot.error(f"{op} does not apply to the {question.kind} answer {key!r} (use {', '.join(allowed)})")
    choices = {c.value for c in question.choices}
    given = limit if isinstance(limit, tuple) else (limit,)
    stray = [v for v in given if choices and v not in choices]
    if stray:
        raise spot.error(f"{stray[0]!r} is not a choice of {key!r} ({', '.join(sorted(choices))})")


def _check_template(text: str, allowed: set[str], spot: Spot) -> None:
    for name in _PLACEHOLDER.findall(text):
        if name not in allowed:
            names = " or ".join("{" + a + "}" for a in sorted(allowed))
            raise spot.error(f"unknown placeholder {{{name}}} (use {names})")


def _grade(node: dict, spot: Spot, check_rules: Mapping[str, CheckRules]) -> GradeSpec:
    spot.keys_in(node, {"scale", "base", "rules"})
    scale = tuple(spot.get(node, "scale", list))
    scale_spot = spot.at("scale", node)
    if not scale or not all(isinstance(g, str) and g for g in scale) or len(set(scale)) != len(scale):
        raise scale_spot.error("scale must be a non-empty list of distinct grade names, best first")
    if REVIEW in scale:
        raise scale_spot.error(f"{REVIEW!r} is reserved (a person decides) and cannot be on the scale")
    base = spot.get(node, "base", str, default=None)
    if base is not None:
        _check_base(base, scale, spot.at("base", node))
    rules_node = spot.get(node, "rules", list, default=[])
    rules_spot = spot.at("rules", node)
    rules = tuple(_grade_rule(item, rules_spot.item(i, rules_node), scale, check_rules)
                  for i, item in enumerate(rules_node))
    return GradeSpec(scale, base, rules)


def _check_base(key: str, scale: tuple[str, ...], spot: Spot) -> None:
    question = questions.ALL.get(key)
    if question is None or question.kind != "choice":
        choice_keys = sorted(k for k, q in questions.ALL.items() if q.kind == "choice")
        raise spot.error(f"base must name a choice question ({', '.join(choice_keys)}), got {key!r}")
    missing = [c.value for c in question.choices if c.value not in scale]
    if missing:
        raise spot.error(f"answer {key!r} can be {missing[0]!r}, which is not on the scale")


def _grade_rule(node: Any, spot: Spot, scale: tuple[str, ...], check_rules: Mapping[str, CheckRules]) -> GradeRule:
    node = spot.expect(node, dict)
    spot.keys_in(node, {"when", "at_most", "reason"})
    when = spot.get(node, "when", dict)
    when_spot = spot.at("when", node)
    when_spot.keys_in(when, {"check", "metric", "verdict"})
    checks = when_spot.names(when, "check", default=())
    for name in checks:
        if name not in check_rules:
            raise when_spot.at("check", when).error(f"{name!r} has no rules under checks:, so it has no verdict to test")
    metrics = when_spot.names(when, "metric", default=())
    if metrics and not checks:
        raise when_spot.at("metric", when).error("metric: needs check: naming the checks whose rules test it")
    ruled = {rule.name for name in checks for rule in check_rules[name].rules}
    for metric in metrics:
        if metric not in ruled:
            raise when_spot.at("metric", when).error(f"no rule of {', '.join(checks)} tests {metric!r}")
    verdicts = when_spot.names(when, "verdict")
    for verdict in verdicts:
        if verdict not in VERDICTS:
            raise when_spot.at("verdict", when).error(f"unknown verdict {verdict!r} (use one of: {', '.join(VERDICTS)})")
    at_most = spot.get(node, "at_most", str)
    if at_most != REVIEW and at_most not in scale:
        raise spot.at("at_most", node).error(f"grade {at_most!r} is not on the scale ({', '.join(scale)}) nor {REVIEW!r}")
    reason = spot.get(node, "reason", str, default=None)
    if reason is not None:
        _check_template(reason, {"checks", "reasons"}, spot.at("reason", node))
    return GradeRule(checks, verdicts, at_most, reason, metrics)
