"""Read-only text on top of everything: a report's JSON or a slot's log."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Label, TextArea

from agent.tui.widgets.key_bar import KeyBar


class TextView(ModalScreen[None]):
    BINDINGS = [Binding("escape", "dismiss", "Close")]

    def __init__(self, title: str, text: str, wrap: bool = False) -> None:
        """``wrap``: long lines wrap (a log); else they scroll sideways (JSON keeps its shape)."""
        super().__init__()
        self.title_text, self.text, self.wrap = title, text, wrap

    def compose(self) -> ComposeResult:
        yield Label(self.title_text, markup=False, classes="title")
        yield TextArea(self.text, read_only=True, show_line_numbers=True, soft_wrap=self.wrap)
        yield KeyBar()

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
