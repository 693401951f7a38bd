"""What the phone view's actions look like, pinned as snapshots (see test_tui_snapshots.py for
how the scripted bench is made and how to regenerate)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.tui.conftest import mixed_bench, scripted_app, wait_for


@pytest.fixture(scope="module")
def bench_events(tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    return asyncio.run(mixed_bench(tmp_path_factory.mktemp("reports")))


def _pressed(app: Any, *keys: str) -> Any:
    async def run_before(pilot: Any) -> None:
        await wait_for(pilot, lambda: len(app.model.slots) == 10 and not app.model.unread_uploads(), "the scripted bench")
        await pilot.press(*keys)
        await pilot.pause()

    return run_before


def test_picking_one_check_to_rerun(snap_compare: Any, bench_events: list[Any]) -> None:
    """Slot 1 (Pixel 7), c pressed: battery, screen and storage numbered with outcome and verdict
    (identity is not offered), the report the others are carried over from, battery highlighted."""
    app = scripted_app(bench_events)
    assert snap_compare(app, terminal_size=(120, 40), run_before=_pressed(app, "enter", "c"))


def test_choosing_the_export_folder(snap_compare: Any, bench_events: list[Any]) -> None:
    """Slot 1 (Pixel 7), e pressed: the file name (the report id) and the folder field, filled
    with ~/phonebench-exports."""
    app = scripted_app(bench_events)
    assert snap_compare(app, terminal_size=(120, 40), run_before=_pressed(app, "enter", "e"))
