"""``x``: erase a phone, watched step by step (agent/tui/erase_flow.py holds the state).

It shows the phone (model, serial, IMEI), asks for the last four digits before anything is
erased, asks the technician's name at the shift's first erase, shows the refusals with
what to do, the steps as the agent sees them, the Android recovery menu while the phone is
there, the question when the agent could not verify, and the certificate at the end. Esc
answers "no" to a question; with no question it only hides the dialog: the erase goes on,
its step shows on the card, and the dialog comes back for the next question (or ``x``).
Phone strings reach the screen as Text, never markup.
"""

from __future__ import annotations

from rich.text import Text
from textual._time import get_time
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import Key
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from agent.text import printable
from agent.tui.erase_flow import RECOVERY_MENU, RESULT_TEXT, EraseRun
from agent.tui.widgets.in_order import apply_key

#: longer than any answer asked (a name: MAX_OPERATOR), so a name too long is refused, not cut short
MAX_TYPED = 256
PLACEHOLDER = {"digits": "last four digits", "name": "your name", "answer": "y or n"}


class AnswerInput(Input):
    """The answer field: its keys act in the order typed (agent.tui.widgets.in_order), Enter
    answers with what was typed before it, and a key typed before the question now asked was
    on screen is dropped (it was meant for the question before)."""

    async def _on_key(self, event: Key) -> None:
        dialog = self.screen if self.is_attached else None
        if not isinstance(dialog, EraseDialog):
            return
        if event.time < dialog.asked_at:
            used = True
        elif event.key == "enter":
            dialog.answer()
            used = True
        else:
            used = apply_key(self, event)
        if used:
            event.stop()
            event.prevent_default()


class EraseDialog(ModalScreen[None]):
    BINDINGS = [Binding("escape", "close", "Close")]

    def __init__(self, run: EraseRun) -> None:
        super().__init__()
        self.erase = run
        #: the question on screen and when it came up (Textual's clock, as a key's ``time``)
        self.asked: object | None = None
        self.asked_at = 0.0

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="erase"):
            yield Label(Text(f"Erase slot {self.erase.slot}: {printable(self.erase.name)}"), classes="title")
            yield Static(id="erase-phone")
            yield Static(id="erase-steps")
            yield Static(id="erase-recovery")
            yield Static(id="erase-outcome")
            yield Label(id="erase-prompt")
            yield AnswerInput(id="erase-answer", max_length=MAX_TYPED)
            with Horizontal(classes="buttons"):
                yield Button("OK (enter)", id="ok", variant="warning")
                yield Button("Close (esc)", id="close")

    def on_mount(self) -> None:
        self.redraw()

    def redraw(self) -> None:
        """Show the erase as it is now; before the dialog is composed, its mount draws it
        (the OK button, in a container of its own, is the last of its widgets to be mounted)."""
        if not self.query("#ok"):
            return
        run, self.erase.changed = self.erase, False
        self.query_one("#erase-phone", Static).update(_phone(run))
        self.query_one("#erase-steps", Static).update(Text("\n".join(printable(line) for line in run.lines[-8:])))
        recovery = self.query_one("#erase-recovery", Static)
        recovery.display = run.recovery
        recovery.update(Text("\n".join(RECOVERY_MENU)))
        self.query_one("#erase-outcome", Static).update(_outcome(run))
        prompt, field, ok = self.query_one("#erase-prompt", Label), self.query_one("#erase-answer", Input), self.query_one("#ok")
        asking = run.prompt is not None
        for widget in (prompt, field, ok):
            widget.display = asking
        if run.prompt is not None:
            prompt.update(Text(run.prompt.text))
            field.placeholder = PLACEHOLDER.get(run.prompt.kind, "")
            field.password = False
            if run.prompt is not self.asked:
                self.asked, self.asked_at = run.prompt, get_time()
            if self.focused is not field:  # empty already: each answer empties it as it goes (answer)
                field.focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self.answer()
        else:
            self.action_close()

    def answer(self) -> None:
        """The answer typed, once: the field is emptied as it goes (the next question, maybe the
        same kind, must not find it there: it would end up in a signed certificate)."""
        field = self.query_one("#erase-answer", Input)
        answer, field.value = field.value, ""
        self.erase.reply(answer)
        self.redraw()

    def action_close(self) -> None:
        if self.erase.prompt is not None:
            self.erase.reply(None)
        self.dismiss(None)


def _phone(run: EraseRun) -> Text:
    device = run.device
    if device is None:
        return Text("reading the phone…")
    return Text(f"{printable(device.manufacturer or '')} {printable(device.model or 'model unknown')}".strip()
                + f"\nserial {printable(device.serial or 'unknown')} · IMEI {printable(device.imei or 'unknown')}")


def _outcome(run: EraseRun) -> Text:
    if run.phase == "refused":
        return Text(f"Not erased: {printable(run.problem or '')}", style="bold yellow")
    if run.phase == "failed":
        return Text(f"Stopped: {printable(run.problem or '')}", style="bold red")
    if run.phase == "done" and run.certificate is not None:
        style = "bold green" if run.result == "erased" else "bold red"
        text = Text(f"{RESULT_TEXT.get(run.result or '', run.result or '')}: certificate {run.certificate['report_id']}",
                    style=style)
        verification = run.certificate["verification"]
        who = "by the technician" if verification.get("by") == "technician" else "by the agent"
        text.append(f"\nverification {printable(verification['result'])} {who}; saved as {printable(run.path)}",
                    style="")
        return text
    return Text("")
