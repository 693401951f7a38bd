"""Which one check to run again on a phone: a short numbered list, Enter or the number picks.

Identity is not offered: every session reads it again anyway. The result is the check's
name, or None when the technician backs out; the app confirms before anything runs.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.events import Key
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from agent.text import printable
from agent.tui.model import SlotView
from agent.tui.render import VERDICT_STYLE


def rerunnable(view: SlotView) -> list[str]:
    """The checks of the phone's report that can run again on their own, in report order."""
    return [name for name in view.checks if name != "identity"]


class CheckPicker(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "pick(None)", "Cancel")]

    def __init__(self, view: SlotView) -> None:
        super().__init__()
        self.view = view
        self.names = rerunnable(view)

    def compose(self) -> ComposeResult:
        report_id = (self.view.report or {}).get("report_id")
        with Vertical(classes="dialog"):
            yield Label(Text(f"Re-run one check · slot {self.view.slot} · {printable(self.view.name)}"), classes="title")
            yield Label(Text(f"The other checks are carried over from report {printable(report_id)}; "
                             "identity is read again. Enter or the check's number picks it."), classes="hint")
            yield OptionList(*(self._option(i, name) for i, name in enumerate(self.names, 1)), id="answer")

    def _option(self, number: int, name: str) -> Option:
        check = self.view.checks[name]
        verdict = check.get("verdict") or "-"
        prompt = Text(f"{number}  ").append(printable(check.get("title") or name), style="bold")
        prompt.append(f"  {printable(check.get('outcome'))} · ")
        prompt.append(printable(verdict), style=VERDICT_STYLE.get(verdict, ""))
        return Option(prompt, id=name)

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def on_key(self, event: Key) -> None:
        if event.character is not None and event.character.isdecimal() and 1 <= int(event.character) <= len(self.names):
            event.stop()
            self.dismiss(self.names[int(event.character) - 1])

    def action_pick(self, name: str | None) -> None:
        self.dismiss(name)
