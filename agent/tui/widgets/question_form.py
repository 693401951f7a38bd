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
quick Enters save one phone, not the next one unseen. Enter saves a phone's questions only once
the technician did something on them or had REACT_S to look at them (the same for Enter again
after "nothing picked"). A form whose phone left says so and takes no key but Esc.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from rich.text import Text
from textual._time import get_time
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.events import Key
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Input, Label

from agent.text import printable
from agent.tui.model import PLATFORM_TEXT
from agent.tui.question_queue import Pending
from agent.tui.widgets.checklist_field import ChecklistField
from agent.tui.widgets.choice_field import ChoiceField
from agent.tui.widgets.in_order import apply_key

#: what to look at, by platform (shown with a checklist question)
PLATFORM_HINT = {
    "android": "Use the display test menu (Samsung: *#0*#) or a colour-test app: look at every "
    "full-screen colour, and drag a finger over the whole screen.",
    "ios": "Show white, black and grey images full screen in Photos: look for dots, lines, tints "
    "and ghosting; tilt it for pressure marks; drag a finger everywhere.",
}


#: what the form closes with when its answers were saved and no phone waits for it
SAVED = "saved"
#: seconds a phone's questions (or the "nothing picked" warning) must have been on screen
#: before an Enter on them, untouched, saves them: faster than anyone reads a new phone's name
REACT_S = 0.6
#: the app's answer to Enter: gets the form and its answers; True when it loaded the next
#: phone's questions into the form, False to close it
Saved = Callable[["QuestionForm", dict[str, Any]], bool]


class NotesInput(Input):
    """A text answer; the form sees each key first, in the order typed (``QuestionForm.take``).
    Tab back into it puts the cursor at the end, keeping what was typed (no select-all)."""

    def __init__(self, value: str, name: str) -> None:
        super().__init__(value, placeholder="Tab here to type", name=name, select_on_focus=False)

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
        self.checklists: list[ChecklistField] = []
        self.choices: list[ChoiceField] = []
        self.texts: list[Input] = []
        #: when these questions were put up (Textual's clock, as a key's ``time``) and what they
        #: held then; when "nothing picked" was said, and when the phone left (None: not yet)
        self.shown_at = get_time()
        self.held: dict[str, Any] = {}
        self.warned_at: float | None = None
        self.withdrawn_at: float | None = None

    @property
    def unpicked_warned(self) -> bool:
        """"Nothing picked" was said, and nothing picked since."""
        return self.warned_at is not None

    @property
    def withdrawn(self) -> bool:
        """Its phone left: the form says so and takes only Esc."""
        return self.withdrawn_at is not None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form"):
            yield Label(self._title(), classes="title")
            with VerticalScroll(id="fields"):
                yield from self._fields()
            yield Label(Text(self._keys()), classes="keys")

    def load(self, pending: Pending, waiting: int) -> None:
        """Show ``pending`` (another phone's questions) in place of the ones answered."""
        self.pending, self.waiting, self.shown_at = pending, waiting, get_time()
        self.warned_at = self.withdrawn_at = None
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
        if self.withdrawn:
            title.append(" · withdrawn")
        elif self.waiting > 1:
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
                self.texts.append(NotesInput(draft.get(q.key) or "", q.key))
                yield Horizontal(Label(Text(f"{q.prompt}:"), classes="prompt"), self.texts[-1], classes="text")
        self.held = self.answers()  # as they came up, to tell whether anything was done on them

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

    def fill(self, answers: Mapping[str, Any]) -> None:
        """Set the fields to ``answers`` (by question key: ticked values, the picked value, the
        note), as the technician would type them; what ``answers`` leaves out stays as it is.
        Tests and benchmarks/tui_startup.py drive the form this way, then press Enter."""
        for checklist in self.checklists:
            if checklist.question.key in answers:
                checklist.ticked = {v for v in answers[checklist.question.key] if v in checklist.values}
                checklist.refresh_lines()
        for choice in self.choices:
            if choice.question.key in answers:
                choice.pick(str(answers[choice.question.key]))
        for text in self.texts:
            if (text.name or "") in answers:
                text.value = str(answers[text.name or ""])

    def withdraw(self, why: str) -> None:
        """Its phone left (``why``) and the questions were taken back: the form says so and
        takes no key but Esc, which closes it with no result. What the technician goes on
        typing was meant for that phone: it must reach neither the bench nor another phone."""
        self.withdrawn_at = get_time()
        self.checklists, self.choices, self.texts = [], [], []
        if self.is_mounted:
            self._say_withdrawn(why)
        else:  # not composed yet: once it is
            self.call_after_refresh(self._say_withdrawn, why)

    def _say_withdrawn(self, why: str) -> None:
        self.query_one(".title", Label).update(self._title())
        self.query_one(".keys", Label).update(Text("Esc back to the bench"))
        fields = self.query_one("#fields", VerticalScroll)
        fields.remove_children()
        fields.mount(Label(Text(f"{why[:1].upper()}{why[1:]}: these questions were withdrawn and nothing "
                                "typed here was saved. Press Esc to go back to the bench."), classes="prompt"))
        self.set_focus(fields)

    def action_save(self, at: float | None = None) -> None:
        """Save, as Enter typed at ``at`` (Textual's clock; None: now) does."""
        at = get_time() if at is None else at
        if self.app.screen is not self or self.withdrawn:  # a screen over it (the key map) has the keys
            return
        if self.answers() == self.held and at - self.shown_at < REACT_S:
            return  # untouched, and up for less time than it takes to see which phone it is
        unpicked = [c for c in self.choices if c.picked is None]
        if unpicked and (self.warned_at is None or at - self.warned_at < REACT_S):
            if self.warned_at is None:
                self.warned_at = get_time()
                prompt = unpicked[0].question.prompt
                self.notify(f"{prompt}: nothing picked. Type its letter, or press Enter again to save it as "
                            "cannot tell.", severity="warning", markup=False)
            return
        if not self.saved(self, self.answers()):
            self.dismiss(SAVED)

    def action_later(self) -> None:
        if self.app.screen is not self:
            return
        if self.withdrawn:
            self.dismiss(None)
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
        if self.withdrawn_at is not None:  # its phone left: only Esc, typed after it said so, closes it
            if event.key == "escape" and event.time >= self.withdrawn_at:
                self.action_later()
            return True
        if event.key == "enter":
            self.action_save(event.time)
            return True
        if event.key == "escape":
            self.action_later()
            return True
        if event.key in ("tab", "shift+tab"):
            self.focus_next() if event.key == "tab" else self.focus_previous()
            return True
        if isinstance(self.focused, Input):
            # applied now, in the order typed: Input's own bindings (arrows, Backspace...) act only
            # after the letters typed behind them; and a key that reached another field was typed
            # before Tab moved the focus here
            return apply_key(self.focused, event)
        typed = event.character
        if not typed:
            return False
        if typed.isdecimal():
            return any(field.toggle(int(typed)) for field in self.checklists)
        if self.choices and self.choices[0].pick(typed):
            self.warned_at = None
            return True
        return typed_in is not None  # typed in the notes before Tab left them: not notes now

