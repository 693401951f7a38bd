"""The bench on its own thread: events reach the UI in order, calls and answers cross between
the two loops, a withdrawn form leaves the queue, and stopping leaves nothing running."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from agent.check import Question
from agent.errors import LinkError
from agent.session.events import PhoneRef
from agent.tui.bench_thread import BenchStopped, BenchThread
from agent.tui.question_queue import TuiOperator

PHONE = PhoneRef("SER1", "android", 1)
QUESTION = Question("notes", "Notes", "text")


def until(condition: Callable[[], Any], what: str, limit_s: float = 10.0) -> Any:
    """Poll ``condition`` from the test's thread (the limit only stops a hung test)."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.005)
    raise AssertionError(f"gave up waiting for {what}")


class Counting:
    """Yields 0..count-1 from whatever thread runs it, then waits like an idle bench."""

    def __init__(self, count: int) -> None:
        self.count, self.thread, self.closed, self.loop = count, "", False, None

    async def events(self) -> AsyncIterator[int]:
        self.thread, self.loop = threading.current_thread().name, asyncio.get_running_loop()
        try:
            for i in range(self.count):
                yield i
                if i % 50 == 0:
                    await asyncio.sleep(0)
            await asyncio.Event().wait()
        finally:
            await asyncio.sleep(0)  # an await in cleanup, as Supervisor.aclose has
            self.closed = True

    def rerun(self, slot: int) -> bool:
        if slot < 0:
            raise LinkError("no such slot")
        return asyncio.get_running_loop() is self.loop


def test_events_arrive_in_order_on_the_ui_side_from_a_thread_of_their_own() -> None:
    supervisor = Counting(2000)
    bench = BenchThread(supervisor).start()
    try:
        taken: list[int] = []
        until(lambda: taken.extend(bench.take()) or len(taken) >= 2000, "every event")
        assert taken == list(range(2000))
        assert supervisor.thread == "bench" != threading.current_thread().name
    finally:
        bench.stop()
    assert not bench.running and supervisor.closed


def test_a_call_runs_on_the_bench_loop_and_its_error_comes_back() -> None:
    supervisor = Counting(1)
    bench = BenchThread(supervisor).start()
    try:
        until(lambda: supervisor.loop, "the bench loop")
        assert bench.call(supervisor.rerun, 3) is True
        with pytest.raises(LinkError, match="no such slot"):
            bench.call(supervisor.rerun, -1)
    finally:
        bench.stop()


def test_a_failing_supervisor_ends_with_one_line_saying_why() -> None:
    class Failing:
        async def events(self) -> AsyncIterator[int]:
            yield 1
            raise LinkError("adb server went away")

    bench = BenchThread(Failing()).start()
    until(lambda: not bench.running, "the thread to end")
    assert bench.take() == [1, BenchStopped("adb server went away")]
    bench.stop()  # after the end, and twice: nothing to do
    bench.stop()


def test_stop_before_start_does_nothing() -> None:
    BenchThread(Counting(1)).stop()


def test_starting_twice_runs_the_supervisor_once() -> None:
    bench = BenchThread(Counting(3)).start()
    bench.start()
    taken: list[int] = []
    until(lambda: taken.extend(bench.take()) or len(taken) >= 3, "the events")
    time.sleep(0.05)
    assert taken + bench.take() == [0, 1, 2]
    bench.stop()


class Asking:
    """A session that asks the operator on the bench loop and yields what it was told."""

    def __init__(self, operator: TuiOperator) -> None:
        self.operator, self.cancelled = operator, False

    async def events(self) -> AsyncIterator[Any]:
        try:
            yield await self.operator.ask_all((QUESTION,), PHONE)
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise


def test_a_form_answered_on_the_ui_thread_resolves_the_session_waiting_on_the_bench_loop() -> None:
    operator = TuiOperator()
    changes: list[str] = []
    operator.on_change = lambda: changes.append(threading.current_thread().name)
    bench = BenchThread(Asking(operator)).start()
    try:
        item = until(lambda: operator.head, "the form")
        assert operator.waiting == 1 and operator.for_slot(1) is item
        assert operator.answer(item, {"notes": "scuff"}) is True
        assert until(bench.take, "the answer") == [{"notes": "scuff"}]
        assert operator.waiting == 0
        assert changes == ["bench", threading.current_thread().name]  # asked there, answered here
    finally:
        bench.stop()


def test_a_form_withdrawn_by_stopping_the_bench_leaves_the_queue() -> None:
    operator = TuiOperator()
    supervisor = Asking(operator)
    bench = BenchThread(supervisor).start()
    item = until(lambda: operator.head, "the form")
    bench.stop()
    assert supervisor.cancelled and not bench.running
    assert operator.head is None and operator.waiting == 0
    assert operator.answer(item, {"notes": "late"}) is False  # answered too late: the loop is closed, no error
    assert bench.take() == []


def test_answers_that_meet_a_withdrawal_on_its_way_are_reported_as_not_given() -> None:
    """The phone leaves while the technician presses Enter: the withdrawal reaches the bench
    loop first, so the answer says False and the screen must not say "saved"."""
    operator = TuiOperator()
    bench = BenchThread(Asking(operator)).start()
    try:
        item = until(lambda: operator.head, "the form")
        item.future.get_loop().call_soon_threadsafe(item.future.cancel)  # the supervisor's withdrawal
        assert operator.answer(item, {"notes": "meant for this phone"}) is False
        assert item.withdrawn and bench.take() == []
    finally:
        bench.stop()
