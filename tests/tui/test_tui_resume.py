"""Quit with phones unfinished, start again: they are shown, resumed, answered and reported."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from agent.session.journal import Journal
from agent.tui.widgets.confirm import Confirm
from agent.tui.widgets.question_form import QuestionForm
from tests.tui.conftest import replay_app, wait_for

pytestmark = pytest.mark.anyio

PHONES = ["pixel-7.yaml", "iphone-13.yaml", "galaxy-s23.yaml", "moto-g7.yaml", "oneplus-12.yaml"]


def _reports(out: Path) -> list[dict]:
    envelopes = [json.loads(p.read_text()) for p in sorted(out.glob("*.dsse.json"))]
    return [json.loads(base64.b64decode(e["payload"])) for e in envelopes]


async def test_five_phones_quit_unfinished_are_shown_answered_and_reported_after_a_restart(tmp_path: Path) -> None:
    app, out = replay_app(tmp_path, PHONES)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.operator.waiting == 5, "all five phones to ask")
        await pilot.press("escape", "q")  # put the form away, then quit
        await wait_for(pilot, lambda: isinstance(app.screen, Confirm), "the quit question")
        assert isinstance(app.screen, Confirm)
        assert "5 phones are not finished" in app.screen.question and "resumes" in app.screen.question
        await pilot.press("y")
    assert not list(out.glob("*.dsse.json"))
    assert len(Journal(out / "journal.sqlite3").unfinished()) == 5

    app, out = replay_app(tmp_path, PHONES)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: len(app.model.slots) == 5, "the five phones")
        for view in app.model.slots.values():
            assert any("unfinished before the restart" in line for line in view.log), view.log
        for _ in PHONES:
            await wait_for(pilot, lambda: isinstance(app.screen, QuestionForm), "a phone's questions")
            await pilot.press("b", "enter")
        await wait_for(pilot, lambda: all(v.state == "done" for v in app.model.slots.values()), "five reports")
    reports = _reports(out)
    assert len(reports) == 5
    for report in reports:
        assert report["grade"] is not None and report["answers"]["cosmetic_grade"] == "B"
        battery = next(c for c in report["checks"] if c["name"] == "battery")
        assert battery["detail"].startswith("measured before the restart, at ")
    assert Journal(out / "journal.sqlite3").unfinished() == []
