"""Re-running one check from the phone view, through the real supervisor, engine and store."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from textual.containers import VerticalScroll
from textual.widgets import OptionList

from agent.session.events import PhoneRef, PhoneSeen, SessionFailed, SessionStarted, SlotEvent
from agent.tui.widgets.check_picker import CheckPicker
from agent.tui.widgets.confirm import Confirm
from agent.tui.widgets.phone_view import PhoneView
from agent.tui.widgets.question_form import QuestionForm
from tests.tui.conftest import replay_app, scripted_app, wait_for

pytestmark = pytest.mark.anyio

#: how the technician fills a phone's form: no defect, grade B, no note
KEYS = ("b", "enter")


def _reports(out: Path) -> list[dict[str, Any]]:
    envelopes = [json.loads(p.read_text()) for p in sorted(out.glob("*.dsse.json"))]
    return [json.loads(base64.b64decode(e["payload"])) for e in envelopes]


async def _answer_until(pilot: Any, reports: int, out: Path) -> None:
    """Answer whatever the session asks until ``out`` holds ``reports`` reports."""
    app = pilot.app
    for _ in range(400):
        if len(list(out.glob("*.dsse.json"))) >= reports:
            await wait_for(pilot, lambda: app.model.slots[1].state == "done", "the report on screen")
            return
        if isinstance(app.screen, QuestionForm):
            await pilot.press(*KEYS)
        await pilot.pause(0.02)
    raise AssertionError(f"gave up waiting for report {reports}")


async def _done_phone_view(pilot: Any, out: Path) -> None:
    await _answer_until(pilot, 1, out)
    await pilot.press("enter")
    assert isinstance(pilot.app.screen, PhoneView)


def _check(report: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in report["checks"] if c["name"] == name)


async def test_rerunning_one_check_measures_it_anew_and_carries_the_others_over(tmp_path: Path) -> None:
    app, out = replay_app(tmp_path, ["pixel-7.yaml"])
    async with app.run_test(size=(120, 40)) as pilot:
        await _done_phone_view(pilot, out)
        await pilot.press("c")
        picker = app.screen
        assert isinstance(picker, CheckPicker)
        assert "identity" not in picker.names and "battery" in picker.names
        await pilot.press(str(picker.names.index("battery") + 1))
        assert isinstance(app.screen, Confirm)
        assert "Re-run battery on slot 1" in app.screen.question
        await pilot.press("y")
        await _answer_until(pilot, 2, out)
        first, second = _reports(out)
        shown = app.model.slots[1]
        assert shown.report is not None and shown.report["report_id"] == second["report_id"]
        assert isinstance(app.screen, PhoneView)
        app.screen.query_one(VerticalScroll).scroll_end(animate=False, immediate=True)
        await pilot.pause()
        assert second["report_id"] in app.export_screenshot()
    battery = _check(second, "battery")
    assert battery["outcome"] == "measured" and "carried over" not in (battery["detail"] or "")
    for name in ("screen", "storage"):
        assert _check(second, name)["detail"].startswith(f"carried over from report {first['report_id']}")
        assert _check(second, name)["metrics"] == _check(first, name)["metrics"]
    assert "carried over" not in (_check(second, "identity")["detail"] or "")  # identity is always read again
    assert any("re-running battery, the rest carried over" in line for line in shown.log)


async def test_the_check_picker_moves_with_the_cursor_and_enter_picks(tmp_path: Path) -> None:
    app, out = replay_app(tmp_path, ["pixel-7.yaml"])
    async with app.run_test(size=(120, 40)) as pilot:
        await _done_phone_view(pilot, out)
        await pilot.press("c")
        names = app.screen.names
        assert app.screen.query_one(OptionList).highlighted == 0
        await pilot.press("down", "enter")
        assert isinstance(app.screen, Confirm)
        assert f"Re-run {names[1]} on slot 1" in app.screen.question


async def test_backing_out_of_the_picker_or_the_confirmation_runs_nothing(tmp_path: Path) -> None:
    app, out = replay_app(tmp_path, ["pixel-7.yaml"])
    async with app.run_test(size=(120, 40)) as pilot:
        await _done_phone_view(pilot, out)
        await pilot.press("c", "escape")
        assert isinstance(app.screen, PhoneView)
        await pilot.press("c", "1")
        assert isinstance(app.screen, Confirm)
        await pilot.press("n")
        await pilot.pause(0.3)
        assert isinstance(app.screen, PhoneView)
        assert app.model.slots[1].state == "done" and app.operator.waiting == 0
        assert len(list(out.glob("*.dsse.json"))) == 1


async def test_a_phone_whose_session_failed_has_no_check_to_rerun_but_can_run_again() -> None:
    phone = PhoneRef("R58N90ABCDE", "android", 1)
    app = scripted_app([PhoneSeen(1, phone, "checking"), SlotEvent(1, SessionStarted("s", phone, "adb:x", ("identity",))),
                        SlotEvent(1, SessionFailed("s", "adb: the phone stopped answering"))])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: 1 in app.model.slots and app.model.slots[1].state == "error", "the failed session")
        await pilot.press("enter", "c")
        assert isinstance(app.screen, PhoneView)
        await pilot.press("r")
        assert isinstance(app.screen, Confirm)
