"""Questions asked together: an operator with ``ask_all`` gets a phone's questions as one form."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from agent.check import Question
from agent.delivery.ledger import SideRecord
from agent.fixtures.format import load_fixture
from agent.links.replay import replay_link
from agent.session import budget
from agent.session.engine import run_session
from agent.session.events import CheckFinished, PhoneRef, QuestionAsked
from agent.session.station import open_station

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


class FormOperator:
    """Answers every form at once from ``answers`` and remembers what each form held."""

    def __init__(self, answers: Mapping[str, Any]) -> None:
        self.answers = dict(answers)
        self.forms: list[list[str]] = []
        self.singles: list[str] = []

    async def ask(self, question: Question, phone: PhoneRef) -> Any | None:
        self.singles.append(question.key)
        return self.answers.get(question.key)

    async def ask_all(self, questions: Sequence[Question], phone: PhoneRef) -> Mapping[str, Any]:
        self.forms.append([q.key for q in questions])
        return {q.key: self.answers[q.key] for q in questions if q.key in self.answers}


def _session(tmp_path: Path, fixture: str, operator: Any) -> list[Any]:
    bench = open_station("default", record=SideRecord(tmp_path / "r"), operator=operator)
    link = replay_link(load_fixture(next(FIXTURES.rglob(fixture))))

    async def collect() -> list[Any]:
        return [e async for e in run_session(link, bench, 1)]

    return asyncio.run(collect())


def test_a_phone_s_questions_come_as_one_form_once_its_measurements_are_in(tmp_path: Path) -> None:
    operator = FormOperator({"screen.visual": ["lines"], "cosmetic_grade": "B", "notes": "scuff"})
    events = _session(tmp_path, "pixel-7.yaml", operator)
    assert operator.forms == [["screen.visual", "cosmetic_grade", "notes"]] and operator.singles == []
    first_ask = next(i for i, e in enumerate(events) if isinstance(e, QuestionAsked))
    finished = [e.check for e in events[:first_ask] if isinstance(e, CheckFinished)]
    assert set(finished) == {"identity", "battery", "storage", "locks"}  # the screen check waits for its answer
    report = events[-1].report
    assert report["answers"] == {"screen.visual": ["lines"], "cosmetic_grade": "B", "notes": "scuff"}
    screen = next(c for c in report["checks"] if c["name"] == "screen")
    assert screen["metrics"]["screen_defects"]["value"] == ["lines"]


def test_an_empty_note_is_kept_as_an_empty_note(tmp_path: Path) -> None:
    events = _session(tmp_path, "pixel-7.yaml", FormOperator({"screen.visual": [], "cosmetic_grade": "A", "notes": ""}))
    assert events[-1].report["answers"]["notes"] == ""
    assert events[-1].report["grade"]["value"] == "A"


def test_a_question_left_unanswered_in_the_form_is_not_a_pass(tmp_path: Path) -> None:
    events = _session(tmp_path, "pixel-7.yaml", FormOperator({"cosmetic_grade": "A"}))
    report = events[-1].report
    screen = next(c for c in report["checks"] if c["name"] == "screen")
    assert screen["metrics"]["visual_ok"]["value"] is None
    assert "screen.visual" not in report["answers"]


def test_a_phone_that_left_during_its_checks_is_not_asked_about(tmp_path: Path) -> None:
    operator = FormOperator({"screen.visual": [], "cosmetic_grade": "A"})
    events = _session(tmp_path, "disconnect-mid-battery.yaml", operator)
    assert operator.forms == [] and operator.singles == []
    assert events[-1].report["session"]["complete"] is False


class SlowFormOperator(FormOperator):
    """Answers each form (or question) only after ``delay`` seconds: a technician busy elsewhere."""

    def __init__(self, answers: Mapping[str, Any], delay: float) -> None:
        super().__init__(answers)
        self.delay = delay

    async def ask(self, question: Question, phone: PhoneRef) -> Any | None:
        await asyncio.sleep(self.delay)
        return await super().ask(question, phone)

    async def ask_all(self, questions: Sequence[Question], phone: PhoneRef) -> Mapping[str, Any]:
        await asyncio.sleep(self.delay)
        return await super().ask_all(questions, phone)


def test_waiting_for_the_technician_does_not_count_against_a_check_s_budget(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The screen check waits for its answer longer than a check may work: its verdict still
    comes from the answer (F for lines), not a timeout."""
    monkeypatch.setattr(budget, "CHECK_BUDGET_S", 0.2)
    answers = {"screen.visual": ["lines"], "cosmetic_grade": "B", "notes": ""}
    for operator in (SlowFormOperator(answers, 0.6), _Single(SlowFormOperator(answers, 0.6))):
        report = _session(tmp_path / str(id(operator)), "pixel-7.yaml", operator)[-1].report
        screen = next(c for c in report["checks"] if c["name"] == "screen")
        assert screen["outcome"] == "measured", screen
        assert screen["metrics"]["screen_defects"]["value"] == ["lines"]


def test_a_check_that_works_past_its_budget_is_still_stopped() -> None:
    async def reading() -> None:
        await asyncio.sleep(5)

    async def asking() -> str:
        return await budget.waiting_for_a_person(asyncio.sleep(0.3, result="answer"))

    async def both() -> tuple[BaseException | None, str]:
        try:
            await budget.within_budget(reading(), 0.1)
            stopped = None
        except TimeoutError as e:
            stopped = e
        return stopped, await budget.within_budget(asking(), 0.1)

    stopped, answer = asyncio.run(both())
    assert isinstance(stopped, TimeoutError) and answer == "answer"


class _Single:
    """``operator`` without ``ask_all``: each question asked on its own."""

    def __init__(self, operator: SlowFormOperator) -> None:
        self.ask = operator.ask
