"""How a phonebench process ends when it is told to: SIGTERM, SIGHUP (a closed terminal,
a dropped SSH) or the loss of its terminal.

The orderly way out is the ``with`` blocks that started simulators and adb servers, so a
signal first asks the front end to stop (the TUI exits its app) or raises SystemExit.
That way can hang: a teardown that writes to a terminal which is gone, a thread stuck on
a silent phone. So the first signal also arms a watchdog: if the process is still here
``GRACE_S`` later, it runs the last-resort cleanups (stop the adb servers we started,
remove the socket folders we made) and ends the process without waiting for anyone.
Nothing we started outlives us, and nothing spins on a dead terminal.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)

#: how long the orderly way out may take before the watchdog ends the process
GRACE_S = 1.5
SIGNALS = (signal.SIGTERM, signal.SIGHUP)

#: a request to the running front end to stop; False when it cannot (not running yet)
AskStop = Callable[[int], bool]

_cleanups: dict[int, Callable[[], None]] = {}
_lock = threading.Lock()
_watchdog: threading.Thread | None = None


def on_forced_exit(cleanup: Callable[[], None]) -> Callable[[], None]:
    """Run ``cleanup`` if the watchdog has to end the process; returns the call that
    withdraws it (for when the orderly stop has done the job)."""
    key = id(cleanup)
    with _lock:
        _cleanups[key] = cleanup
    return lambda: _withdraw(key)


def _withdraw(key: int) -> None:
    with _lock:
        _cleanups.pop(key, None)


def begin(exit_code: int, grace_s: float = GRACE_S) -> bool:
    """Start ending the process: arm the watchdog once. False when already ending."""
    global _watchdog
    with _lock:
        if _watchdog is not None:
            return False
        _watchdog = threading.Thread(target=_force_exit, args=(exit_code, grace_s), name="shutdown-watchdog", daemon=True)
    _watchdog.start()
    return True


def _force_exit(exit_code: int, grace_s: float) -> None:
    threading.Event().wait(grace_s)
    with _lock:
        cleanups = list(_cleanups.values())
    log.warning("still running %g s after being told to stop: cleaning up and exiting", grace_s)
    for cleanup in cleanups:
        try:
            cleanup()
        except Exception as e:  # keep cleaning the rest
            log.warning("last-resort cleanup failed: %s", e)
    os._exit(exit_code)


@contextmanager
def stop_on_signals(ask: AskStop | None = None) -> Iterator[None]:
    """SIGTERM and SIGHUP end the process within the watchdog's grace: ``ask`` the front
    end to stop, or (no front end, or it cannot yet) raise SystemExit so the ``with``
    blocks stop what they started. A second signal while stopping is ignored: it must not
    interrupt the cleanup of the first. Nested uses hand back the outer handlers. A signal
    already ignored stays ignored: under ``nohup`` the user asked to outlive the terminal."""

    def leave(signum: int, frame: object) -> None:
        if not begin(128 + signum):
            return
        if ask is None or not ask(128 + signum):
            raise SystemExit(128 + signum)

    previous = {sig: signal.signal(sig, leave) for sig in SIGNALS if signal.getsignal(sig) is not signal.SIG_IGN}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
