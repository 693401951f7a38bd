"""One phone in full: every check's figures, units and sources, verdicts, grade, report.

It redraws on the app's refresh tick while the session runs. Re-running (the whole session
or one check) and exporting are asked of the app, which confirms or asks where first; the
report and the log open read-only on top; ``p`` prints the phone's label (the app does it).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from agent.tui.model import SlotView
from agent.tui.render import phone_details
from agent.tui.widgets.key_bar import KeyBar


class PhoneView(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("r", "rerun", "Re-run"),
        Binding("c", "rerun_check", "One check"),
        Binding("e", "export", "Export"),
        Binding("p", "label", "Label"),
        Binding("j", "report", "JSON", show=False),  # in the key map (?): the footer keeps 80 columns
        Binding("l", "log", "Log"),
        Binding("q", "app.quit_bench", "Quit", show=False),  # works here too; the footer keeps 80 columns
    ]

    @dataclass
    class RerunRequested(Message):
        slot: int

    @dataclass
    class CheckRerunRequested(Message):
        slot: int

    @dataclass
    class ExportRequested(Message):
        slot: int

    @dataclass
    class LabelRequested(Message):
        slot: int

    @dataclass
    class ReportRequested(Message):
        slot: int

    @dataclass
    class LogRequested(Message):
        slot: int

    def __init__(self, view: SlotView) -> None:
        super().__init__()
        self.view = view

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(phone_details(self.view), id="details")
        yield KeyBar()

    def redraw(self, view: SlotView) -> None:
        """Show ``view``; before the screen is composed, compose draws it."""
        self.view = view
        for details in self.query("#details").results(Static):
            details.update(phone_details(view))

    def action_rerun(self) -> None:
        self.post_message(self.RerunRequested(self.view.slot))

    def action_rerun_check(self) -> None:
        self.post_message(self.CheckRerunRequested(self.view.slot))

    def action_export(self) -> None:
        self.post_message(self.ExportRequested(self.view.slot))

    def action_label(self) -> None:
        self.post_message(self.LabelRequested(self.view.slot))

    def action_report(self) -> None:
        self.post_message(self.ReportRequested(self.view.slot))

    def action_log(self) -> None:
        self.post_message(self.LogRequested(self.view.slot))
