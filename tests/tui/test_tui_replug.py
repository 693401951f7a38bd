"""A phone unplugged while its form is open, and plugged in again: the form closes with a
note, nothing typed in it is saved, the card says why the phone has no grade, and the phone
back brings a fresh form on ``a``. A card keeps "done · B · unplugged" until another phone takes the
slot. Through the real supervisor, engine and store, over recorded phones."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from agent.fixtures.format import load_fixture
from agent.tui.widgets.bench_card import BenchCard
from agent.tui.widgets.key_map import KeyMap
from agent.tui.widgets.question_form import QuestionForm
from tests.tui.conftest import fixture_path, replay_app, wait_for

pytestmark = pytest.mark.anyio
PIXEL = "2B151FDH2000AB"


def _reports(out: Path) -> list[dict[str, Any]]:
    envelopes = [json.loads(p.read_text()) for p in out.glob("*.dsse.json")]
    reports = [json.loads(base64.b64decode(e["payload"])) for e in envelopes]
    return sorted(reports, key=lambda r: r["started_at"])


def _card(app: Any, slot: int) -> tuple[str, str, str]:
    card = app.query_one(f"#slot-{slot}", BenchCard)
    return tuple(str(label.render()) for label in (card.name_label, card.status_label, card.reason_label))  # type: ignore[return-value]


def _form(app: Any) -> bool:
    return isinstance(app.screen, QuestionForm)


async def test_unplugged_with_its_form_open_the_form_is_withdrawn_and_plugged_in_again_it_comes_fresh(
    tmp_path: Path,
) -> None:
    app, out = replay_app(tmp_path, ["pixel-7.yaml"])
    source = app.supervisor.sources[0]
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: _form(app), "the phone's form")
        stale = app.screen.pending
        await pilot.press("1", "c")  # ticked and picked, never saved
        app.bench.call(source.unplug, PIXEL)
        await wait_for(pilot, lambda: stale.withdrawn and app.model.slots[1].state == "incomplete", "the form withdrawn")
        await wait_for(pilot, lambda: "withdrawn" in str(app.screen.query_one(".title").render()), "the form saying so")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not _form(app), "the bench")
        assert app.operator.waiting == 0
        assert _card(app, 1) == ("Pixel 7", "incomplete · unplugged", "phone unplugged before its questions were answered")
        assert "questions withdrawn: the phone was unplugged" in app.model.slots[1].log
        app.bench.call(source.plug, PIXEL)
        await wait_for(pilot, lambda: app.operator.waiting == 1, "the phone back, asking again")
        assert not _form(app)  # after a withdrawn form the next one opens on a only
        await pilot.press("a")
        await wait_for(pilot, lambda: _form(app) and app.screen.pending is not stale, "a fresh form")
        assert app.screen.answers() == {"screen.visual": [], "notes": ""}  # nothing carried from the stale one
        assert _card(app, 1)[1:] == ("needs you", "answer: screen, grade")
        await pilot.press("b", "enter")
        await wait_for(pilot, lambda: app.model.slots[1].state == "done", "the new report")
        assert _card(app, 1)[1] == "done · B"
    first, second = _reports(out)
    assert first["grade"] is None and first["answers"] == {} and first["session"]["complete"] is False
    assert second["grade"]["value"] == "B" and second["session"]["slot"] == 1


async def test_a_form_withdrawn_under_another_screen_says_so_when_that_screen_closes(tmp_path: Path) -> None:
    app, _ = replay_app(tmp_path, ["pixel-7.yaml"])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: _form(app), "the phone's form")
        await app.push_screen(KeyMap())  # any screen over the form (the form itself passes no key up)
        await wait_for(pilot, lambda: isinstance(app.screen, KeyMap), "the key map over the form")
        app.bench.call(app.supervisor.sources[0].unplug, PIXEL)
        await wait_for(pilot, lambda: app.model.slots[1].state == "incomplete", "the withdrawn session's report")
        assert isinstance(app.screen, KeyMap)  # the technician's screen is not pulled away
        await pilot.press("escape")
        await wait_for(pilot, lambda: _form(app) and app.screen.withdrawn, "the form, saying it was withdrawn")
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(app.screen_stack) == 1, "the bench")
        assert app.asking is None and app.operator.waiting == 0


async def test_a_finished_phone_s_card_keeps_its_grade_after_unplug_until_another_phone_takes_the_slot(
    tmp_path: Path,
) -> None:
    app, _ = replay_app(tmp_path, ["pixel-7.yaml"])
    source = app.supervisor.sources[0]
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: _form(app), "the phone's form")
        await pilot.press("b", "enter")
        await wait_for(pilot, lambda: app.model.slots[1].state == "done", "the report")
        app.bench.call(source.unplug, PIXEL)
        await wait_for(pilot, lambda: not app.supervisor.phones, "the slot given up (after rejoin_s)")
        assert _card(app, 1) == ("Pixel 7", "done · B · unplugged", "all checks pass")
        other = load_fixture(fixture_path("iphone-13.yaml"))
        source.fixtures[other.device_id] = other
        app.bench.call(source.plug, other.device_id)
        await wait_for(pilot, lambda: _form(app), "the next phone's form")
        assert app.screen.pending.phone.slot == 1
        name, status, _ = _card(app, 1)
        assert name == "iPhone 13" and status == "needs you"
