"""Strings from a phone are shown as typed, never obeyed as Rich markup; failures are one line."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from textual.widgets import Label

from agent.check import CheckResult, Metric
from agent.errors import LinkError
from agent.questions import SCREEN_VISUAL
from agent.session.events import CheckFinished, DeviceIdentified, PhoneRef, PhoneSeen, SessionStarted, SlotEvent
from agent.tui.app import BenchApp
from agent.tui.question_queue import TuiOperator
from agent.tui.widgets.bench_card import BenchCard
from agent.tui.widgets.question_form import QuestionForm
from tests.tui.conftest import scripted_app, wait_for

pytestmark = pytest.mark.anyio

NAMED = PhoneRef("[bold]SER", "android", 1, "[red]x")


def _hostile_events() -> list[Any]:
    metrics = {"technology": Metric("[blink]Li-ion", "dumpsys battery"), "level_percent": Metric(None, "dumpsys battery", "[/]no level")}
    return [
        PhoneSeen(1, PhoneRef("[bold]SER", "android", 1), "checking"),
        SlotEvent(1, SessionStarted("s", NAMED, "replay:x", ("identity", "battery"))),
        SlotEvent(1, DeviceIdentified("s", NAMED, {"platform": "android", "model": "[red]x", "serial": "[bold]SER"})),
        SlotEvent(1, CheckFinished("s", "battery", CheckResult("measured", metrics, detail="[on red]d"))),
    ]


async def test_a_phone_named_like_markup_shows_those_characters_everywhere() -> None:
    app = scripted_app(_hostile_events())
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: 1 in app.model.slots and app.model.slots[1].checks, "the hostile phone")
        card = app.query_one(BenchCard)
        assert str(card.name_label.render()) == "[red]x"
        assert "[red]x" in app.event_log.lines[-1] and "[red]x" in app.event_log.render().plain
        await pilot.press("enter")
        phone_view = app.export_screenshot()  # a full screen: nothing else on it names the phone
        for shown in ("[blink]Li-ion", "[/]no&#160;level", "[bold]SER", "[on&#160;red]d", "[red]x"):
            assert shown in phone_view
        await pilot.press("escape")
        asyncio.ensure_future(app.operator.ask(SCREEN_VISUAL, NAMED))
        await wait_for(pilot, lambda: isinstance(app.screen, QuestionForm), "the question")
        assert "Slot 1 · [red]x" in str(app.screen.query_one(".title", Label).render())


class _Broken:
    phones: dict[str, Any] = {}

    def __init__(self, error: Exception) -> None:
        self.error = error

    async def events(self) -> Any:
        yield PhoneSeen(1, PhoneRef("A", "android", 1), "checking")
        raise self.error


@pytest.mark.parametrize(
    ("error", "line"),
    [
        (LinkError("adb server on 127.0.0.1:5037 is not running"), "bench stopped: adb server on 127.0.0.1:5037 is not running"),
        (RuntimeError("boom"), "bench stopped: internal error: RuntimeError: boom"),
    ],
)
async def test_a_bench_failure_is_one_log_line_and_the_screen_stays(error: Exception, line: str) -> None:
    app = BenchApp(_Broken(error), TuiOperator(), "default")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: 1 in app.model.slots, "the first event")
        assert app.is_running
        assert line in app.event_log.lines
