"""What the technician sees, pinned as snapshots (baselines in __snapshots__; regenerate with
``--snapshot-update`` and look at them before keeping them). Events are recorded once from
real sessions with report ids, keys and paths fixed, so every run draws the same screen."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from textual.containers import VerticalScroll

from tests.tui.conftest import mixed_bench, scripted_app, simulated_ports_bench, wait_for


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
    """Ten cards at 120x40, four a row, each with its USB port in the top border (slot 1's by its
    configured name, 'left 1'; slot 8 has none) and a reason of up to two lines: grade B (all checks pass), grade F
    (the failing storage check), needs you (what to answer), waiting for Trust and USB debugging not
    allowed (what to do), incomplete and error (why), unplugged, review (no cosmetic grade answered);
    the header counts 1 needs you apart from 1 checking; the footer shows p, a, l, ? and q."""
    app = scripted_app(bench_events)
    assert snap_compare(app, terminal_size=(120, 40), run_before=_settled(app))


def test_bench_in_an_80x24_terminal(snap_compare: Any, bench_events: list[Any]) -> None:
    """At 80x24 the whole header fits, the cards fall into three columns of the full width and the
    bench scrolls; a long reason wraps onto the card's second reason line and ends in …; the
    unidentified phones are named by port (5, 6) or 'not identified' (8); the log pane and the
    footer with its keys stay."""
    app = scripted_app(bench_events)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_settled(app))


def test_phone_view_of_a_graded_phone(snap_compare: Any, bench_events: list[Any]) -> None:
    """Slot 1 (Pixel 7) opened and scrolled to the end: screen and storage figures with units
    and sources, verdicts and reasons, grade B and why, report id, keyid, path, and 'upload: no backend
    configured'; the footer offers re-running one check, exporting and answering."""
    app = scripted_app(bench_events)
    settle = _settled(app, ("enter",))

    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        app.screen.query_one(VerticalScroll).scroll_end(animate=False, immediate=True)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 50), run_before=run_before)


def test_phone_view_in_an_80x24_terminal(snap_compare: Any, bench_events: list[Any]) -> None:
    """Slot 1 (Pixel 7) opened at 80x24: its identity and first figures, and a footer whose keys
    (back, re-run, one check, export, label, log, answer, keys) all fit; the port line names
    the port 'left 1 (1-1.1)' and the state line says why: 'done · B — all checks pass'."""
    app = scripted_app(bench_events)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_settled(app, ("enter",)))


def test_cards_with_simulated_ports_in_an_80x24_terminal(snap_compare: Any, tmp_path: Any) -> None:
    """Ports named sim-1.2 to sim-1.4 stay whole in the titles ("4 · And · sim-1.4": the
    platform shortened instead), and slot 4 reads "incomplete · unplugged" to the end."""
    app = scripted_app(asyncio.run(simulated_ports_bench(tmp_path / "out")))

    async def run_before(pilot: Any) -> None:
        await wait_for(pilot, lambda: len(app.model.slots) == 3 and app.model.slots[4].unplugged, "the three cards")

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
