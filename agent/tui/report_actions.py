"""What the TUI does with a phone's report: export its envelope (``e``) and print its label
(``p``), both off the event loop where they touch files or a printer. A mixin of BenchApp,
kept apart so the app stays wiring."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.errors import PhonebenchError
from agent.tui.export import StoredEnvelope, export_envelope, file_name
from agent.tui.model import BenchModel
from agent.tui.widgets.bench_card import BenchCard
from agent.tui.widgets.export_dialog import ExportDialog
from agent.tui.widgets.phone_view import PhoneView

if TYPE_CHECKING:
    from textual.app import App

    from agent.tui.erase_flow import EraseRun

    _Base = App[None]
else:
    _Base = object

#: where ``p`` writes a label as PDF when the station has no label printer
LABEL_FOLDER = Path("~/phonebench-labels")


class ReportActions(_Base):
    """Export and label handlers; the app provides ``model``, the two folders and its erases."""

    model: BenchModel
    export_folder: Path
    label_folder: Path
    erases: dict[int, EraseRun]

    def on_phone_view_export_requested(self, message: PhoneView.ExportRequested) -> None:
        view = self.model.slots[message.slot]
        if view.report is None or view.envelope is None or view.path is None:
            self.notify(f"Slot {view.slot} has no report yet.", markup=False)
            return
        stored = StoredEnvelope(view.report["report_id"], view.envelope, view.path)
        try:
            name = file_name(stored.report_id)
        except PhonebenchError as e:
            self.notify(str(e), severity="error", markup=False)
            return
        dialog = ExportDialog(view.slot, name, self.export_folder)
        self.push_screen(dialog, lambda folder: self.export_report(view.slot, stored, folder))

    def export_report(self, slot: int, stored: StoredEnvelope, folder: Path | None) -> None:
        if folder is None:
            return
        self.export_folder = folder
        try:
            path = export_envelope(stored, folder)
        except PhonebenchError as e:
            self.model.note(f"export failed: {e}", slot)
            self.notify(str(e), severity="error", markup=False)
            return
        self.model.note(f"report exported to {path}", slot)
        self.notify(f"Exported to {path}", markup=False)

    def on_phone_view_label_requested(self, message: PhoneView.LabelRequested) -> None:
        self.label_slot(message.slot)

    def on_bench_card_label_requested(self, message: BenchCard.LabelRequested) -> None:
        self.label_slot(message.slot)

    def label_slot(self, slot: int) -> None:
        """``p``: the label of the slot's latest report, on the config's printer or into a file;
        with a "Data erased" line when the phone was erased here since (its certificate)."""
        view = self.model.slots[slot]
        if view.report is None:
            self.notify(f"Slot {slot} has no report yet: no label.", markup=False)
            return
        run = self.erases.get(slot)
        certificates = [run.certificate] if run is not None and run.certificate is not None else []
        self.run_worker(self.make_label(slot, view.report, certificates), name="label", group="label", exit_on_error=False)

    async def make_label(self, slot: int, report: dict[str, Any], certificates: list[dict[str, Any]]) -> None:
        from agent.config import load_config
        from agent.delivery.labels import label_report

        try:
            printer = load_config().printer
            done = await asyncio.to_thread(label_report, report, printer, self.label_folder, certificates=certificates)
        except PhonebenchError as e:
            self.model.note(f"label failed: {e}", slot)
            self.notify(str(e), severity="error", markup=False)
            return
        hint = "" if done.printer else " (no printer in the station config)"
        self.model.note(done.line() + hint, slot)
        line = done.line()
        self.notify(line[:1].upper() + line[1:] + hint, markup=False)  # a path keeps its case
