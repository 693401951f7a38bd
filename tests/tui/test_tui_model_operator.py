"""The TUI's plain parts: the slot model folded from bench events, and the question queue."""

from __future__ import annotations

import asyncio

import pytest

from agent.check import CheckResult, Metric
from agent.questions import COSMETIC_GRADE, SCREEN_VISUAL
from agent.session.events import CheckFinished, PhoneGone, PhoneRef, PhoneSeen, QuestionAsked, SessionStarted, SlotEvent
from agent.tui.model import BenchModel
from agent.tui.question_queue import TuiOperator

PHONE = PhoneRef("SER1", "android", 3, "Pixel 7")


def _running(model: BenchModel, session: str = "s1") -> None:
    model.apply(PhoneSeen(3, PHONE, "checking"))
    model.apply(SlotEvent(3, SessionStarted(session, PHONE, "replay:x", ("identity", "battery", "screen"))))


def test_checks_count_up_as_they_finish() -> None:
    model = BenchModel()
    _running(model)
    model.apply(SlotEvent(3, CheckFinished("s1", "battery", CheckResult("measured", {"cycle_count": Metric(3, "cat x")}))))
    view = model.slots[3]
    assert view.status() == "checking 1 of 3"
    assert view.outcome == "running"
    assert model.take_dirty() == {3} and model.take_dirty() == set()


def test_a_question_makes_the_card_need_you_until_it_is_dealt_with() -> None:
    model = BenchModel()
    _running(model)
    model.apply(SlotEvent(3, QuestionAsked("s1", PHONE, SCREEN_VISUAL)))
    assert (model.slots[3].status(), model.slots[3].outcome) == ("needs you", "asking")
    model.answered(3, SCREEN_VISUAL.key)
    assert model.slots[3].status() == "checking 0 of 3"


def test_events_of_an_earlier_session_are_ignored() -> None:
    model = BenchModel()
    _running(model, "old")
    _running(model, "new")
    model.apply(SlotEvent(3, CheckFinished("old", "battery", CheckResult("error", detail="x"))))
    assert model.slots[3].checks == {}


@pytest.mark.parametrize(
    ("state", "shown", "outcome"),
    [
        ("trust_pending", "waiting for Trust", "waiting"),
        ("unauthorized", "USB debugging not allowed", "waiting"),
        ("usb_only", "USB debugging off", "waiting"),
        ("error", "error", "error"),
    ],
)
def test_supervisor_states_read_as_what_to_do(state: str, shown: str, outcome: str) -> None:
    model = BenchModel()
    model.apply(PhoneSeen(1, PhoneRef("X", "android", 1), state, "guidance text"))
    assert (model.slots[1].status(), model.slots[1].outcome) == (shown, outcome)
    assert model.take_lines()[-1] == "slot 1 Android · not identified: guidance text"  # never its transport id


def test_a_new_phone_in_a_slot_replaces_the_old_card_and_unplugging_greys_it() -> None:
    model = BenchModel()
    _running(model)
    model.apply(PhoneGone(3, "SER1"))
    assert (model.slots[3].outcome, model.slots[3].status()) == ("gone", "unplugged")
    model.apply(PhoneSeen(3, PhoneRef("SER2", "ios", 3), "trust_pending"))
    assert (model.slots[3].device_id, model.slots[3].checks_total) == ("SER2", 0)


def test_forms_wait_phone_by_phone_and_answers_resolve_them() -> None:
    async def scenario() -> list[object]:
        operator = TuiOperator()
        first = asyncio.ensure_future(operator.ask_all((SCREEN_VISUAL, COSMETIC_GRADE), PhoneRef("A", "android", 1)))
        second = asyncio.ensure_future(operator.ask_all((SCREEN_VISUAL,), PhoneRef("B", "ios", 2)))
        await asyncio.sleep(0)
        assert operator.for_slot(2) is not None and operator.for_slot(2).phone.device_id == "B"
        order = [operator.head.phone.device_id]
        operator.answer(operator.head, {"screen.visual": ["lines"], "cosmetic_grade": "B"})
        order.append(operator.head.phone.device_id)
        operator.answer(operator.head, {})
        return [*order, await first, await second, operator.waiting]

    assert asyncio.run(scenario()) == ["A", "B", {"screen.visual": ["lines"], "cosmetic_grade": "B"}, {}, 0]


def test_a_cancelled_session_takes_its_form_out_of_the_queue() -> None:
    async def scenario() -> int:
        operator = TuiOperator()
        changes: list[int] = []
        operator.on_change = lambda: changes.append(operator.waiting)
        task = asyncio.ensure_future(operator.ask_all((SCREEN_VISUAL,), PHONE))
        await asyncio.sleep(0)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        assert changes == [1, 0]
        return operator.waiting

    assert asyncio.run(scenario()) == 0


def test_an_operator_with_no_questions_is_still_an_operator() -> None:
    """open_station uses ``operator or NoOperator()``: an idle TUI operator must not be falsy."""
    assert TuiOperator()
