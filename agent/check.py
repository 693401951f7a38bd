"""The Check API: what a check is given, and what it gives back.

Checks measure and never grade. A check returns metrics, each with the place it came
from; a figure that could not be read is ``None`` with a reason. "The battery is worn"
is a metric for a profile to grade, never an exception. An exception escaping a check is
recorded as an ``error`` outcome by the engine, and a phone that goes away mid-check as
``interrupted``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from agent.links.base import Link
from agent.text import capped, capped_json

Outcome = Literal["measured", "unsupported", "error", "interrupted"]
OUTCOMES: tuple[str, ...] = ("measured", "unsupported", "error", "interrupted")


@dataclass(frozen=True)
class Metric:
    """One figure. The unit is in the metric's name (``voltage_mv``); ``source`` names the
    command or lockdown key it came from; ``reason`` says why ``value`` is None."""

    value: Any
    source: str | None = None
    reason: str | None = None
    method: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The metric as the report holds it: every string in it capped (``agent.text.capped``),
        since a value, and a source or reason that quotes one, may come from the phone."""
        out: dict[str, Any] = {"value": capped_json(self.value), "source": _capped(self.source)}
        if self.value is None:
            out["reason"] = capped(self.reason or "not determined")
        if self.method:
            out["method"] = capped(self.method)
        return out


def _capped(text: str | None) -> str | None:
    return None if text is None else capped(text)


@dataclass(frozen=True)
class MetricSpec:
    """What a check declares about one of its metrics. ``unit`` is the unit the name
    carries (``mV`` for ``voltage_mv``), None for text, flags and counts of things;
    ``device`` marks the identity metrics that make up a report's ``device`` block."""

    unit: str | None
    description: str
    device: bool = False


def declare(*rows: tuple[str, str | None, str], device: bool = False) -> dict[str, MetricSpec]:
    """``{name: MetricSpec}`` from ``(name, unit, description)`` rows, in their order."""
    return {name: MetricSpec(unit, description, device) for name, unit, description in rows}


def known(value: Any, source: str, method: str | None = None) -> Metric:
    """A figure the phone gave, or None with a reason when ``value`` is None."""
    if value is None:
        return Metric(None, source, f"{source} did not give it")
    return Metric(value, source, None, method)


def unknown(reason: str, source: str | None = None) -> Metric:
    return Metric(None, source, reason)


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    description: str = ""


@dataclass(frozen=True)
class Question:
    """Something only the technician can answer.

    ``kind`` is ``choice`` (one of ``choices``), ``checklist`` (any of ``choices``; the
    answer is the list of those that apply, empty when none does) or ``text``."""

    key: str
    prompt: str
    kind: Literal["choice", "checklist", "text"]
    choices: tuple[Choice, ...] = ()
    help: str = ""

    def validate(self, answer: Any) -> Any:
        """The answer in canonical form; ValueError when it does not fit the question."""
        values = {c.value for c in self.choices}
        if self.kind == "text":
            if not isinstance(answer, str):
                raise ValueError(f"{self.key}: expected text")
            return answer
        if self.kind == "choice":
            if answer not in values:
                raise ValueError(f"{self.key}: expected one of {', '.join(sorted(values))}, got {answer!r}")
            return answer
        if not isinstance(answer, list) or not all(a in values for a in answer):
            raise ValueError(f"{self.key}: expected a list drawn from {', '.join(sorted(values))}")
        return sorted(set(answer))


@dataclass(frozen=True)
class CheckResult:
    outcome: Outcome
    metrics: Mapping[str, Metric] = field(default_factory=dict)
    detail: str | None = None


Asker = Callable[[Question], Awaitable[Any]]


@dataclass
class CheckContext:
    """What a check is handed. ``device`` holds the identity metrics once the identity
    check has run; ``model`` is the catalog entry for this phone, if the catalog knows it."""

    link: Link
    platform: str
    device: Mapping[str, Any] = field(default_factory=dict)
    model: Any = None
    ask: Asker | None = None
    timeout_s: float = 10.0

    async def question(self, question: Question) -> Any:
        """Ask the technician; None when nobody can answer (headless without answers)."""
        if self.ask is None:
            return None
        return await self.ask(question)


class Check(ABC):
    """A measurement. Subclasses set ``name``, ``title`` and ``platforms`` and implement
    ``run``. Third-party checks register under the ``phonebench.checks`` entry-point group."""

    name: ClassVar[str]
    title: ClassVar[str]
    platforms: ClassVar[frozenset[str]] = frozenset({"android", "ios"})
    #: the questions this check may ask the technician
    questions: ClassVar[tuple[Question, ...]] = ()
    #: what the check reads: shell command lines (Android), "lockdown:<domain>" and
    #: "ioregistry:<entry>" (iOS). ``record`` captures these; replay names what is missing.
    reads: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    #: every metric the check may report, with its unit and meaning: profiles are checked
    #: against it, ``phonebench checks list --metrics`` prints it, docs/metrics.md lists it
    metrics: ClassVar[Mapping[str, MetricSpec]] = {}

    @abstractmethod
    async def run(self, ctx: CheckContext) -> CheckResult | Mapping[str, Metric]:
        """Measure. Return metrics (outcome ``measured``) or a CheckResult."""
