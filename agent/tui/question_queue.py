"""The technician as an Operator: each phone's questions wait as one form, phone by phone.

A session asks all of its phone's questions at once (``ask_all``) when its measurements
are in, so the queue holds one form per phone, oldest ready first, and the technician deals
with each phone once. The session awaits a future; answering the form resolves it. A
session that stops waiting (its phone was unplugged and the supervisor withdrew it, or the
bench shuts down) cancels that future: the form leaves the queue, the app closes it if it is
open, and answering it afterwards saves nothing.

Sessions run on the bench's own thread and loop (agent.tui.bench_thread) and the form is
answered on the UI's: the queue is guarded by a lock, an answer resolves the future on the
loop that awaits it (``call_soon_threadsafe``), and ``on_change`` may be called from
either thread, so whoever sets it must hop to its own loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from agent.check import Question
from agent.session.events import PhoneRef

#: how long an answer given on the screen's thread waits for the bench loop to take it (s)
ANSWER_WAIT_S = 5.0


@dataclass(frozen=True, eq=False)
class Pending:
    """One phone's questions waiting for the technician. ``draft`` keeps what was typed
    or ticked before "later", so the form reopens as it was left."""

    questions: tuple[Question, ...]
    phone: PhoneRef
    future: asyncio.Future[dict[str, Any]]
    draft: dict[str, Any] = field(default_factory=dict)

    @property
    def withdrawn(self) -> bool:
        """Its session stopped waiting for it: nothing answered now reaches a report."""
        return self.future.cancelled()


class TuiOperator:
    """Implements agent.session.operator.FormOperator for the TUI."""

    def __init__(self) -> None:
        self._queue: deque[Pending] = deque()
        self._lock = threading.Lock()
        #: called (with no arguments, from the thread that changed the queue) whenever it changes
        self.on_change: Callable[[], None] | None = None

    async def ask_all(self, questions: Sequence[Question], phone: PhoneRef) -> dict[str, Any]:
        item = Pending(tuple(questions), phone, asyncio.get_running_loop().create_future())
        with self._lock:
            self._queue.append(item)
        self._changed()
        try:
            return await item.future
        finally:
            if self._take(item):  # withdrawn (cancelled) before an answer came
                self._changed()

    async def ask(self, question: Question, phone: PhoneRef) -> Any | None:
        """A question asked on its own (a check asking after its phone's form): a form of one."""
        return (await self.ask_all((question,), phone)).get(question.key)

    @property
    def head(self) -> Pending | None:
        """The form to show now: the phone that has waited longest."""
        with self._lock:
            return self._queue[0] if self._queue else None

    def for_slot(self, slot: int | None) -> Pending | None:
        """The oldest form of the phone in ``slot``."""
        with self._lock:
            return next((item for item in self._queue if item.phone.slot == slot), None)

    @property
    def waiting(self) -> int:
        """How many phones wait for the technician (not ``__len__``: an operator with
        none must stay truthy)."""
        return len(self._queue)

    def answer(self, item: Pending, answers: Mapping[str, Any]) -> bool:
        """Give ``item`` its answers by question key (a key left out: not answered), from
        any thread; False when they reach nobody (the form was withdrawn, or its session's
        loop has closed). From another thread it waits (at most ANSWER_WAIT_S) for the
        session's loop to take them, so a withdrawal still on its way there is known here:
        the caller must not say "saved" for answers that were dropped."""
        self._take(item)
        given = False
        loop = item.future.get_loop()
        try:
            if _running_loop() is loop:
                given = _resolve(item.future, dict(answers))
            elif not item.future.done():
                delivered: concurrent.futures.Future[bool] = concurrent.futures.Future()
                loop.call_soon_threadsafe(_settle, delivered, item.future, dict(answers))
                given = delivered.result(ANSWER_WAIT_S)
        except (RuntimeError, concurrent.futures.TimeoutError):  # the bench loop is closed, or stuck
            given = False
        self._changed()
        return given

    def _take(self, item: Pending) -> bool:
        with self._lock:
            if item in self._queue:
                self._queue.remove(item)
                return True
            return False

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _resolve(future: asyncio.Future[dict[str, Any]], answers: dict[str, Any]) -> bool:
    """Hand the answers over; False when the session stopped waiting meanwhile (the phone
    went, the bench stopped)."""
    if future.done():
        return False
    future.set_result(answers)
    return True


def _settle(delivered: concurrent.futures.Future[bool], future: asyncio.Future[dict[str, Any]],
            answers: dict[str, Any]) -> None:
    """On the session's loop: resolve and say whether it took the answers."""
    delivered.set_result(_resolve(future, answers))
