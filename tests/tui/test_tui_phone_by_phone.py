"""The bench phone by phone: one form per phone, keys only; `a` answers the phone on screen;
notes never hold a phone back; cards that say what to do next; q and ?."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from agent.session.events import PhoneGone, PhoneRef, PhoneSeen
from agent.tui.widgets.bench_card import BenchCard
from agent.tui.widgets.confirm import Confirm
from agent.tui.widgets.key_map import KeyMap
from agent.tui.widgets.phone_view import PhoneView
from agent.tui.widgets.question_form import QuestionForm
from tests.tui.conftest import mixed_bench, recorded_session, replay_app, scripted_app, wait_for

pytestmark = pytest.mark.anyio


def _reports(out: Path) -> list[dict[str, Any]]:
    envelopes = [json.loads(p.read_text()) for p in sorted(out.glob("*.dsse.json"))]
    return [json.loads(base64.b64decode(e["payload"])) for e in envelopes]


def _card(app: Any, slot: int) -> tuple[str, str, str]:
    """The card's name and status lines, and its whole reason (as drawn, it may wrap)."""
    card = app.query_one(f"#slot-{slot}", BenchCard)
    return str(card.name_label.render()), str(card.status_label.render()), card.reason_label.text


async def test_one_pass_through_the_form_with_keys_only_answers_every_question(tmp_path: Path) -> None:
    app, out = replay_app(tmp_path, ["pixel-7.yaml"])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, QuestionForm), "the phone's form")
        assert [q.key for q in app.screen.pending.questions] == ["screen.visual", "cosmetic_grade", "notes"]
        await pilot.press("1", "3", "1", "c", "tab", *"chip", "enter")
        await wait_for(pilot, lambda: app.model.slots[1].state == "done", "the report")
    (report,) = _reports(out)
    assert report["answers"] == {"screen.visual": ["burn_in"], "cosmetic_grade": "C", "notes": "chip"}


async def test_enter_without_a_grade_warns_once_then_saves_it_as_cannot_tell(tmp_path: Path) -> None:
    app, out = replay_app(tmp_path, ["pixel-7.yaml"])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, QuestionForm), "the phone's form")
        await pilot.press("enter")
        assert isinstance(app.screen, QuestionForm)  # warned, still open
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.model.slots[1].state == "done", "the report")
    (report,) = _reports(out)
    assert "cosmetic_grade" not in report["answers"] and report["grade"]["value"] == "review"


async def test_a_in_a_phone_s_view_answers_that_phone_not_the_oldest(tmp_path: Path) -> None:
    app, _ = replay_app(tmp_path, ["pixel-7.yaml", "iphone-13.yaml"])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.operator.waiting == 2, "both phones to ask")
        oldest, newer = app.operator._queue
        await pilot.press("escape")  # later: the oldest phone's form goes away
        await wait_for(pilot, lambda: not isinstance(app.screen, QuestionForm), "the bench")
        await pilot.press(str(newer.phone.slot), "enter")
        assert isinstance(app.screen, PhoneView) and app.screen.view.slot == newer.phone.slot
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, QuestionForm), "the form")
        assert app.screen.pending is newer
        await pilot.press("a", "enter")
        await wait_for(pilot, lambda: app.model.slots[newer.phone.slot].state == "done", "that phone's report")
        assert app.model.slots[oldest.phone.slot].status() == "needs you"
        assert isinstance(app.screen, PhoneView)  # the oldest phone's form does not jump over this phone


async def test_notes_left_empty_never_hold_a_phone_back_and_stay_an_empty_note(tmp_path: Path) -> None:
    app, out = replay_app(tmp_path, ["pixel-7.yaml"])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, QuestionForm), "the phone's form")
        # the card asks for what is needed, not for notes (the bench under a form is drawn on a tick of its own)
        await wait_for(pilot, lambda: _card(app, 1)[2] == "answer: screen, grade", "the card to ask for screen and grade")
        await pilot.press("b", "enter")
        await wait_for(pilot, lambda: app.model.slots[1].state == "done", "the report")
        assert _card(app, 1)[1] == "done · B"
        assert app.operator.waiting == 0
        assert not any("cannot tell" in line for line in app.model.slots[1].log)
    (report,) = _reports(out)
    assert report["answers"]["notes"] == ""


async def test_an_unplugged_phone_keeps_its_result_until_another_phone_takes_the_slot(tmp_path: Path) -> None:
    events = await recorded_session("pixel-7.yaml", 1, tmp_path)
    app = scripted_app([*events, PhoneGone(1, "2B151FDH2000AB")])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.model.slots.get(1) is not None and app.model.slots[1].unplugged, "the unplug")
        assert _card(app, 1) == ("Pixel 7", "done · B · unplugged", "all checks pass")
        app.model.apply(PhoneSeen(1, PhoneRef("127.0.0.1:42955", "android", 1), "unauthorized",
                                  "Allow USB debugging on the phone", port="1-1.3"))
        await wait_for(pilot, lambda: not app.model.slots[1].unplugged, "the next phone")
        assert _card(app, 1) == ("Android at port 1-1.3", "USB debugging not allowed", "Allow USB debugging on the phone")


async def test_every_card_says_why_in_one_line(tmp_path: Path) -> None:
    app = scripted_app(await mixed_bench(tmp_path))
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: len(app.model.slots) == 10, "the scripted bench")
        reasons = {slot: _card(app, slot)[2] for slot in app.model.slots}
    assert reasons[1] == "all checks pass"  # grade B
    assert reasons[2].startswith("storage: ")  # grade F: the failing check
    assert reasons[4].startswith("answer: screen")  # needs you: what to answer
    assert reasons[5] == "Tap Trust on the phone and enter its passcode"
    assert "disconnect" in reasons[7]  # incomplete: why
    assert reasons[8].startswith("adb: the phone stopped answering")  # error
    assert reasons[10] == "no cosmetic grade answered"  # for review: what is missing


async def test_a_phone_that_cannot_be_identified_shows_its_port_not_a_transport_address() -> None:
    app = scripted_app([PhoneSeen(1, PhoneRef("127.0.0.1:42955", "android", 1), "unauthorized", port="1-1.3"),
                        PhoneSeen(2, PhoneRef("0123456789ABCDEF", "android", 2), "offline")])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: len(app.model.slots) == 2, "two cards")
        assert _card(app, 1)[:2] == ("Android at port 1-1.3", "USB debugging not allowed")
        assert _card(app, 2)[:2] == ("Android · not identified", "offline to adb")


async def test_q_asks_first_while_phones_are_unfinished_and_names_how_many(tmp_path: Path) -> None:
    app = scripted_app(await mixed_bench(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: len(app.model.slots) == 10, "the scripted bench")
        await pilot.press("q")
        assert isinstance(app.screen, Confirm)
        assert app.screen.question.startswith("Quit? 4 phones are not finished")  # checking, needs you, 2 waiting
        await pilot.press("n")
        assert not isinstance(app.screen, Confirm) and app.is_running


async def test_q_on_a_finished_bench_quits_at_once(tmp_path: Path) -> None:
    app = scripted_app(await recorded_session("pixel-7.yaml", 1, tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.model.slots.get(1) is not None and app.model.slots[1].state == "done", "done")
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


async def test_question_mark_shows_the_keys_and_escape_closes_them() -> None:
    app = scripted_app([])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, KeyMap)
        await pilot.press("escape")
        assert not isinstance(app.screen, KeyMap)
