"""What the technician sees, pinned as snapshots (baselines in __snapshots__; regenerate with
``--snapshot-update`` and look at them before keeping them). Events are recorded once from
real sessions with report ids, keys and paths fixed, so every run draws the same screen."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from textual.containers import VerticalScroll

from agent.questions import SCREEN_VISUAL
from agent.session.events import PhoneRef
from tests.tui.conftest import mixed_bench, scripted_app, wait_for


@pytest.fixture(scope="module")
def bench_events(tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    return asyncio.run(mixed_bench(tmp_path_factory.mktemp("reports")))


def _settled(app: Any, press: tuple[str, ...] = ()) -> Any:
    async def run_before(pilot: Any) -> None:
        await wait_for(pilot, lambda: len(app.model.slots) == 10 and not app.model.unread_uploads(), "the scripted bench")
        if press:
            await pilot.press(*press)
            await pilot.pause()

    return run_before


def test_bench_shows_every_state(snap_compare: Any, bench_events: list[Any]) -> None:
    """Ten cards at 120x40, coloured by state: grade B, grade F, checking 2 of 4 with a bar,
    needs you, waiting for Trust, USB debugging not allowed, incomplete, error, unplugged, review;
    the header counts 1 checking and 1 needs you apart."""
    app = scripted_app(bench_events)
    assert snap_compare(app, terminal_size=(120, 40), run_before=_settled(app))


def test_bench_in_an_80x24_terminal(snap_compare: Any, bench_events: list[Any]) -> None:
    """At 80x24 the cards fall into two columns and the bench scrolls; the log pane stays."""
    app = scripted_app(bench_events)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_settled(app))


def test_phone_view_of_a_graded_phone(snap_compare: Any, bench_events: list[Any]) -> None:
    """Slot 1 (Pixel 7) opened and scrolled to the end: screen and storage figures with units
    and sources, verdicts and reasons, grade B and why, report id, keyid, path, and 'upload: no backend
    configured'; the footer offers re-running one check and exporting."""
    app = scripted_app(bench_events)
    settle = _settled(app, ("enter",))

    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        app.screen.query_one(VerticalScroll).scroll_end(animate=False, immediate=True)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 50), run_before=run_before)


def test_screen_question_for_an_android_phone(snap_compare: Any, bench_events: list[Any]) -> None:
    """The screen inspection question for slot 3 (Galaxy S23): the checklist, the note that the
    phone can show full-screen colours, and the help on what to look for."""
    app = scripted_app(bench_events)
    settle = _settled(app)

    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        asyncio.ensure_future(app.operator.ask(SCREEN_VISUAL, PhoneRef("R5CW1", "android", 3, "Galaxy S23")))
        await wait_for(pilot, lambda: app.asking is not None, "the question")

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)
