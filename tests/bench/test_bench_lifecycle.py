"""`phonebench demo` in a real terminal (tmux when installed, else a pty) ends when told to:
SIGHUP, SIGTERM or the terminal closing, and leaves no process, adb server, socket folder
or trace. After a SIGKILL, the next simulated bench cleans up what was left.

The 10 s limits only stop a hung test; they are not timings."""

from __future__ import annotations

import json
import os
import pty
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
LIMIT_S = 10.0


def wait_until(condition: Callable[[], Any], what: str, limit: float = LIMIT_S) -> Any:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


def answers(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1.0)
        return s.connect_ex(("127.0.0.1", port)) == 0


def ended(pid: int) -> bool:
    """Gone, or a zombie its parent has yet to reap (it holds nothing any more)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True


class Terminal:
    """A terminal running one command; ``close()`` is the terminal going away."""

    pid: int

    def screen(self) -> str: ...

    def close(self) -> None: ...

    def end(self) -> None: ...


class TmuxTerminal(Terminal):
    """A tmux session on a server of its own; closing it is `tmux kill-session`."""

    def __init__(self, command: str, name: str) -> None:
        self.tmux = ["tmux", "-L", f"phonebench-{os.getpid()}-{name}"]
        subprocess.run([*self.tmux, "new-session", "-d", "-s", "t", "-x", "160", "-y", "50", command], check=True)
        pane = subprocess.run([*self.tmux, "list-panes", "-t", "t", "-F", "#{pane_pid}"], capture_output=True, text=True)
        self.pid = int(pane.stdout.split()[0])

    def screen(self) -> str:
        return subprocess.run([*self.tmux, "capture-pane", "-p", "-t", "t"], capture_output=True, text=True).stdout

    def close(self) -> None:
        subprocess.run([*self.tmux, "kill-session", "-t", "t"], check=False)

    def end(self) -> None:
        subprocess.run([*self.tmux, "kill-server"], capture_output=True, check=False)


class PtyTerminal(Terminal):
    """A pseudo-terminal; closing it is closing the master side."""

    def __init__(self, command: str, name: str) -> None:
        self.pid, self.master = pty.fork()
        if self.pid == 0:  # the child: become the command
            os.execvp("sh", ["sh", "-c", command])
        self.output = b""
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            self.output = self.output[-200_000:] + data

    def screen(self) -> str:
        return self.output.decode("utf-8", errors="replace")

    def close(self) -> None:
        os.close(self.master)
        self.master = -1

    def end(self) -> None:
        if self.master >= 0:
            self.close()
        if not ended(self.pid):
            os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)


Open = Callable[..., Terminal]


@pytest.fixture
def terminal(isolated_home: Path) -> Iterator[Open]:
    """Opens terminals running ``phonebench ARGS`` with this test's HOME (``nohup``: with
    SIGHUP ignored); every one closed after the test."""
    opened: list[Terminal] = []
    kind = TmuxTerminal if shutil.which("tmux") else PtyTerminal

    def open_one(args: str, nohup: bool = False) -> Terminal:
        env = " ".join(f"{k}={shlex.quote(v)}" for k, v in os.environ.items() if k == "HOME" or k.startswith("XDG_"))
        ignore = "trap '' HUP && " if nohup else ""
        command = f"cd {shlex.quote(str(ROOT))} && export {env} && {ignore}exec {shlex.quote(sys.executable)} -m agent {args}"
        opened.append(kind(command, str(len(opened))))
        return opened[-1]

    yield open_one
    for t in opened:
        t.end()


@pytest.fixture
def two_phones(tmp_path: Path) -> Path:
    """An Android phone and an iPhone: both simulators, quick to start."""
    folder = tmp_path / "phones"
    folder.mkdir()
    for name in ("android/pixel-7.yaml", "ios/iphone-13.yaml"):
        shutil.copy(FIXTURES / name, folder)
    return folder


def running_trace(home: Path) -> dict[str, Any] | None:
    """The trace of the running simulated bench, once it has its adb server and socket folder."""
    for path in (home / ".local" / "state" / "phonebench" / "simulated-benches").glob("*.json"):
        trace = json.loads(path.read_text())
        if trace["adb_port"] and trace["socket_dir"]:
            return trace
    return None


def assert_nothing_left(pid: int, trace: dict[str, Any], home: Path) -> None:
    wait_until(lambda: ended(pid), f"process {pid} to end")
    wait_until(lambda: not answers(trace["adb_port"]), f"adb server on {trace['adb_port']} to stop")
    assert not Path(trace["socket_dir"]).exists()
    assert running_trace(home) is None


def start_tui(terminal: Open, phones: Path, home: Path, nohup: bool = False) -> tuple[Terminal, dict[str, Any]]:
    term = terminal(f"demo --fixtures {shlex.quote(str(phones))}", nohup=nohup)
    trace = wait_until(lambda: running_trace(home), "the simulated bench")
    wait_until(lambda: "phones:" in term.screen(), "the bench on screen")
    return term, trace


@pytest.mark.parametrize("how", ["terminal closed", "SIGHUP", "SIGTERM"])
def test_tui_demo_ends_and_leaves_nothing(how: str, terminal: Open, two_phones: Path,
                                          isolated_home: Path) -> None:
    """What a closed terminal, a dropped SSH or a `kill` does to the TUI: it quits, stopping
    its simulators and adb server, instead of spinning on a terminal that is gone."""
    term, trace = start_tui(terminal, two_phones, isolated_home)
    if how == "terminal closed":
        term.close()
    else:
        os.kill(term.pid, getattr(signal, how))
    assert_nothing_left(term.pid, trace, isolated_home)


def test_tui_that_ignores_sighup_still_ends_when_its_terminal_goes(terminal: Open, two_phones: Path,
                                                                   isolated_home: Path) -> None:
    """Under nohup no SIGHUP comes: the TUI sees its terminal hang up by itself."""
    term, trace = start_tui(terminal, two_phones, isolated_home, nohup=True)
    term.close()
    assert_nothing_left(term.pid, trace, isolated_home)


def test_headless_demo_ends_when_its_terminal_closes(terminal: Open, two_phones: Path, isolated_home: Path) -> None:
    """`demo --headless` in a terminal that closes (SIGTERM: test_bench_demo.py)."""
    term = terminal(f"demo --headless --latency-ms 5000 --fixtures {shlex.quote(str(two_phones))}")
    trace = wait_until(lambda: running_trace(isolated_home), "the simulated bench")
    term.close()
    assert_nothing_left(term.pid, trace, isolated_home)


def test_after_a_sigkill_the_next_start_cleans_up(terminal: Open, two_phones: Path,
                                                  isolated_home: Path) -> None:
    """SIGKILL gives no chance to clean up: the adb server and socket folder stay, and the
    next `simulate` stops and removes them before it starts its own."""
    term = terminal(f"demo --headless --latency-ms 5000 --fixtures {shlex.quote(str(two_phones))}")
    trace = wait_until(lambda: running_trace(isolated_home), "the simulated bench")
    os.kill(term.pid, signal.SIGKILL)
    wait_until(lambda: ended(term.pid), "the killed demo")
    assert answers(trace["adb_port"]) and Path(trace["socket_dir"]).is_dir()
    done = subprocess.run([sys.executable, "-m", "agent", "simulate", str(two_phones / "iphone-13.yaml")],
                          input="quit\n", capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    wait_until(lambda: not answers(trace["adb_port"]), f"the leftover adb server on {trace['adb_port']} to stop")
    assert not Path(trace["socket_dir"]).exists()
    assert running_trace(isolated_home) is None
