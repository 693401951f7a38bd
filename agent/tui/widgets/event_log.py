"""The bench's running log: one line per thing worth knowing, never a traceback.

Lines are drawn as Text, so a phone's strings show literally. Python logging from the
engine and the links is routed here too while the app runs (``LogBridge``), because
anything printed to stderr under a full-screen app would tear the screen.

The pane shows the newest lines that fit and never scrolls: a scrolling log lays the whole
screen out again for every line it takes (its virtual size grows), which with 32 busy phones
was the most frequent layout pass of all. Each phone's own log is whole in its view.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable

from rich.text import Text
from textual.widget import Widget

from agent.text import printable

MAX_LINES = 1000


class EventLog(Widget, can_focus=False):
    """Newest line at the bottom; keeps the last MAX_LINES (``lines``, oldest first)."""

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines: deque[str] = deque(maxlen=MAX_LINES)

    def add(self, lines: list[str]) -> None:
        """Append ``lines`` (one line each, printable already) and repaint; no layout pass."""
        if lines:
            self.lines.extend(lines)
            self.refresh()

    def render(self) -> Text:
        shown = list(self.lines)[-self.content_size.height:] if self.content_size.height else []
        return Text("\n".join(shown), no_wrap=True, overflow="ellipsis", end="")


class LogBridge(logging.Handler):
    """Logging records as one-liners (exception type and message, no traceback)."""

    def __init__(self, emit_line: Callable[[str], None]) -> None:
        super().__init__(logging.INFO)
        self.emit_line = emit_line
        self._saved: list[logging.Handler] = []

    def emit(self, record: logging.LogRecord) -> None:
        line = f"{record.levelname.lower()}: {printable(record.getMessage())}"
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            line += f" ({type(error).__name__}: {printable(error)})"
        self.emit_line(line)

    def install(self) -> None:
        """Take over the root logger's output until ``uninstall``."""
        root = logging.getLogger()
        self._saved = list(root.handlers)
        for handler in self._saved:
            root.removeHandler(handler)
        root.addHandler(self)

    def uninstall(self) -> None:
        root = logging.getLogger()
        root.removeHandler(self)
        for handler in self._saved:
            root.addHandler(handler)
        self._saved = []
