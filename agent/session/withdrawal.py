"""Withdrawing a running session whose phone left the bench.

The supervisor sees a phone go (adb's device list, usbmuxd's Detached) before the session
does: a session waiting for the technician's form reads nothing and would never notice, and
a stale answer given after a re-plug would grade a phone that went away. So the supervisor
calls ``Withdrawal.withdraw(reason)``; the session stops what it runs or waits for (its
checks, its form, which leaves the technician's queue) and ends as interrupted: an
incomplete report, no grade, ``reason`` saying when the phone left.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Awaitable, Callable
from typing import Literal, TypeVar

T = TypeVar("T")


class _Mark(enum.Enum):
    WITHDRAWN = "withdrawn"


#: what ``unless_withdrawn`` returns when the phone left first
WITHDRAWN = _Mark.WITHDRAWN


class Withdrawal:
    """The supervisor's handle on one session. ``withdraw`` may come before the session has
    started (the phone left while its link opened): the session is told as it attaches."""

    def __init__(self) -> None:
        self.reason: str | None = None
        self._session: Callable[[str], None] | None = None

    def withdraw(self, reason: str) -> None:
        """The phone left: tell the session once; later calls change nothing."""
        if self.reason is not None:
            return
        self.reason = reason
        if self._session is not None:
            self._session(reason)

    def attach(self, session: Callable[[str], None]) -> None:
        """``session(reason)`` is called on withdrawal (at once when it already came)."""
        self._session = session
        if self.reason is not None:
            session(self.reason)


async def unless_withdrawn(withdrawn: asyncio.Event, work: Awaitable[T]) -> T | Literal[_Mark.WITHDRAWN]:
    """``work``'s result (or its exception), unless ``withdrawn`` is set first: then ``work``
    is cancelled (a form leaves the operator's queue, a check stops reading) and WITHDRAWN
    comes back."""
    task = asyncio.ensure_future(work)
    waiter = asyncio.ensure_future(withdrawn.wait())
    try:
        await asyncio.wait([task, waiter], return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    if task.cancelled() and withdrawn.is_set():
        return WITHDRAWN
    return task.result()
