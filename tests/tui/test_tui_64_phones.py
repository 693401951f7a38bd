"""A bench of 64 phones on screen: every card laid out, the grid scrolls to the focused card
at 80x24 and 120x40, and 64 replayed phones run to their reports through the real stack."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agent.delivery.ledger import SideRecord
from agent.discovery.replay import ReplaySource
from agent.fixtures.format import load_fixture
from agent.session.events import PhoneRef, PhoneSeen
from agent.session.station import open_station
from agent.session.supervisor import Supervisor
from agent.simulator.copies import copies
from agent.tui.app import BenchApp
from agent.tui.question_queue import TuiOperator
from agent.tui.widgets.bench_card import BenchCard
from agent.tui.widgets.question_form import QuestionForm
from tests.tui.conftest import ANSWERS, FIXTURES, answer, scripted_app, wait_for

pytestmark = pytest.mark.anyio

PHONES = 64


def _shown(app: Any, card: BenchCard) -> bool:
    """The whole card is inside the part of the grid on screen."""
    grid = app.grid.region
    return grid.contains_region(card.region) if card.region.area else False


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_64_cards_are_laid_out_and_the_focused_one_is_scrolled_into_view(size: tuple[int, int]) -> None:
    events = [PhoneSeen(i, PhoneRef(f"SER{i:04d}", "android", i), "unauthorized", "Allow USB debugging")
              for i in range(1, PHONES + 1)]
    app = scripted_app(list(events))
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: len(app.grid.cards) == PHONES, "64 cards")
        assert [c.slot for c in app.grid.cards] == list(range(1, PHONES + 1))
        first = app.grid.cards[0]
        assert app.focused is first and _shown(app, first)
        assert not _shown(app, app.grid.cards[-1])  # 64 cards do not fit: the grid scrolls
        await pilot.press("6", "4")
        last = app.grid.cards[-1]
        await wait_for(pilot, lambda: app.focused is last and _shown(app, last), "the last card, scrolled to")
        await pilot.press("down")  # nothing below the last row: focus stays
        assert app.focused is last
        await pilot.pause(1.0)  # a digit after a pause starts a new slot number
        await pilot.press("1")
        await wait_for(pilot, lambda: app.focused is first and _shown(app, first), "the first card, scrolled back to")


async def test_64_replayed_phones_each_get_a_report_through_the_bench_thread(tmp_path: Path) -> None:
    """The real supervisor, engine, signing and record on the bench's own thread; the
    technician answers each phone's form as it comes."""
    files = sorted([*FIXTURES.glob("android/*.yaml"), *FIXTURES.glob("ios/*.yaml")])
    operator = TuiOperator()
    bench = open_station("default", record=SideRecord(tmp_path / "out"), operator=operator)
    source = ReplaySource(copies([load_fixture(f) for f in files], PHONES))
    app = BenchApp(Supervisor(bench, [source], source.open_link), operator, "default")
    assert app.own_thread

    def finished() -> int:
        return sum(v.state in ("done", "incomplete", "error") for v in app.model.slots.values())

    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(3000):  # the limit only stops a hung test
            if finished() == PHONES:
                break
            if isinstance(app.screen, QuestionForm) and app.screen.is_mounted:
                answer(app.screen, ANSWERS)
            await pilot.pause(0.02)
        await wait_for(pilot, lambda: finished() == PHONES, "every phone's report")
        assert len(app.grid.cards) == PHONES
        assert operator.waiting == 0
        assert app.bench.running
    assert not app.bench.running  # quitting stopped the bench and its thread
    assert len(list((tmp_path / "out").glob("*.dsse.json"))) == PHONES
