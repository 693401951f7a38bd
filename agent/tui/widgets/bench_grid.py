"""The bench: one card per slot, in slot order, that arrow keys and slot numbers move across.

Columns follow the terminal's width: cards are at least CARD_WIDTH wide and share what is
left, so 80 columns hold three cards and 120 hold four (more phones scroll). Typing a slot
number jumps to that card; two digits typed in quick succession make one number.

Cards are kept by slot (a DOM query per event costs milliseconds with 64 cards on the bench).
"""

from __future__ import annotations

import time

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import ItemGrid, VerticalScroll
from textual.events import Key
from textual.widgets import Label

from agent.tui.model import SlotView
from agent.tui.widgets.bench_card import BenchCard

CARD_WIDTH = 26
DIGIT_PAUSE_S = 0.8


class BenchGrid(VerticalScroll, can_focus=False):
    """Holds the cards and moves focus between them."""

    BINDINGS = [
        Binding("left", "move(-1, 0)", "Left", show=False),
        Binding("right", "move(1, 0)", "Right", show=False),
        Binding("up", "move(0, -1)", "Up", show=False),
        Binding("down", "move(0, 1)", "Down", show=False),
    ]

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self._digits = ""
        self._digit_at = 0.0
        self._by_slot: dict[int, BenchCard] = {}
        self._cards: ItemGrid | None = None

    def compose(self) -> ComposeResult:
        yield Label("No phones yet: plug one in.", id="empty")
        yield ItemGrid(min_column_width=CARD_WIDTH, id="cards")

    def on_mount(self) -> None:
        # Without colour (NO_COLOR), red and amber turn into dark greys: states are read from
        # their words instead, drawn at full strength (bench.tcss, -no-color).
        self.set_class(self.app.no_color, "-no-color")

    @property
    def cards(self) -> list[BenchCard]:
        """The cards in slot order."""
        return [self._by_slot[slot] for slot in sorted(self._by_slot)]

    def show(self, view: SlotView) -> None:
        """Draw one slot, adding its card (in slot order) the first time."""
        grid = self._grid()
        if grid is None:  # the first events can come before the grid is composed: draw then
            self.call_after_refresh(self.show, view)
            return
        card = self._card(view.slot)
        if card is None:
            card = self._by_slot[view.slot] = BenchCard(view.slot)
            later = [c for c in self.cards if c.slot > view.slot]
            grid.mount(card, before=later[0] if later else None)
            if len(self._by_slot) == 1:
                self.query_one("#empty").display = False
        card.show(view)

    def _grid(self) -> ItemGrid | None:
        if self._cards is None:
            found = self.query("#cards")
            self._cards = found.first(ItemGrid) if found else None
        return self._cards

    def has(self, slot: int) -> bool:
        """Whether ``slot`` has its card yet."""
        return slot in self._by_slot

    def focus_slot(self, slot: int) -> bool:
        card = self._card(slot)
        if card is not None:
            card.focus()
        return card is not None

    def _card(self, slot: int) -> BenchCard | None:
        return self._by_slot.get(slot)

    def _columns(self) -> int:
        cards = self.cards
        if len(cards) > 1:  # the grid stretches cards to share the width: count a row's
            top = cards[0].region.y
            return max(1, sum(1 for c in cards if c.region.y == top))
        return 1

    def action_move(self, dx: int, dy: int) -> None:
        cards = self.cards
        if not cards:
            return
        focused = self.app.focused
        index = cards.index(focused) if isinstance(focused, BenchCard) and focused in cards else 0
        target = index + dx + dy * self._columns()
        if 0 <= target < len(cards):
            cards[target].focus()

    def on_key(self, event: Key) -> None:
        if event.character is None or not event.character.isdecimal():
            return
        now = time.monotonic()
        quick = now - self._digit_at < DIGIT_PAUSE_S
        self._digits = (self._digits if quick else "") + event.character
        self._digit_at = now
        if not self.focus_slot(int(self._digits)):
            self._digits = event.character
            self.focus_slot(int(self._digits))
        event.stop()
