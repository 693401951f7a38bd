"""A one-of question in the phone's form (the cosmetic grade): each choice with its
definition, picked by typing its letter.

The pick is drawn as ``(•)`` / ``( )``, readable without colour. Definitions wrap under
their own column, so the letters stay in a column of their own on a narrow terminal.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from agent.check import Question
from agent.text import printable

PICKED, UNPICKED = "(•)", "( )"


class ChoiceField(Static):
    """``picked`` is the chosen value, or None while none is."""

    def __init__(self, question: Question, picked: str | None = None) -> None:
        super().__init__(classes="field choice")
        self.question = question
        self.picked = picked if picked in self.values else None

    @property
    def values(self) -> list[str]:
        return [c.value for c in self.question.choices]

    def pick(self, typed: str) -> bool:
        """Pick the choice whose value is ``typed`` (any case); False when none is."""
        value = next((v for v in self.values if v.upper() == typed.upper()), None)
        if value is None:
            return False
        self.picked = value
        self.refresh_lines()
        return True

    def on_mount(self) -> None:
        self.refresh_lines()

    def refresh_lines(self) -> None:
        grid = Table.grid(padding=(0, 1), expand=True)
        grid.add_column(no_wrap=True)
        grid.add_column(ratio=1, overflow="fold")
        for choice in self.question.choices:
            on = choice.value == self.picked
            mark = Text(f"{PICKED if on else UNPICKED} {printable(choice.value)}", style="bold" if on else "")
            label = printable(choice.label).removeprefix(f"{choice.value}: ")
            line = Text(label, style="bold" if on else "")
            line.append(f": {printable(choice.description)}", style="" if on else "dim")
            grid.add_row(mark, line)
        self.update(grid)
