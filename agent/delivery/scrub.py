"""Keeping the backend token out of what the uploader stores and logs.

The token goes into one header, yet it can come back in text we keep: an HTTP library
quotes a header it refuses (``Illegal header value b'Bearer ...'``), and a backend may echo
the request in its error body, which becomes a report's rejection reason in the outbox.
So every such text passes through ``Scrubber`` before it is stored or logged, and the
uploader's logger carries a ``ScrubFilter`` for the texts that reach a log some other way
(an exception logged with its traceback).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

MASK = "********"
#: whatever follows "Bearer" is a credential, whoever sent it and however it was quoted
_BEARER = re.compile(r"(?i)(bearer)(\s|\\[rnt])+[^\s'\"]+")


@dataclass(frozen=True)
class Scrubber:
    """Replaces the secret, as it is and in the escaped forms Python error messages use."""

    secret: str | None = field(default=None, repr=False)

    def __call__(self, text: str) -> str:
        for form in self._forms():
            text = text.replace(form, MASK)
        return _BEARER.sub(rf"\1 {MASK}", text)

    def _forms(self) -> list[str]:
        """The secret as written, and as ``repr`` of the str and of its bytes show it."""
        if not self.secret:
            return []
        raw = self.secret.encode("utf-8", "backslashreplace")
        forms = {self.secret, self.secret.strip(), repr(self.secret)[1:-1], repr(raw)[2:-1]}
        return sorted((f for f in forms if f), key=len, reverse=True)


class ScrubFilter(logging.Filter):
    """Scrubs a record's message and traceback in place; never drops a record."""

    def __init__(self, scrub: Scrubber) -> None:
        super().__init__()
        self.scrub = scrub

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self.scrub(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and record.exc_info[1] is not None:
            self._scrub_traceback(record)
        return True

    def _scrub_traceback(self, record: logging.LogRecord) -> None:
        """A traceback that quotes the secret is kept as scrubbed text, without the exception
        object: handlers that show ``str(exception)`` would otherwise show it as it was."""
        assert record.exc_info is not None
        text = logging.Formatter().formatException(record.exc_info)
        clean = self.scrub(text)
        if clean == text:
            return
        error = record.exc_info[1]
        record.msg = f"{record.getMessage()} ({type(error).__name__}: {self.scrub(str(error))})"
        record.args, record.exc_info, record.exc_text = (), None, clean
