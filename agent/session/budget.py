"""A check's time budget, which stops while the check waits for the technician.

A check may ask a person (the screen check asks which defects were seen); the answer comes
when the technician reaches the phone's form, minutes later on a busy bench. The budget is
for the phone and its link, so it is paused while a check waits for an answer and goes on
with what was left once the answer is in (``asyncio.timeout``, rescheduled).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")

#: a check that works (reads the phone) longer than this, in seconds, is stopped and recorded
#: as an error; time spent waiting for the technician does not count
CHECK_BUDGET_S = 60.0

_budget: ContextVar[asyncio.Timeout | None] = ContextVar("check_budget", default=None)


async def within_budget(work: Awaitable[T], seconds: float | None = None) -> T:
    """``work``'s result; TimeoutError when it works longer than ``seconds`` (s), less the
    time it spends in ``waiting_for_a_person``; ``seconds`` None: CHECK_BUDGET_S."""
    async with asyncio.timeout(CHECK_BUDGET_S if seconds is None else seconds) as budget:
        token = _budget.set(budget)
        try:
            return await work
        finally:
            _budget.reset(token)


async def waiting_for_a_person(answer: Awaitable[T]) -> T:
    """Await ``answer`` with the budget of the check awaiting it (if any) stopped meanwhile."""
    budget = _budget.get()
    deadline = budget.when() if budget is not None else None
    if budget is None or deadline is None:
        return await answer
    loop = asyncio.get_running_loop()
    left = deadline - loop.time()
    budget.reschedule(None)
    try:
        return await answer
    finally:
        budget.reschedule(loop.time() + max(left, 0.0))
