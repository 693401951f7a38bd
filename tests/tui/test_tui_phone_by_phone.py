"""The bench phone by phone: one form per phone, keys only; `a` answers the phone on screen;
notes never hold a phone back; cards that say what to do next; q and ?."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import TextArea

from agent.session.events import PhoneGone, PhoneRef, PhoneSeen
from agent.tui.widgets import question_form
from agent.tui.widgets.bench_card import BenchCard
from agent.tui.widgets.confirm import Confirm
from agent.tui.widgets.key_bar import KeyBar
from agent.tui.widgets.key_map import KeyMap
from agent.tui.widgets.phone_view import PhoneView
from agent.tui.widgets.question_form import REACT_S, QuestionForm
from agent.tui.widgets.text_view import TextView
from tests.tui.conftest import burst, mixed_bench, recorded_session, replay_app, scripted_app, wait_for

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


async def test_the_next_phone_s_questions_come_in_the_same_form_fresh(tmp_path: Path) -> None:
    """Saving one phone with another waiting loads that phone into the form on screen (no
    screen switch between phones), with nothing ticked, picked or typed from the one before."""
    app, out = replay_app(tmp_path, ["pixel-7.yaml", "iphone-13.yaml"])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.operator.waiting == 2, "both phones to ask")
        form = app.screen
        assert isinstance(form, QuestionForm)
        first, second = form.pending, app.operator._queue[1]
        await pilot.press("1", "b", "tab", *"dent", "enter")
        await wait_for(pilot, lambda: form.pending is second, "the second phone in the form")
        assert app.screen is form and app.asking is second
        assert form.answers() == {"screen.visual": [], "notes": ""}
        assert str(form.query_one(".title").render()).startswith(f"Slot {second.phone.slot} · {second.phone.model}")
        await pilot.press("2", "a", "enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, QuestionForm), "the form closed: nothing left")
        await wait_for(pilot, lambda: all(v.state == "done" for v in app.model.slots.values()), "both reports")
    answers = {r["device"]["marketing_name"]: r["answers"] for r in _reports(out)}
    one, two = answers[first.phone.model], answers[second.phone.model]
    assert (one["cosmetic_grade"], one["notes"], len(one["screen.visual"])) == ("B", "dent", 1)
    assert (two["cosmetic_grade"], two["notes"], len(two["screen.visual"])) == ("A", "", 1)
    assert one["screen.visual"] != two["screen.visual"]  # 1 ticked the first choice, 2 the second


async def test_keys_typed_in_a_burst_count_in_order_and_only_for_the_phone_on_screen(tmp_path: Path) -> None:
    """Typed faster than the screen: ticks, the grade, Tab and notes land in the first phone as
    typed (Tab moves to the notes before the letters after it), Enter saves exactly that, and
    what was typed before the second phone was on screen (2, c, two more Enters) is dropped: the
    second phone is not saved unseen, nor does the first one take those keys."""
    app, out = replay_app(tmp_path, ["pixel-7.yaml", "iphone-13.yaml"])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.operator.waiting == 2 and isinstance(app.screen, QuestionForm), "two forms")
        form = app.screen
        first, second = form.pending, app.operator._queue[1]
        burst(app, ["1", "b", "tab", "o", "k", "enter", "2", "c", "enter", "enter"])
        await wait_for(pilot, lambda: app.model.slots[first.phone.slot].state == "done", "the first report")
        await pilot.pause(0.3)
        assert form.pending is second and app.screen is form and form.answers() == {"screen.visual": [], "notes": ""}
        assert app.model.slots[second.phone.slot].status() == "needs you"
    (report,) = _reports(out)
    assert report["answers"] == {"screen.visual": ["dead_pixels"], "cosmetic_grade": "B", "notes": "ok"}


async def test_a_burst_into_the_notes_keeps_every_key_and_tab_back_keeps_the_note(tmp_path: Path) -> None:
    """Letters, Backspace and arrows typed in the same burst as the Tab that moves to the notes
    all count there; Tab out and back in keeps the note (no select-all for the next key to wipe)."""
    app, _ = replay_app(tmp_path, ["pixel-7.yaml"])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, QuestionForm), "the form")
        form = app.screen
        burst(app, ["tab", "x", "y", "z", "backspace", "left", "w"])
        await wait_for(pilot, lambda: form.texts[0].value == "xwy", "the note as typed")
        burst(app, ["shift+tab", "tab", "end", "a"])
        await wait_for(pilot, lambda: form.texts[0].value == "xwya", "the note kept, one letter more")


async def test_enter_then_a_in_a_burst_opens_the_phone_and_nothing_over_it(tmp_path: Path) -> None:
    """Enter opens the picked phone at once; the ``a`` typed with it, before the phone view was
    up, does not open another phone's questions under or over it."""
    app, _ = replay_app(tmp_path, ["pixel-7.yaml", "iphone-13.yaml"])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.operator.waiting == 2 and isinstance(app.screen, QuestionForm), "two forms")
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(app.screen_stack) == 1, "the bench")
        burst(app, ["enter", "a"])
        await wait_for(pilot, lambda: isinstance(app.screen, PhoneView), "the phone view")
        await pilot.pause(0.3)
        assert [type(s) for s in app.screen_stack][1:] == [PhoneView]


async def test_q_then_enter_in_a_burst_does_not_quit(tmp_path: Path) -> None:
    """The Enter was typed before the quit question came up: it does not answer it (and the
    question's No has the focus)."""
    app, _ = replay_app(tmp_path, ["pixel-7.yaml"])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, QuestionForm), "the form")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, QuestionForm), "the bench")
        burst(app, ["q", "enter"])
        await wait_for(pilot, lambda: isinstance(app.screen, Confirm), "the quit question")
        await pilot.pause(0.3)
        assert app.is_running and isinstance(app.screen, Confirm) and app.screen.focused.id == "no"
        await pilot.press("enter")  # typed with the question on screen: No
        assert app.is_running and not isinstance(app.screen, Confirm)


async def test_enter_without_a_grade_warns_once_then_saves_it_as_cannot_tell(tmp_path: Path) -> None:
    app, out = replay_app(tmp_path, ["pixel-7.yaml"])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, QuestionForm), "the phone's form")
        form = app.screen
        await pilot.press("tab", "o", "k", "enter")
        assert isinstance(app.screen, QuestionForm) and form.unpicked_warned  # warned, still open
        await pilot.press("enter")  # faster than anyone reads the warning: not the second Enter yet
        assert isinstance(app.screen, QuestionForm) and app.model.slots[1].state != "done"
        await pilot.pause(REACT_S)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.model.slots[1].state == "done", "the report")
    (report,) = _reports(out)
    assert "cosmetic_grade" not in report["answers"] and report["grade"]["value"] == "review"


async def test_enter_on_questions_just_up_and_untouched_waits_until_they_could_be_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A phone with nothing picked or ticked on its form: an Enter in the first REACT_S does
    not save it; an Enter after that does (as "no defect seen" and the warning for the grade)."""
    app, out = replay_app(tmp_path, ["pixel-7.yaml"])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, QuestionForm), "the phone's form")
        form = app.screen
        monkeypatch.setattr(question_form, "REACT_S", 3600.0)  # as if it had just come up, however slow this machine
        await pilot.press("enter")
        assert not form.unpicked_warned and app.model.slots[1].state != "done"
        monkeypatch.setattr(question_form, "REACT_S", 0.0)  # it has been up long enough
        await pilot.press("enter")
        assert form.unpicked_warned


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
        await pilot.press("q")
        assert isinstance(app.screen, Confirm)
        await pilot.press("q")  # a quit key again means it
        await pilot.pause()
        assert not app.is_running


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


async def test_the_key_bar_follows_the_focus_without_mounting_and_a_click_presses_a_key(tmp_path: Path) -> None:
    """The bottom line lists the keys that work where the focus is (a card's Enter and p, the
    bench's a, l, ? and q); moving across cards redraws it at most, never mounts widgets; a
    click on "Keys" opens the key map as ? does."""
    app = scripted_app(await mixed_bench(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: len(app.grid.cards) == 10, "the cards")
        bar = app.query_one(KeyBar)
        assert [description for _, _, description in bar.keys] == ["Open", "Label", "Answer", "Log pane", "Keys", "Quit"]
        widgets = len(list(app.screen.walk_children()))
        await pilot.press("right", "right", "down")
        assert len(list(app.screen.walk_children())) == widgets
        text = bar.render().plain
        x = text.index("Keys")
        await pilot.click(KeyBar, offset=(x, 0))
        await wait_for(pilot, lambda: isinstance(app.screen, KeyMap), "the key map")


async def test_the_log_pane_shows_the_newest_lines_that_fit_and_keeps_a_thousand() -> None:
    app = scripted_app([])
    async with app.run_test(size=(80, 24)) as pilot:
        app.event_log.add([f"line {n}" for n in range(1, 1201)])
        await pilot.pause()
        assert len(app.event_log.lines) == 1000 and app.event_log.lines[0] == "line 201"
        assert app.event_log.render().plain.splitlines() == ["line 1197", "line 1198", "line 1199", "line 1200"]
        await pilot.press("L")  # the whole log, read-only, for what scrolled out of the pane
        assert isinstance(app.screen, TextView)
        text = app.screen.query_one(TextArea).text.splitlines()
        assert text[0] == "line 201" and text[-1] == "line 1200" and len(text) == 1000
