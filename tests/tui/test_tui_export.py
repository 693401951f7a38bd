"""Exporting a phone's signed report from the phone view: the stored bytes, named by report id."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

from agent.delivery.ledger import SideRecord
from agent.discovery.replay import ReplaySource
from agent.errors import OutboxError
from agent.fixtures.format import load_fixture
from agent.session.station import open_station
from agent.session.supervisor import Supervisor
from agent.tui.app import BenchApp
from agent.tui.export import StoredEnvelope, export_envelope, file_name
from agent.tui.question_queue import TuiOperator
from agent.tui.widgets.export_dialog import ExportDialog
from agent.tui.widgets.phone_view import PhoneView
from agent.tui.widgets.question_form import QuestionForm
from tests.tui.conftest import fixture_path, replay_app, wait_for

pytestmark = pytest.mark.anyio

#: how the technician fills a phone's form: no defect, grade B, no note
KEYS = ("b", "enter")
HOSTILE = "../../x"


async def _graded(pilot: Any) -> None:
    """Answer the session's questions until its report is on screen, then open the phone."""
    app = pilot.app
    for _ in range(400):
        if 1 in app.model.slots and app.model.slots[1].state == "done":
            break
        if isinstance(app.screen, QuestionForm):
            await pilot.press(*KEYS)
        await pilot.pause(0.02)
    await wait_for(pilot, lambda: app.model.slots[1].report is not None, "the report")
    await pilot.press("enter")
    assert isinstance(app.screen, PhoneView)


async def _export_to(pilot: Any, folder: str) -> None:
    await pilot.press("e")
    assert isinstance(pilot.app.screen, ExportDialog)
    pilot.app.screen.query_one(Input).value = folder
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, PhoneView), "the dialog to close")


def _hostile_app(tmp_path: Path) -> BenchApp:
    """A Pixel 7 that calls itself ``../../x``, model and serial both."""
    text = fixture_path("pixel-7.yaml").read_text().replace("Pixel 7", HOSTILE).replace("2B151FDH2000AB", HOSTILE)
    (tmp_path / "fixture").mkdir()
    (path := tmp_path / "fixture" / "hostile.yaml").write_text(text)
    operator = TuiOperator()
    bench = open_station("default", record=SideRecord(tmp_path / "out"), operator=operator)
    source = ReplaySource([load_fixture(path)])
    return BenchApp(Supervisor(bench, [source], source.open_link, rejoin_s=0.2, retry_s=0.05), operator, "default")


async def test_export_writes_the_stored_envelope_byte_for_byte_named_by_report_id(tmp_path: Path) -> None:
    app, _ = replay_app(tmp_path, ["pixel-7.yaml"])
    async with app.run_test(size=(120, 40)) as pilot:
        await _graded(pilot)
        view = app.model.slots[1]
        await _export_to(pilot, str(tmp_path / "stick"))
        exported = tmp_path / "stick" / f"{view.report['report_id']}.dsse.json"
        assert exported.read_bytes() == Path(view.path).read_bytes()
        assert f"report exported to {exported}" in view.log


async def test_a_phone_named_dot_dot_slash_does_not_reach_the_exported_path(tmp_path: Path) -> None:
    app = _hostile_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await _graded(pilot)
        view = app.model.slots[1]
        assert view.device.get("model") == HOSTILE and view.device.get("serial") == HOSTILE
        await _export_to(pilot, str(tmp_path / "a" / "b" / "stick"))
    written = [p for p in (tmp_path / "a").rglob("*") if p.is_file()]  # ../../x from stick/ lands in a/
    assert written == [tmp_path / "a" / "b" / "stick" / f"{view.report['report_id']}.dsse.json"]


async def test_the_dialog_offers_the_default_folder_then_the_last_one_used(tmp_path: Path) -> None:
    app, _ = replay_app(tmp_path, ["pixel-7.yaml"])
    async with app.run_test(size=(120, 40)) as pilot:
        await _graded(pilot)
        await pilot.press("e")
        assert app.screen.query_one(Input).value == "~/phonebench-exports"
        await pilot.press("escape")
        assert isinstance(app.screen, PhoneView) and not (Path.home() / "phonebench-exports").exists()
        await _export_to(pilot, str(tmp_path / "stick"))
        await pilot.press("e")
        assert app.screen.query_one(Input).value == str(tmp_path / "stick")


async def test_the_default_folder_is_in_home(tmp_path: Path) -> None:
    app, _ = replay_app(tmp_path, ["pixel-7.yaml"])
    async with app.run_test(size=(120, 40)) as pilot:
        await _graded(pilot)
        await pilot.press("e", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PhoneView), "the dialog to close")
        report_id = app.model.slots[1].report["report_id"]
    assert (Path.home() / "phonebench-exports" / f"{report_id}.dsse.json").is_file()  # HOME is the test's own


async def test_a_folder_that_cannot_be_written_is_one_log_line(tmp_path: Path) -> None:
    (blocker := tmp_path / "a-file").write_text("not a folder")
    app, _ = replay_app(tmp_path, ["pixel-7.yaml"])
    async with app.run_test(size=(120, 40)) as pilot:
        await _graded(pilot)
        await _export_to(pilot, str(blocker / "stick"))
        (line,) = [line for line in app.model.slots[1].log if line.startswith("export failed")]
    assert "\n" not in line and str(blocker / "stick") in line


def test_a_stored_file_that_changed_since_it_was_shown_is_not_exported(tmp_path: Path) -> None:
    report_id = "00000000-0000-4000-8000-000000000001"
    (stored := tmp_path / "stored.dsse.json").write_text('{"payload": "other"}\n')
    with pytest.raises(OutboxError, match="no longer holds report"):
        export_envelope(StoredEnvelope(report_id, {"payload": "shown"}, stored), tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("report_id", ["../../x", "00000000-0000-4000-8000-00000000000/", "", "0" * 32])
def test_only_a_uuid_names_an_exported_file(report_id: str) -> None:
    with pytest.raises(OutboxError, match="not a UUID"):
        file_name(report_id)
