"""A question only a person can answer, for one named phone.

Shown on top of the bench; the answer (or "cannot tell", or "later") comes back as the
screen's result. Grades can be typed as their letter. Phone strings are Text, never markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import Key
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, SelectionList
from textual.widgets.selection_list import Selection

from agent.text import printable
from agent.tui.question_queue import Pending

#: what to look at, by platform (the question's own help follows)
PLATFORM_HINT = {
    "android": "This Android phone can show full-screen colours: use its display test menu "
    "(Samsung: dial *#0*#) or a colour-test app, and look at each colour in turn.",
    "ios": "On an iPhone, open plain white, black and grey images full screen in Photos; look for dots, "
    "lines, tinted patches and ghosted keyboards or status bars, and tilt it for pressure marks.",
}


@dataclass(frozen=True)
class Reply:
    """``kind``: answer (with ``value``), skip (cannot tell) or later (ask again later)."""

    kind: str
    value: Any = None


class QuestionPanel(ModalScreen[Reply]):
    BINDINGS = [Binding("escape", "later", "Later"), Binding("ctrl+s", "submit", "Done")]

    def __init__(self, pending: Pending, waiting: int) -> None:
        super().__init__()
        self.pending, self.waiting = pending, waiting

    def compose(self) -> ComposeResult:
        q, phone = self.pending.question, self.pending.phone
        with Vertical(classes="dialog"):
            title = Text(f"Slot {printable(phone.slot)} · {printable(phone.model or phone.device_id)}", style="bold")
            if self.waiting > 1:
                title.append(f"   ({self.waiting - 1} more waiting)", style="dim")
            yield Label(title, classes="title")
            yield Label(Text(q.prompt), classes="prompt")
            if q.kind == "checklist" and phone.platform in PLATFORM_HINT:
                yield Label(Text(PLATFORM_HINT[phone.platform]), classes="hint")
            if q.help:
                yield Label(Text(q.help), classes="hint")
            yield from self._input()
            with Horizontal(classes="buttons"):
                yield Button("Done (ctrl+s)", id="done", variant="primary")
                yield Button("Cannot tell", id="skip")
                yield Button("Later (esc)", id="later")

    def _input(self) -> ComposeResult:
        q = self.pending.question
        if q.kind == "checklist":
            yield SelectionList[str](
                *(Selection(Text(f"{c.label}: {c.description}"), c.value) for c in q.choices), id="answer"
            )
        elif q.kind == "choice":
            with RadioSet(id="answer"):
                for c in q.choices:
                    yield RadioButton(Text(f"{c.label} — {c.description}"), name=c.value)
        else:
            yield Input(placeholder="type, then Enter", id="answer")

    def on_mount(self) -> None:
        for widget in self.query("#answer"):  # none when dismissed before it was drawn
            widget.focus()

    def value(self) -> Any | None:
        """The answer as the question's validate() expects it, or None if none is chosen."""
        widget = self.query_one("#answer")
        if isinstance(widget, SelectionList):
            return list(widget.selected)
        if isinstance(widget, RadioSet):
            pressed = widget.pressed_button
            return pressed.name if pressed is not None else None
        assert isinstance(widget, Input)
        return widget.value.strip() or None

    def action_submit(self) -> None:
        value = self.value()
        if value is None and self.pending.question.kind == "choice":
            self.notify("Pick one first (or type its letter).", severity="warning")
            return
        self.dismiss(Reply("answer", value) if value is not None else Reply("skip"))

    def action_later(self) -> None:
        self.dismiss(Reply("later"))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "done":
            self.action_submit()
        else:
            self.dismiss(Reply(event.button.id or "later"))

    def on_input_submitted(self) -> None:
        self.action_submit()

    def on_key(self, event: Key) -> None:
        q = self.pending.question
        letter = (event.character or "").upper()
        if q.kind == "choice" and letter in {c.value for c in q.choices}:
            event.stop()
            self.dismiss(Reply("answer", letter))
