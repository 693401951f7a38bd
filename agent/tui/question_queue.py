"""The technician as an Operator: questions wait in one queue, in the order phones ask.

A session that asks awaits a future; the UI shows the oldest question, and answering it
resolves that future. A session cancelled while it waits (the bench shuts down) takes its
question out of the queue, so the UI never shows a question nobody is waiting for.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agent.check import Question
from agent.session.events import PhoneRef


@dataclass(frozen=True, eq=False)
class Pending:
    """One question waiting for the technician."""

    question: Question
    phone: PhoneRef
    future: asyncio.Future[Any]


class TuiOperator:
    """Implements agent.session.operator.Operator for the TUI."""

    def __init__(self) -> None:
        self._queue: deque[Pending] = deque()
        #: called (with no arguments) whenever the queue changes; the app sets it
        self.on_change: Callable[[], None] | None = None

    async def ask(self, question: Question, phone: PhoneRef) -> Any | None:
        item = Pending(question, phone, asyncio.get_running_loop().create_future())
        self._queue.append(item)
        self._changed()
        try:
            return await item.future
        finally:
            if item in self._queue:
                self._queue.remove(item)
                self._changed()

    @property
    def head(self) -> Pending | None:
        """The question to show now: the oldest one."""
        return self._queue[0] if self._queue else None

    @property
    def waiting(self) -> int:
        """How many questions wait (not ``__len__``: an operator with none must stay truthy)."""
        return len(self._queue)

    def answer(self, item: Pending, value: Any | None) -> None:
        """Give ``item`` its answer (None: the technician could not answer)."""
        if item in self._queue:
            self._queue.remove(item)
        if not item.future.done():
            item.future.set_result(value)
        self._changed()

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()
