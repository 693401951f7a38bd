"""Guards a tester asked for: keys meant for a form whose phone left never answer another
phone; the quit keys all ask first; a screen takes the tick's updates before it is composed.
Through the real supervisor, engine and store, over recorded phones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agent.erasure.job import EraseOptions
from agent.erasure.shift import ShiftStore
from agent.tui.erase_flow import EraseRun
from agent.tui.widgets.confirm import QuitConfirm
from agent.tui.widgets.erase_dialog import EraseDialog
from agent.tui.widgets.phone_view import PhoneView
from agent.tui.widgets.question_form import QuestionForm
from tests.tui.conftest import replay_app, wait_for

pytestmark = pytest.mark.anyio
PHONES = ["pixel-7.yaml", "iphone-13.yaml", "galaxy-s23.yaml"]


def _form(app: Any) -> bool:
    return isinstance(app.screen, QuestionForm)


async def test_keys_typed_after_a_form_is_withdrawn_do_not_answer_the_next_phone(tmp_path: Path) -> None:
    """The form's phone is unplugged just before the technician's "c", "a" and Enter: the form
    says it was withdrawn and takes none of them (nothing answered, no other phone's form
    opened by the "a", no phone view by the Enter); Esc closes it, then ``a`` opens the next
    phone's form."""
    app, out = replay_app(tmp_path, PHONES)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: _form(app), "the first phone's form")
        first = app.screen.pending
        await wait_for(pilot, lambda: app.operator.waiting == 3, "three phones to ask")
        assert app.screen.pending is first  # the others wait: no form over the one being typed in
        await pilot.press("1")
        slot = first.phone.slot
        app.bench.call(app.supervisor.sources[0].unplug, app.model.slots[slot].device_id)
        await wait_for(pilot, lambda: first.withdrawn and app.model.slots[slot].state == "incomplete",
                       "the form withdrawn")
        await wait_for(pilot, lambda: "withdrawn" in str(app.screen.query_one(".title").render()), "the notice")
        await pilot.press("c", "a", "enter")  # meant for the withdrawn form
        await wait_for(pilot, lambda: not app.bench.pending, "the keys taken")
        assert _form(app) and app.screen.pending is first and len(app.screen_stack) == 2 and app.operator.waiting == 2
        assert not [line for v in app.model.slots.values() for line in v.log if "answers saved" in line]
        assert not list(out.glob("*.dsse.json"))[1:]  # the withdrawn phone's incomplete report only
        assert "questions withdrawn: the phone was unplugged" in app.model.slots[slot].log
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(app.screen_stack) == 1, "the bench")
        await pilot.press("a")
        await wait_for(pilot, lambda: _form(app), "the next phone's form, asked for")
        assert app.screen.pending.phone.slot != slot


async def test_ctrl_q_and_ctrl_c_ask_like_q_and_a_second_quit_key_quits(tmp_path: Path) -> None:
    app, _ = replay_app(tmp_path, ["pixel-7.yaml"])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: _form(app), "the phone's form")
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(app.screen_stack) == 1, "the bench")
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: isinstance(app.screen, QuitConfirm), "the quit question")
        assert "1 phone is not finished" in app.screen.question
        await pilot.press("n")
        await wait_for(pilot, lambda: len(app.screen_stack) == 1, "the bench again")
        assert not app._exit
        await pilot.press("ctrl+c")
        await wait_for(pilot, lambda: isinstance(app.screen, QuitConfirm), "the quit question again")
        assert not app._exit
        await pilot.press("ctrl+q")  # asked already: quit now
        assert app._exit


async def test_screens_the_tick_updates_take_updates_before_they_are_composed(tmp_path: Path) -> None:
    """The tick may reach a screen pushed but not yet composed (80x24, many phones at start)."""
    app, _ = replay_app(tmp_path, ["pixel-7.yaml"])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: _form(app), "the phone's form")
        pending, view = app.screen.pending, app.model.slots[1]
        form = QuestionForm(pending, 1, app.saved)
        form.show_waiting(3)
        assert form.waiting == 3
        phone = PhoneView(view)
        phone.redraw(view)
        assert phone.view is view
        run = EraseRun(1, "Pixel 7", None, EraseOptions(), None, ShiftStore(8))  # type: ignore[arg-type]
        EraseDialog(run).redraw()
        assert run.changed  # not drawn yet: its mount draws it
