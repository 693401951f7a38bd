"""Where each report is on its way to the backend, in the phone view and on the card."""

from __future__ import annotations

import asyncio
import io
import threading
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.widgets import Static

from agent import paths
from agent.config import StationConfig
from agent.delivery.outbox import Outbox
from agent.errors import ConfigError
from agent.session.events import ReportSaved, SlotEvent
from agent.tui.app import BenchApp
from agent.tui.question_queue import TuiOperator
from agent.tui.uploads import UploadReader, UploadState
from agent.tui.widgets.bench_card import BenchCard
from tests.tui.conftest import ScriptedSupervisor, recorded_session, scripted_app, wait_for

pytestmark = pytest.mark.anyio

BACKEND = "http://127.0.0.1:9"
REASON = "422: schema says [red]no"


@pytest.fixture(scope="module")
def three_phones(tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    """Three graded phones (slots 1-3), report ids ...0001 to ...0003."""
    out = tmp_path_factory.mktemp("reports")

    async def record() -> list[Any]:
        return [e for slot, name in enumerate(("pixel-7.yaml", "galaxy-s23.yaml", "oneplus-12.yaml"), 1)
                for e in await recorded_session(name, slot, out)]

    return asyncio.run(record())


def _saved(events: list[Any]) -> dict[int, ReportSaved]:
    return {e.slot: e.event for e in events if isinstance(e, SlotEvent) and isinstance(e.event, ReportSaved)}


def _outbox(path: Path, events: list[Any], slots: tuple[int, ...] = (1, 2, 3)) -> Outbox:
    """Slot 1 delivered, slot 2 pending after one failed try, slot 3 rejected (only ``slots`` queued)."""
    outbox, saved = Outbox(path), _saved(events)
    for slot in slots:
        outbox.add_envelope(saved[slot].envelope, saved[slot].report)
    rid = {slot: saved[slot].report["report_id"] for slot in saved}
    if 1 in slots:
        outbox.mark_delivered(rid[1])
    if 2 in slots:
        outbox.mark_failed(rid[2], "cannot reach the backend: connection refused", 0.0)
    if 3 in slots:
        outbox.mark_rejected(rid[3], REASON)
    return outbox


def _app(events: list[Any], outbox_path: Path) -> BenchApp:
    config = StationConfig(path=outbox_path.with_name("station.yaml"), backend_url=BACKEND)
    reader = UploadReader(outbox=lambda: Outbox(outbox_path), config=lambda: config)
    return BenchApp(ScriptedSupervisor(events), TuiOperator(), "default", uploads=reader)


async def _read(pilot: Any, slots: int = 3) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: len(app.model.slots) == slots and not app.model.unread_uploads(), "the outbox read")


def _cards(app: BenchApp) -> dict[int, BenchCard]:
    return {card.slot: card for card in app.query(BenchCard)}


async def _phone_view(pilot: Any, slot: int) -> str:
    """The text the phone view of ``slot`` holds, as plain lines."""
    pilot.app.grid.focus_slot(slot)
    await pilot.press("enter")
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(pilot.app.screen.query_one("#details", Static).content)
    return console.export_text()


async def test_the_phone_view_shows_delivered_pending_and_rejected_with_the_reason(tmp_path: Path, three_phones: list[Any]) -> None:
    _outbox(tmp_path / "outbox.sqlite3", three_phones).close()
    app = _app(three_phones, tmp_path / "outbox.sqlite3")
    async with app.run_test(size=(120, 40)) as pilot:
        await _read(pilot)
        assert "upload  delivered" in await _phone_view(pilot, 1)
        await pilot.press("escape")
        assert "upload  pending: 1 try, last: cannot reach the backend: connection refused" in await _phone_view(pilot, 2)
        await pilot.press("escape")
        assert f"upload  rejected by the backend: {REASON}" in await _phone_view(pilot, 3)


async def test_each_card_carries_a_small_upload_marker(tmp_path: Path, three_phones: list[Any]) -> None:
    _outbox(tmp_path / "outbox.sqlite3", three_phones).close()
    app = _app(three_phones, tmp_path / "outbox.sqlite3")
    async with app.run_test(size=(120, 40)) as pilot:
        await _read(pilot)
        cards = _cards(app)
        assert [cards[s].border_subtitle for s in (1, 2, 3)] == ["uploaded", "upload pending", "upload rejected"]
        assert "-upload-delivered" in cards[1].classes and "-upload-rejected" in cards[3].classes


async def test_a_report_delivered_later_shows_on_the_next_read(tmp_path: Path, three_phones: list[Any]) -> None:
    outbox = _outbox(tmp_path / "outbox.sqlite3", three_phones)
    app = _app(three_phones, tmp_path / "outbox.sqlite3")
    async with app.run_test(size=(120, 40)) as pilot:
        await _read(pilot)
        assert app.model.slots[2].upload == UploadState("pending", "cannot reach the backend: connection refused", 1)
        outbox.mark_delivered(_saved(three_phones)[2].report["report_id"])
        app.refresh_uploads()
        await wait_for(pilot, lambda: app.model.slots[2].upload.state == "delivered", "the delivery")
        assert _cards(app)[2].border_subtitle == "uploaded"
    outbox.close()


async def test_a_report_not_in_the_outbox_says_so(tmp_path: Path, three_phones: list[Any]) -> None:
    _outbox(tmp_path / "outbox.sqlite3", three_phones, slots=(1,)).close()
    app = _app(three_phones, tmp_path / "outbox.sqlite3")
    async with app.run_test(size=(120, 40)) as pilot:
        await _read(pilot)
        assert [app.model.slots[s].upload.line() for s in (1, 2)] == ["delivered", "not in the outbox"]
        assert _cards(app)[2].border_subtitle == ""


async def test_the_station_outbox_is_read_when_a_backend_is_set(monkeypatch: pytest.MonkeyPatch, three_phones: list[Any]) -> None:
    monkeypatch.setenv("PHONEBENCH_BACKEND_URL", BACKEND)
    _outbox(paths.outbox_path(), three_phones).close()  # under the test's own HOME
    app = scripted_app(three_phones)
    async with app.run_test(size=(120, 40)) as pilot:
        await _read(pilot)
        assert [app.model.slots[s].upload.state for s in (1, 2, 3)] == ["delivered", "pending", "rejected"]


async def test_without_a_backend_the_phone_view_says_so_and_cards_stay_plain(three_phones: list[Any]) -> None:
    app = scripted_app(three_phones)  # the test's HOME has no station config
    async with app.run_test(size=(120, 40)) as pilot:
        await _read(pilot)
        assert all(card.border_subtitle == "" for card in app.query(BenchCard))
        assert "upload  no backend configured" in await _phone_view(pilot, 1)


async def test_the_outbox_is_read_off_the_ui_thread(tmp_path: Path, three_phones: list[Any]) -> None:
    threads: list[threading.Thread] = []

    def open_outbox() -> Outbox:
        threads.append(threading.current_thread())
        return _outbox(tmp_path / "outbox.sqlite3", three_phones)

    config = StationConfig(path=tmp_path / "station.yaml", backend_url=BACKEND)
    reader = UploadReader(open_outbox, lambda: config)
    app = BenchApp(ScriptedSupervisor(three_phones), TuiOperator(), "default", reader)
    async with app.run_test(size=(120, 40)) as pilot:
        await _read(pilot)
    assert threads and threads[0] is not threading.main_thread()


def test_a_broken_station_config_is_one_unknown_line_per_report() -> None:
    def broken() -> StationConfig:
        raise ConfigError("station.yaml:3: backend.url: expected text")

    states = UploadReader(config=broken).read({"r1"})
    assert states["r1"].line() == "unknown: station.yaml:3: backend.url: expected text"
