"""The bench on a thread of its own, so the screen's event loop only reads keys and draws.

The supervisor, its sessions, the engine (parsing, grading, JSON schema, Ed25519 signing)
and the record's SQLite writes run on a second thread with its own asyncio loop. Events
cross to the UI in order through a deque (appends and pops are atomic), and the UI takes
them in one batch per refresh tick (``take``), so 64 busy phones cost the screen one fold
per tick, never a wake-up per event. Calls the other way (``call``: re-run a phone) run on
the bench loop and hand their result back.

Only this module knows there are two loops; the Supervisor keeps its own API (``events()``,
``rerun()``, ``aclose()``) and runs unchanged. ``stop`` cancels the supervisor's events (its
``finally`` closes it: sessions cancelled, discovery stopped) and joins the thread.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from agent.errors import PhonebenchError

log = logging.getLogger(__name__)

T = TypeVar("T")

#: how long ``stop`` waits for the sessions to wind down before leaving the (daemon) thread
STOP_TIMEOUT_S = 10.0
#: how long ``call`` waits for the bench loop to run a call
CALL_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class BenchStopped:
    """The supervisor ended by itself; ``reason`` says why in one line (never a traceback)."""

    reason: str


class BenchThread:
    """Runs ``supervisor.events()`` on a thread named ``bench`` until ``stop``.

    ``take()`` returns the events (agent.session.events.BenchEvent) that arrived since the
    last call, oldest first, and a ``BenchStopped`` last if the supervisor failed."""

    def __init__(self, supervisor: Any, name: str = "bench") -> None:
        self.supervisor = supervisor
        self._events: deque[Any] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> BenchThread:
        """Start the thread and wait for its loop; a second call does nothing."""
        if not self._thread.is_alive() and self._loop is None:
            self._thread.start()
        self._ready.wait()
        return self

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    @property
    def pending(self) -> int:
        """How many events wait for the next ``take``."""
        return len(self._events)

    def take(self) -> list[Any]:
        """Every event delivered since the last ``take``, in the order they were yielded."""
        out: list[Any] = []
        while True:
            try:
                out.append(self._events.popleft())
            except IndexError:
                return out

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` run on the bench loop (supervisor state lives there); its result or
        its exception comes back here, PhonebenchError when the bench loop does not get to it
        within CALL_TIMEOUT_S. Before start or after stop it runs here directly."""
        loop = self._loop
        if loop is None or not self.running or loop.is_closed():
            return fn(*args)

        async def run() -> T:
            return fn(*args)

        future = asyncio.run_coroutine_threadsafe(run(), loop)
        try:
            return future.result(CALL_TIMEOUT_S)
        except TimeoutError:
            future.cancel()
            raise PhonebenchError(f"the bench did not answer within {CALL_TIMEOUT_S:g} s: try again") from None

    def cancel(self) -> None:
        """Ask the supervisor to stop, without waiting (from any thread, a signal handler
        too): the sessions wind down while the screen does."""
        loop, task = self._loop, self._task
        if loop is not None and task is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(task.cancel)
            except RuntimeError:  # the loop closed meanwhile: the thread is ending anyway
                pass

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """Cancel the supervisor and wait for its thread; safe to call twice, or unstarted."""
        self.cancel()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("the bench did not stop within %.0f s", timeout)

    async def run_here(self) -> None:
        """The same pump on the caller's loop instead of a thread (the screen's one-loop
        mode, kept to measure what the thread buys)."""
        await self._pump()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            self._task = loop.create_task(self._pump())
            loop.call_soon(self._ready.set)
            loop.run_until_complete(self._task)
        finally:
            self._ready.set()
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
            finally:
                asyncio.set_event_loop(None)
                loop.close()

    async def _pump(self) -> None:
        try:
            async for event in self.supervisor.events():
                self._events.append(event)
        except asyncio.CancelledError:
            return
        except PhonebenchError as e:
            self._events.append(BenchStopped(str(e)))
        except Exception as e:  # the screen stays up and says what happened
            self._events.append(BenchStopped(f"internal error: {type(e).__name__}: {e}"))
