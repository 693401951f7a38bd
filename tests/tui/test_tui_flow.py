"""The whole bench flow through the real supervisor, engine and store, driven with Pilot."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from textual.widgets import TextArea

from agent.tui.widgets.bench_card import BenchCard
from agent.tui.widgets.confirm import Confirm
from agent.tui.widgets.phone_view import PhoneView
from agent.tui.widgets.question_form import QuestionForm
from agent.tui.widgets.text_view import TextView
from tests.tui.conftest import replay_app, wait_for

pytestmark = pytest.mark.anyio


def _form(app, slot: int | None = None) -> bool:  # type: ignore[no-untyped-def]
    return isinstance(app.screen, QuestionForm) and slot in (None, app.screen.pending.phone.slot)


async def _answer_all(app, pilot, notes: str = "scuff") -> None:  # type: ignore[no-untyped-def]
    """The phone's form, keys only: no defect, grade B, a note, Enter."""
    await wait_for(pilot, lambda: _form(app), "the phone's questions")
    await pilot.press("b", "tab", *notes, "enter")


def _reports(out: Path) -> list[dict]:
    envelopes = [json.loads(p.read_text()) for p in sorted(out.glob("*.dsse.json"))]
    return [json.loads(base64.b64decode(e["payload"])) for e in envelopes]


async def test_a_phone_is_checked_asked_graded_and_its_report_written(tmp_path: Path) -> None:
    app, out = replay_app(tmp_path, ["pixel-7.yaml"])
    async with app.run_test(size=(120, 40)) as pilot:
        await _answer_all(app, pilot, notes="[red]x")
        await wait_for(pilot, lambda: app.model.slots[1].state == "done", "the report")
        card = app.query_one(BenchCard)
        assert "-good" in card.classes
        assert str(card.status_label.render()) == "done · B"
    (report,) = _reports(out)
    assert report["grade"]["value"] == "B"
    assert report["answers"] == {"screen.visual": [], "cosmetic_grade": "B", "notes": "[red]x"}


async def test_phones_come_one_form_each_oldest_ready_first(tmp_path: Path) -> None:
    app, _ = replay_app(tmp_path, ["pixel-7.yaml", "iphone-13.yaml"])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.operator.waiting == 2, "both phones to ask")
        first, second = app.operator._queue
        assert app.screen.pending is first
        assert [q.key for q in first.questions] == ["screen.visual", "cosmetic_grade", "notes"]
        title = str(app.screen.query_one(".title").render())
        assert f"Slot {first.phone.slot} · {first.phone.model}" in title and "1 more phone after this" in title
        await pilot.press("b", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, QuestionForm) and app.screen.pending is second, "the next phone")


async def test_later_puts_the_form_away_and_keeps_what_was_ticked(tmp_path: Path) -> None:
    app, _ = replay_app(tmp_path, ["pixel-7.yaml"])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: _form(app), "the phone's questions")
        await pilot.press("2", "c", "escape")
        await pilot.pause(0.3)
        assert not isinstance(app.screen, QuestionForm)
        assert app.model.slots[1].status() == "needs you"
        await pilot.press("a")
        await wait_for(pilot, lambda: _form(app), "the questions again")
        assert app.screen.answers() == {"screen.visual": ["lines"], "cosmetic_grade": "C", "notes": ""}


async def test_rerun_asks_first_then_writes_a_second_report(tmp_path: Path) -> None:
    app, out = replay_app(tmp_path, ["pixel-7.yaml"])
    async with app.run_test(size=(120, 40)) as pilot:
        await _answer_all(app, pilot)
        await wait_for(pilot, lambda: app.model.slots[1].state == "done", "the first report")
        await pilot.press("enter")
        assert isinstance(app.screen, PhoneView)
        await pilot.press("r")
        assert isinstance(app.screen, Confirm)
        await pilot.press("n")
        await pilot.pause(0.3)
        assert app.operator.waiting == 0 and len(list(out.glob("*.dsse.json"))) == 1
        await pilot.press("r", "y")
        await _answer_all(app, pilot)
        await wait_for(pilot, lambda: len(list(out.glob("*.dsse.json"))) == 2, "the second report")


async def test_the_report_opens_as_read_only_json(tmp_path: Path) -> None:
    app, _ = replay_app(tmp_path, ["pixel-7.yaml"])
    async with app.run_test(size=(120, 40)) as pilot:
        await _answer_all(app, pilot)
        await wait_for(pilot, lambda: app.model.slots[1].state == "done", "the report")
        await pilot.press("enter", "j")
        assert isinstance(app.screen, TextView)
        area = app.screen.query_one(TextArea)
        assert area.read_only
        assert json.loads(area.text)["report_id"] == app.model.slots[1].report["report_id"]
        await pilot.press("escape", "l")
        assert "done, grade B" in app.screen.query_one(TextArea).text


async def test_a_phone_pulled_mid_session_shows_incomplete_with_no_grade(tmp_path: Path) -> None:
    app, out = replay_app(tmp_path, ["disconnect-mid-battery.yaml"])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.model.slots.get(1) and app.model.slots[1].state == "incomplete", "the end")
        card = app.query_one(BenchCard)
        assert "-incomplete" in card.classes
        assert app.model.slots[1].grade is None


async def test_phones_waiting_for_the_technician_say_what_to_do(tmp_path: Path) -> None:
    app, _ = replay_app(tmp_path, ["trust-pending.yaml", "unauthorized.yaml"])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: len(app.query(BenchCard)) == 2, "two cards")
        statuses = sorted(str(c.status_label.render()) for c in app.query(BenchCard))
        assert statuses == ["USB debugging not allowed", "waiting for Trust"]
        assert all("-waiting" in c.classes for c in app.query(BenchCard))
        assert any("Tap Trust" in line for line in app.model.slots[1].log) or any("Tap Trust" in line for line in app.model.slots[2].log)
