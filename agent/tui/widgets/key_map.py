"""``?``: every key of the bench on one page; Esc (or ? again) closes it."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static

#: (where, [(keys, what they do)])
KEYS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("On the bench", (
        ("arrows, 1–99", "pick a card (two digits quickly for slot 10 and up)"),
        ("Enter", "open the phone"),
        ("p", "print the phone's label (no printer: a PDF file)"),
        ("a", "answer the phone that has waited longest"),
        ("l / L", "show or hide the log pane / read the whole log"),
        ("x", "erase the picked phone (asks first; again: show the erase)"),
        ("q, Ctrl+Q", "quit (asks first while phones are unfinished; again: quit now)"),
    )),
    ("In a phone's view", (
        ("a", "answer this phone's questions"),
        ("r / c", "re-run the phone / one check"),
        ("e / j / l", "export the report / its JSON / the slot's log"),
        ("p", "print the phone's label"),
        ("x", "erase this phone, with a signed certificate"),
        ("Esc", "back to the bench"),
    )),
    ("In a phone's questions", (
        ("1–4", "tick or untick a screen defect"),
        ("A–D", "the cosmetic grade"),
        ("Tab", "to the notes (optional) and back"),
        ("Enter", "save the answers"),
        ("Esc", "later: put them away, keeping what you ticked"),
    )),
)


class KeyMap(ModalScreen[None]):
    BINDINGS = [Binding("escape", "close", "Close"), Binding("question_mark", "close", "Close", show=False)]

    def compose(self) -> ComposeResult:
        parts: list[Text | Table] = []
        for where, keys in KEYS:
            parts.append(Text(where, style="bold underline"))
            table = Table.grid(padding=(0, 2))
            table.add_column(no_wrap=True, style="bold", min_width=12)
            table.add_column()
            for key, what in keys:
                table.add_row(Text(key), Text(what))
            parts.append(table)
        with Vertical(classes="dialog"):
            yield Label(Text("Keys (Esc closes this)"), classes="title")
            yield Static(Group(*parts))

    def action_close(self) -> None:
        self.dismiss(None)
