"""One phone's questions as one form: the screen inspection, the cosmetic grade, notes.

The technician deals with a phone once, keyboard only: a number ticks a defect, a letter
picks the grade, Tab goes to the notes, Enter saves it all. Esc puts the form away ("later")
and keeps what was ticked or typed for when it comes back. The result is the answers by
question key; a question left out was not answered. A form whose phone was unplugged is
withdrawn: it closes with no result. Phone strings are Text, never markup.

Enter hands the answers to ``saved`` (the app's), which may load the next phone's questions
into the same form (``load``) and say so. Going through a queue of phones thus never
switches screens, and each switch redraws a whole screen (with 32 phones on the bench, that
was most of the event loop's lag: benchmarks/tui_startup.py). The form closes with
``SAVED`` when nothing is left to ask, and with None on Esc or a withdrawal.

Keys act in the order they were typed, and only on the phone that was on screen when they
were: Enter, Esc and Tab are handled as they arrive (Textual's bindings act only once a key
has gone round the app, after the keys typed behind it, which would land in the phone just
saved), and a key typed before these questions were shown (``shown_at``) is dropped: three
quick Enters save one phone, not the next one unseen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from rich.text import Text
from textual._time import get_time
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.events import Key, ScreenResume
from textual.screen import ModalScreen
from textual.widget import Widget
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


#: what the form closes with when its answers were saved and no phone waits for it
SAVED = "saved"
#: the app's answer to Enter: gets the form and its answers; True when it loaded the next
#: phone's questions into the form, False to close it
Saved = Callable[["QuestionForm", dict[str, Any]], bool]


class NotesInput(Input):
    """A text answer; the form sees each key first, in the order typed (``QuestionForm.take``)."""

    async def _on_key(self, event: Key) -> None:
        """Runs before Input's own handler (Textual calls each class's in turn), which
        ``prevent_default`` skips when the form used the key up."""
        form = self.screen if self.is_attached else None
        if not isinstance(form, QuestionForm) or form.take(event, self):
            event.stop()
            event.prevent_default()


class QuestionForm(ModalScreen[str | None]):
    def __init__(self, pending: Pending, waiting: int, saved: Saved) -> None:
        super().__init__()
        self.pending, self.waiting, self.saved = pending, waiting, saved
        self.unpicked_warned = False
        self.withdrawn = False
        self.checklists: list[ChecklistField] = []
        self.choices: list[ChoiceField] = []
        self.texts: list[Input] = []
        #: when these questions were put up (Textual's clock, as a key's ``time``)
        self.shown_at = get_time()

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form"):
            yield Label(self._title(), classes="title")
            with VerticalScroll(id="fields"):
                yield from self._fields()
            yield Label(Text(self._keys()), classes="keys")

    def load(self, pending: Pending, waiting: int) -> None:
        """Show ``pending`` (another phone's questions) in place of the ones answered."""
        self.pending, self.waiting, self.shown_at = pending, waiting, get_time()
        self.unpicked_warned = self.withdrawn = False
        self.query_one(".title", Label).update(self._title())
        self.query_one(".keys", Label).update(Text(self._keys()))
        fields = self.query_one("#fields", VerticalScroll)
        with self.app.batch_update():
            fields.remove_children()
            fields.mount_all(list(self._fields()))
            fields.scroll_home(animate=False)
            self.set_focus(fields)

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

    def _fields(self) -> Iterator[Widget]:
        """The fields of ``pending``'s questions, kept in ``checklists``, ``choices`` and ``texts``
        (a query would also find the fields of the phone before, still being removed)."""
        draft, number = self.pending.draft, 1
        self.checklists, self.choices, self.texts = [], [], []
        for q in self.pending.questions:
            if q.kind == "checklist":
                yield Label(Text(q.prompt), classes=f"prompt{' checklist-prompt' if number == 1 else ''}")
                hint = PLATFORM_HINT.get(self.pending.phone.platform) or q.help
                if hint:
                    yield Label(Text(hint), classes="hint")
                self.checklists.append(ChecklistField(q, number, draft.get(q.key) or ()))
                yield self.checklists[-1]
                number += len(q.choices)
            elif q.kind == "choice":
                yield Label(Text(f"{q.prompt} (type its letter)"), classes="prompt")
                self.choices.append(ChoiceField(q, draft.get(q.key)))
                yield self.choices[-1]
            else:
                self.texts.append(NotesInput(draft.get(q.key) or "", placeholder="Tab here to type", name=q.key))
                yield Horizontal(Label(Text(f"{q.prompt}:"), classes="prompt"), self.texts[-1], classes="text")

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
        for field in self.checklists:
            out[field.question.key] = field.answer()
        for choice in self.choices:
            if choice.picked is not None:
                out[choice.question.key] = choice.picked
        for text in self.texts:
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
        if self.app.screen is not self:  # a screen over it (the key map) has the keys
            return
        unpicked = [c for c in self.choices if c.picked is None]
        if unpicked and not self.unpicked_warned:
            self.unpicked_warned = True
            prompt = unpicked[0].question.prompt
            self.notify(f"{prompt}: nothing picked. Type its letter, or press Enter again to save it as "
                        "cannot tell.", severity="warning", markup=False)
            return
        if not self.saved(self, self.answers()):
            self.dismiss(SAVED)

    def action_later(self) -> None:
        if self.app.screen is not self:
            return
        self.pending.draft.clear()
        self.pending.draft.update(self.answers())
        self.dismiss(None)

    def on_key(self, event: Key) -> None:
        if self.take(event, None):
            event.stop()
            event.prevent_default()

    def take(self, event: Key, typed_in: Input | None) -> bool:
        """Act on a key in the order typed; True when it was used up here. ``typed_in`` is
        the text field it reached, or None. A key that reached a field the focus has since
        left (an earlier Tab moved it) counts where the focus went."""
        if event.time < self.shown_at:  # typed for the phone before, or before the form came up
            return True
        if event.key == "enter":
            self.action_save()
            return True
        if event.key == "escape":
            self.action_later()
            return True
        if event.key in ("tab", "shift+tab"):
            self.focus_next() if event.key == "tab" else self.focus_previous()
            return True
        if isinstance(self.focused, Input):
            if typed_in is self.focused or not (event.is_printable and event.character):
                return False  # the text field takes it as Input does
            self.focused.insert_text_at_cursor(event.character)
            return True
        typed = event.character
        if not typed:
            return False
        if typed.isdecimal():
            return any(field.toggle(int(typed)) for field in self.checklists)
        if self.choices and self.choices[0].pick(typed):
            self.unpicked_warned = False
            return True
        return typed_in is not None  # typed in the notes before Tab left them: not notes now
