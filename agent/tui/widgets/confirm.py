"""Yes or no before anything that cannot be taken back."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label


class Confirm(ModalScreen[bool]):
    AUTO_FOCUS = "#no"  # Enter means no until the technician moves to Yes
    BINDINGS = [Binding("escape", "answer(False)", "No"), Binding("y", "answer(True)", "Yes"),
                Binding("n", "answer(False)", "No")]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question, markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Yes (y)", id="yes", variant="warning")
                yield Button("No (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class QuitConfirm(Confirm):
    """The question before quitting with phones unfinished; a quit key again (q, Ctrl+Q,
    Ctrl+C) while it is up quits, like ``y`` (Ctrl+Q and Ctrl+C through the app's priority
    bindings; q here: the app's own q does not reach past a modal screen)."""

    BINDINGS = [Binding("q", "answer(True)", "Quit", show=False)]
