"""The bench's running log: one line per thing worth knowing, never a traceback.

Lines are written as Text, so a phone's strings show literally. Python logging from the
engine and the links is routed here too while the app runs (``LogBridge``), because
anything printed to stderr under a full-screen app would tear the screen.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from rich.text import Text
from textual.widgets import RichLog

from agent.text import printable

MAX_LINES = 1000


class EventLog(RichLog, can_focus=False):
    """Newest line at the bottom; keeps the last MAX_LINES."""

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id, max_lines=MAX_LINES, wrap=False, markup=False, highlight=False)

    def add(self, lines: list[str]) -> None:
        for line in lines:
            self.write(Text(line, no_wrap=True))


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
