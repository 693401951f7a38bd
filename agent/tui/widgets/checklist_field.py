"""A checklist question in the phone's form: one line per choice, its number toggles it.

Ticks are drawn as ``[x]`` / ``[ ]``, so they read the same on a monochrome terminal or under
NO_COLOR; colour only adds emphasis. One line per choice (the description is cut with an
ellipsis on a narrow terminal), so a click's row is the choice it lands on.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.table import Table
from rich.text import Text
from textual.events import Click
from textual.widgets import Static

from agent.check import Question
from agent.text import printable

TICKED, UNTICKED = "[x]", "[ ]"


class ChecklistField(Static):
    """Choices numbered from ``first``; ``ticked`` holds the values ticked."""

    def __init__(self, question: Question, first: int = 1, ticked: Iterable[str] = ()) -> None:
        super().__init__(classes="field checklist")
        self.question, self.first = question, first
        self.ticked = {value for value in ticked if value in self.values}

    @property
    def values(self) -> list[str]:
        return [c.value for c in self.question.choices]

    @property
    def numbers(self) -> range:
        return range(self.first, self.first + len(self.question.choices))

    def answer(self) -> list[str]:
        """The ticked values in the question's order (empty: no defect seen)."""
        return [value for value in self.values if value in self.ticked]

    def toggle(self, number: int) -> bool:
        """Tick or untick choice ``number``; False when it is not one of ours."""
        if number not in self.numbers:
            return False
        value = self.values[number - self.first]
        self.ticked ^= {value}
        self.refresh_lines()
        return True

    def on_mount(self) -> None:
        self.refresh_lines()

    def refresh_lines(self) -> None:
        grid = Table.grid(padding=(0, 1), expand=True)
        grid.add_column(no_wrap=True)
        grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        for number, choice in zip(self.numbers, self.question.choices, strict=True):
            on = choice.value in self.ticked
            mark = Text(f"{TICKED if on else UNTICKED} {number}", style="bold" if on else "")
            line = Text(printable(choice.label), style="bold" if on else "")
            line.append(f" — {printable(choice.description)}", style="dim")
            grid.add_row(mark, line)
        self.update(grid)

    def on_click(self, event: Click) -> None:
        self.toggle(self.first + event.y)
