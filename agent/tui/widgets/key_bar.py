"""The bottom line: the keys that work where the focus is, as Textual's Footer shows them.

One widget drawing one line of text, instead of Textual's Footer, which mounts a widget per
key again on every focus change: moving across 32 cards, or opening a phone's form, paid for
a dozen mounts and a layout pass of the whole screen each time. Here a change of keys
repaints one line, and nothing when the keys are the same. A click on a key presses it, as
in the Footer. The keys come from the screen's active bindings (those with ``show``), one
per action, in the Footer's order.
"""

from __future__ import annotations

from rich.text import Text
from textual.events import Click
from textual.screen import Screen
from textual.widget import Widget


class KeyBar(Widget, can_focus=False):
    """Docked at the bottom of its screen; ``keys`` is what it shows, as (key, display, description)."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"key-bar--key", "key-bar--description"}
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        .key-bar--key { color: $footer-key-foreground; background: $footer-key-background; text-style: bold; }
        .key-bar--description { color: $footer-description-foreground; background: $footer-description-background; }
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self.keys: list[tuple[str, str, str]] = []
        self._spans: list[tuple[int, int, str]] = []  # (start, end, key) in cells, for clicks

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._bindings_changed(self.screen)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if not self.is_attached or screen is not self.screen:
            return
        keys, actions = [], set()
        for binding in (active.binding for active in screen.active_bindings.values()):
            if binding.show and binding.action not in actions:
                actions.add(binding.action)
                keys.append((binding.key, self.app.get_key_display(binding), binding.description))
        if keys != self.keys:
            self.keys = keys
            self.refresh()

    def render(self) -> Text:
        key_style = self.get_component_rich_style("key-bar--key")
        description_style = self.get_component_rich_style("key-bar--description")
        text, self._spans = Text(no_wrap=True, overflow="ellipsis", end=""), []
        for key, display, description in self.keys:
            start = text.cell_len
            text.append(f" {display} ", key_style)
            if description:
                text.append(f"{description} ", description_style)
            self._spans.append((start, text.cell_len, key))
        return text

    def on_click(self, event: Click) -> None:
        for start, end, key in self._spans:
            if start <= event.x < end:
                self.app.simulate_key(key)
                return
