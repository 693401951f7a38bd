"""One phone's questions as one form: the screen inspection, the cosmetic grade, notes.

The technician deals with a phone once, keyboard only: a number ticks a defect, a letter
picks the grade, Tab goes to the notes, Enter saves it all. Esc puts the form away ("later")
and keeps what was ticked or typed for when it comes back. The result is the answers by
question key; a question left out was not answered. A form whose phone was unplugged is
withdrawn: it closes with no result. Phone strings are Text, never markup.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.events import Key, ScreenResume
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from agent.text import printable
from agent.tui.model import PLATFORM_TEXT
from agent.tui.question_queue import Pending
from agent.tui.widgets.checklist_field import ChecklistField
from agent.tui.widgets.choice_field import ChoiceField

#: what to look at, by platform (shown with a checklist question)
PLATFORM_HINT = {
    "android": "Use the display test menu (Samsung: *#0*#) or a colour-test app: look at every "
    "full-screen colour, and drag a finger over the whole screen.",
    "ios": "Show white, black and grey images full screen in Photos: look for dots, lines, tints "
    "and ghosting; tilt it for pressure marks; drag a finger everywhere.",
}


class QuestionForm(ModalScreen[dict[str, Any] | None]):
    BINDINGS = [Binding("enter", "save", "Save"), Binding("escape", "later", "Later")]

    def __init__(self, pending: Pending, waiting: int) -> None:
        super().__init__()
        self.pending, self.waiting = pending, waiting
        self.unpicked_warned = False
        self.withdrawn = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form"):
            yield Label(self._title(), classes="title")
            with VerticalScroll(id="fields"):
                yield from self._fields()
            yield Label(Text(self._keys()), classes="keys")

    def _title(self) -> Text:
        phone = self.pending.phone
        name = phone.model or f"{PLATFORM_TEXT.get(phone.platform, phone.platform)} · not identified"
        title = Text(f"Slot {printable(phone.slot)} · {printable(name)}", style="bold")
        if self.waiting > 1:
            more = self.waiting - 1
            title.append(f" · {more} more phone{'s' if more > 1 else ''} after this", style="dim")
        return title

    def show_waiting(self, waiting: int) -> None:
        """How many phones wait, this one included (the queue changes while the form is open)."""
        if waiting != self.waiting:
            self.waiting = waiting
            for title in self.query(".title").results(Label):  # none before the form is composed
                title.update(self._title())

    def _fields(self) -> ComposeResult:
        draft, number = self.pending.draft, 1
        for q in self.pending.questions:
            if q.kind == "checklist":
                yield Label(Text(q.prompt), classes=f"prompt{' checklist-prompt' if number == 1 else ''}")
                hint = PLATFORM_HINT.get(self.pending.phone.platform) or q.help
                if hint:
                    yield Label(Text(hint), classes="hint")
                yield ChecklistField(q, number, draft.get(q.key) or ())
                number += len(q.choices)
            elif q.kind == "choice":
                yield Label(Text(f"{q.prompt} (type its letter)"), classes="prompt")
                yield ChoiceField(q, draft.get(q.key))
            else:
                with Horizontal(classes="text"):
                    yield Label(Text(f"{q.prompt}:"), classes="prompt")
                    yield Input(draft.get(q.key) or "", placeholder="Tab here to type", name=q.key)

    def _keys(self) -> str:
        """The keys this form takes, for its bottom line."""
        questions = self.pending.questions
        keys = []
        ticks = sum(len(q.choices) for q in questions if q.kind == "checklist")
        if ticks:
            keys.append(f"1–{ticks} tick" if ticks > 1 else "1 tick")
        choice = next((q for q in questions if q.kind == "choice"), None)
        if choice is not None and choice.choices:
            keys.append(f"{choice.choices[0].value}–{choice.choices[-1].value} grade")
        if any(q.kind == "text" for q in questions):
            keys.append("Tab notes")
        return " · ".join([*keys, "Enter save", "Esc later"])

    def answers(self) -> dict[str, Any]:
        """What the form holds now; a one-of question with nothing picked is left out."""
        out: dict[str, Any] = {}
        for field in self.query(ChecklistField):
            out[field.question.key] = field.answer()
        for choice in self.query(ChoiceField):
            if choice.picked is not None:
                out[choice.question.key] = choice.picked
        for text in self.query(Input):
            out[text.name or ""] = text.value.strip()
        return out

    def withdraw(self) -> None:
        """Its phone left and the questions were taken back: close with no result (under a
        screen pushed over it, such as the key map, once that one closes)."""
        self.withdrawn = True
        if self.is_active:
            self.app.pop_screen()

    def on_screen_resume(self, event: ScreenResume) -> None:
        if self.withdrawn:
            self.app.pop_screen()

    def action_save(self) -> None:
        unpicked = [c for c in self.query(ChoiceField) if c.picked is None]
        if unpicked and not self.unpicked_warned:
            self.unpicked_warned = True
            prompt = unpicked[0].question.prompt
            self.notify(f"{prompt}: nothing picked. Type its letter, or press Enter again to save it as "
                        "cannot tell.", severity="warning", markup=False)
            return
        self.dismiss(self.answers())

    def action_later(self) -> None:
        self.pending.draft.clear()
        self.pending.draft.update(self.answers())
        self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def on_key(self, event: Key) -> None:
        if isinstance(self.focused, Input) or not event.character:
            return
        typed = event.character
        if typed.isdecimal():
            if any(field.toggle(int(typed)) for field in self.query(ChecklistField)):
                event.stop()
            return
        choices = list(self.query(ChoiceField))
        if choices and choices[0].pick(typed):
            self.unpicked_warned = False
            event.stop()
