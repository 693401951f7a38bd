"""Quit with phones unfinished, start again: they are shown, resumed, answered and reported."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from agent.delivery.ledger import SideRecord
from agent.discovery.replay import ReplaySource
from agent.fixtures.format import load_fixture
from agent.session.journal import Journal
from agent.session.station import open_station
from agent.session.supervisor import Supervisor
from agent.tui.app import BenchApp
from agent.tui.question_queue import TuiOperator
from agent.tui.render import phone_details
from agent.tui.widgets.confirm import Confirm
from agent.tui.widgets.question_form import QuestionForm
from tests.tui.conftest import fixture_path, replay_app, wait_for

pytestmark = pytest.mark.anyio

PHONES = ["pixel-7.yaml", "iphone-13.yaml", "galaxy-s23.yaml", "moto-g7.yaml", "oneplus-12.yaml"]


def _plain(renderable: Any) -> str:
    console = Console(width=300, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


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
    app.supervisor.bench.journal.shut()  # as the process's exit does: what is queued is committed
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


def _app(tmp_path: Path, names: list[str]) -> tuple[BenchApp, Path]:
    """``replay_app`` with a short settle time, so a phone not back is closed at once."""
    out = tmp_path / "out"
    operator = TuiOperator()
    bench = open_station("default", record=SideRecord(out), operator=operator)
    source = ReplaySource([load_fixture(fixture_path(n)) for n in names])
    supervisor = Supervisor(bench, [source], source.open_link, rejoin_s=0.2, retry_s=0.05, settle_s=0.3)
    return BenchApp(supervisor, operator, "default"), out


async def test_a_phone_not_back_after_a_restart_shows_as_an_incomplete_report(tmp_path: Path) -> None:
    app, out = _app(tmp_path, ["pixel-7.yaml", "iphone-13.yaml"])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.operator.waiting == 2, "both phones to ask")
        await pilot.press("escape", "q", "y")
    app, out = _app(tmp_path, ["iphone-13.yaml"])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, QuestionForm), "the iPhone's questions")
        await pilot.press("b", "enter")
        await wait_for(pilot, lambda: sorted(v.state for v in app.model.slots.values()) == ["done", "incomplete"],
                       "one report each")
        pixel = next(v for v in app.model.slots.values() if v.state == "incomplete")
        assert pixel.model == "Pixel 7" and pixel.status() == "incomplete · unplugged"
        assert pixel.reason().startswith("session cut off by a quit or a crash")
        header = _plain(phone_details(pixel)).splitlines()[1]  # no DeviceIdentified: the report's device block
        assert "serial 2B151FDH2000AB" in header and "maker Google" in header, header
    reports = _reports(out)
    assert len(reports) == 2 and sorted(r["session"]["complete"] for r in reports) == [False, True]
