"""The phones' questions on the TUI: which phone's form comes up when, what Enter on it
saves (and whether the next phone's questions load into the same form), Esc, ``a``, and a
form whose phone left. A mixin of BenchApp, kept apart so the app stays wiring."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agent.tui.model import BenchModel
from agent.tui.question_queue import Pending, TuiOperator
from agent.tui.widgets.phone_view import PhoneView
from agent.tui.widgets.question_form import QuestionForm

if TYPE_CHECKING:
    from textual.app import App

    _Base = App[None]
else:
    _Base = object


class FormActions(_Base):
    """The app provides ``operator``, ``model``, ``asking``, ``snoozed``, ``take_events`` and
    ``draw_bench``."""

    operator: TuiOperator
    model: BenchModel
    asking: Pending | None
    snoozed: bool

    if TYPE_CHECKING:
        def take_events(self) -> None: ...

        def draw_bench(self) -> None: ...

    def ask_next(self, force: bool = False) -> None:
        """Show a phone's form, unless one is shown or the technician is busy elsewhere: on
        the bench, the phone that has waited longest; in a phone's view, that phone's own."""
        self._close_withdrawn()
        if self.asking is not None or (self.snoozed and not force):
            return
        item = self._next_for(self.screen)
        if item is not None:
            self.asking = item
            if len(self.screen_stack) == 1:  # the bench as it is now goes under the form
                self.take_events()
                self.draw_bench()
            self.push_screen(QuestionForm(item, self.operator.waiting, self.saved), self.form_closed)

    def _next_for(self, under: object) -> Pending | None:
        """The questions to ask over ``under``: the bench's oldest, a phone view's own."""
        if under is self.screen_stack[0]:
            return self.operator.head
        if isinstance(under, PhoneView):
            return self.operator.for_slot(under.view.slot)
        return None

    def _close_withdrawn(self) -> None:
        """The open form's phone left: its session took the questions back, so the form says
        so until Esc; the next phone's form opens on ``a`` only."""
        item = self.asking
        if item is None or not item.withdrawn:
            return
        self.asking = None
        self.take_events()  # the bench's news of why (the phone gone) before we say it
        form = next((s for s in self.screen_stack if isinstance(s, QuestionForm) and s.pending is item), None)
        view = self.model.slots.get(item.phone.slot) if item.phone.slot is not None else None
        why = "the phone was unplugged" if view is not None and view.unplugged else "its session ended"
        if form is not None:
            form.withdraw(why)
        self.model.note(f"questions withdrawn: {why}", item.phone.slot)
        # keys already on their way were meant for this phone: the next form waits for ``a``,
        # as after Esc, so they cannot answer (and sign) another phone
        self.snoozed = True
        nxt = " Esc, then a for the next phone's questions." if self.operator.head is not None else ""
        self.notify(f"Slot {item.phone.slot}'s questions were withdrawn: {why}.{nxt}", severity="warning",
                    markup=False, timeout=10)

    def saved(self, form: QuestionForm, answers: dict[str, Any]) -> bool:
        """Enter on ``form``: save its answers; True when the next phone's questions were
        loaded into the same form (no screen switch between phones), False to close it."""
        item, self.asking = self.asking, None
        if item is None or item is not form.pending:
            return False
        if not self.operator.answer(item, answers):
            # withdrawn while the technician typed: what follows was meant for this phone too,
            # so the next form waits for ``a``, as after a withdrawal seen in time
            self.model.note("answers not saved: the questions were withdrawn", item.phone.slot)
            self.snoozed = True
            self.notify(f"Slot {item.phone.slot}: answers not saved, its questions were withdrawn"
                        " (the phone left). Press a for the next phone's questions.",
                        severity="warning", markup=False, timeout=10)
            return False
        for question in item.questions:
            self.model.answered(item.phone.slot, question.key)
        unanswered = [q.key for q in item.questions if answers.get(q.key) is None]
        line = "answers saved" + (f" ({', '.join(unanswered)}: cannot tell)" if unanswered else "")
        self.model.note(line, item.phone.slot)
        stack = self.screen_stack
        nxt = self._next_for(stack[-2]) if form is stack[-1] and len(stack) > 1 else None
        if nxt is None:
            return False
        self.asking = nxt
        form.load(nxt, self.operator.waiting)
        return True

    def form_closed(self, result: str | None) -> None:
        """The form is gone: saved with nothing left to ask (look again, later), or put
        away (Esc) or withdrawn: the next form then waits for ``a``."""
        self.asking = None
        if result is None:
            self.snoozed = True
        else:
            self.call_later(self.ask_next)

    def action_questions(self) -> None:
        """``a``: in a phone's view, that phone's questions; on the bench, the oldest phone's."""
        self.snoozed = False
        if self._next_for(self.screen) is None:
            slot = self.screen.view.slot if isinstance(self.screen, PhoneView) else None
            self.notify(f"Slot {slot} has no questions waiting." if slot is not None else "No questions waiting.")
        self.ask_next(force=True)
