"""A phone's questions as one form, the key map, and the bench without colour, pinned as
snapshots (see test_tui_snapshots.py for how the scripted bench is made and how to regenerate).
Without colour (NO_COLOR, a monochrome terminal) ticks and picks must still read: [x] / [ ] and
(•) / ( )."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from agent.questions import ALL
from agent.session.events import PhoneRef
from tests.tui.conftest import mixed_bench, scripted_app, wait_for

GALAXY = PhoneRef("R5CW1", "android", 3, "Galaxy S23")


@pytest.fixture(scope="module")
def bench_events(tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    return asyncio.run(mixed_bench(tmp_path_factory.mktemp("reports")))


@pytest.fixture
def no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")  # read (and dropped from the environment) by the App


def _form(app: Any, *keys: str) -> Any:
    """The scripted bench, then slot 3's form (screen, grade, notes) with ``keys`` pressed."""
    async def run_before(pilot: Any) -> None:
        await wait_for(pilot, lambda: len(app.model.slots) == 10 and not app.model.unread_uploads(), "the scripted bench")
        asyncio.ensure_future(app.operator.ask_all(tuple(ALL.values()), GALAXY))
        await wait_for(pilot, lambda: app.asking is not None, "the form")
        await pilot.press(*keys)
        await pilot.pause()

    return run_before


def _bench(app: Any, *keys: str) -> Any:
    async def run_before(pilot: Any) -> None:
        await wait_for(pilot, lambda: len(app.model.slots) == 10 and not app.model.unread_uploads(), "the scripted bench")
        await pilot.press(*keys)
        await pilot.pause()

    return run_before


def test_form_for_an_android_phone(snap_compare: Any, bench_events: list[Any]) -> None:
    """Slot 3 (Galaxy S23) at 120x40: the screen checklist with the Android hint, defect 2 (lines)
    ticked [x], the cosmetic grade with its definitions and B picked (•), an empty notes field,
    and the keys line: 1–4 tick, A–D grade, Tab notes, Enter save, Esc later."""
    app = scripted_app(bench_events)
    assert snap_compare(app, terminal_size=(120, 40), run_before=_form(app, "2", "b"))


def test_form_in_an_80x24_terminal(snap_compare: Any, bench_events: list[Any]) -> None:
    """The same form at 80x24: every part fits, from the title to the keys line; long defect
    descriptions end in an ellipsis, grade definitions wrap under their own column."""
    app = scripted_app(bench_events)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_form(app, "2", "b"))


def test_form_without_colour(snap_compare: Any, bench_events: list[Any], no_color: None) -> None:
    """NO_COLOR at 80x24: defects 1 and 4 read [x], the others [ ]; grade C reads (•), the others
    ( ); the note "dent" typed in the notes field (focus back on the checklist, so no cursor blinks)."""
    app = scripted_app(bench_events)
    keys = ("1", "4", "c", "tab", *"dent", "shift+tab")
    assert snap_compare(app, terminal_size=(80, 24), run_before=_form(app, *keys))


def test_bench_without_colour(snap_compare: Any, bench_events: list[Any], no_color: None) -> None:
    """NO_COLOR at 80x24: the states read from the words on each card (done · B, needs you,
    waiting for Trust...) and the reason lines; the focused card has a heavy border."""
    app = scripted_app(bench_events)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_bench(app))


def test_bench_without_colour_at_120x40(snap_compare: Any, bench_events: list[Any], no_color: None) -> None:
    """NO_COLOR at 120x40: all ten cards, four a row, states and reasons in words."""
    app = scripted_app(bench_events)
    assert snap_compare(app, terminal_size=(120, 40), run_before=_bench(app))


def test_key_map(snap_compare: Any, bench_events: list[Any]) -> None:
    """? pressed at 80x24: the keys on the bench, in a phone's view and in a phone's questions;
    Esc closes it."""
    app = scripted_app(bench_events)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_bench(app, "question_mark"))


def test_quitting_with_phones_unfinished(snap_compare: Any, bench_events: list[Any]) -> None:
    """q pressed at 120x40 with 4 phones unfinished: a confirm saying how many, that what was
    measured and answered is kept and they resume at the next start; No is focused."""
    app = scripted_app(bench_events)
    assert snap_compare(app, terminal_size=(120, 40), run_before=_bench(app, "q"))
