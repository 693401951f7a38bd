"""Textual's terminal driver, made to notice that its terminal has gone.

When the terminal closes (a killed tmux session, a dropped SSH) Textual's Linux driver
neither stops nor says so: its input thread reads end-of-file in a busy loop (a core
spinning for as long as the process lives), and its writer thread dies on the first EIO,
after which the app blocks for ever once 30 writes are queued, teardown included.
SIGHUP usually arrives too, but not always (``nohup``, a shell that ignores it).

``BenchDriver`` drops output once the terminal is gone instead of dying on it, watches the
terminal for a hang-up, and then ends the app the way a signal does (shutdown.py), so the
simulators and adb servers are stopped by the ``with`` blocks that started them.
"""

from __future__ import annotations

import select
import signal
import threading
from collections.abc import Callable
from functools import partial
from typing import IO, Any

from textual.driver import Driver
from textual.drivers.linux_driver import LinuxDriver

from agent import shutdown

#: the exit code of a TUI whose terminal went away: as if SIGHUP had ended it
HUNG_UP = 128 + signal.SIGHUP
WATCH_S = 0.2


class _Output:
    """The file Textual's writer thread writes to: once a write fails, output is dropped
    and ``lost`` called, rather than the writer thread dying with the app's queue full."""

    def __init__(self, file: IO[str], lost: Callable[[], None]) -> None:
        self.file, self.lost, self.gone = file, lost, False

    def write(self, text: str) -> None:
        self._guarded(self.file.write, text)

    def flush(self) -> None:
        self._guarded(self.file.flush)

    def _guarded(self, call: Callable[..., Any], *args: Any) -> None:
        if self.gone:
            return
        try:
            call(*args)
        except (OSError, ValueError):  # EIO, EPIPE; ValueError: the file was closed
            self.gone = True
            self.lost()

    def fileno(self) -> int:
        return self.file.fileno()

    def isatty(self) -> bool:
        return True


class BenchDriver(LinuxDriver):
    """Textual's Linux driver, ending the app once its terminal hangs up."""

    def __init__(self, app: Any, **options: Any) -> None:
        super().__init__(app, **options)
        # Textual types _file as the real stream; _Output stands in for it, write for write
        self._file = _Output(self._file, self._terminal_lost)  # type: ignore[assignment,arg-type]
        self._lost = threading.Event()
        self._watching = threading.Event()
        self._watch: threading.Thread | None = None

    def start_application_mode(self) -> None:
        super().start_application_mode()
        self._watching.set()
        self._watch = threading.Thread(target=self._watch_terminal, name="terminal-watch", daemon=True)
        self._watch.start()

    def stop_application_mode(self) -> None:
        self._watching.clear()
        super().stop_application_mode()

    def _watch_terminal(self) -> None:
        """Poll the terminal for hang-up only (no read: the input thread owns the input)."""
        poller = select.poll()
        poller.register(self.fileno, 0)  # no events asked: POLLHUP, POLLERR and POLLNVAL still come
        while self._watching.is_set():
            if poller.poll(WATCH_S * 1000):
                self._terminal_lost()
                return

    def _terminal_lost(self) -> None:
        """End the app as SIGHUP would, once, with the watchdog armed in case teardown hangs."""
        if self._lost.is_set():
            return
        self._lost.set()
        shutdown.begin(HUNG_UP)
        stop = getattr(self._app, "stop_from_outside", None)  # BenchApp: its sessions stop first
        if stop is None or not stop(HUNG_UP):
            self._loop.call_soon_threadsafe(partial(self._app.exit, return_code=HUNG_UP))


def terminal_driver(default: type[Driver]) -> type[Driver]:
    """BenchDriver where Textual would use its Linux driver; anything else as Textual chose."""
    return BenchDriver if default is LinuxDriver else default
