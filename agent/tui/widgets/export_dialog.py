"""Where to export a signed report: one folder field, filled with the last folder used.

The result is the folder (an empty field means the default one), or None to cancel; the
file name is not asked for, since it is always the report id.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from agent.tui.export import DEFAULT_FOLDER


class ExportDialog(ModalScreen[Path | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, slot: int, file_name: str, folder: Path) -> None:
        super().__init__()
        self.slot, self.file_name, self.folder = slot, file_name, folder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(f"Export the report of slot {self.slot}"), classes="title")
            yield Label(Text(f"The signed envelope, as stored, is written as {self.file_name} into the folder:"))
            yield Input(str(self.folder), placeholder=str(DEFAULT_FOLDER), id="answer")
            with Horizontal(classes="buttons"):
                yield Button("Export (enter)", id="export", variant="primary")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_export()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "export":
            self.action_export()
        else:
            self.action_cancel()

    def action_export(self) -> None:
        typed = self.query_one(Input).value.strip()
        self.dismiss(Path(typed) if typed else DEFAULT_FOLDER)

    def action_cancel(self) -> None:
        self.dismiss(None)
