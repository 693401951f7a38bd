"""How fast the bench TUI starts and how responsive it stays while 32 phones report.

Printed, never asserted. Two figures:

* cold start to the first frame: a fresh Python process in a pseudo-terminal (120x40, the
  real Linux driver), from spawn until the first screen has been painted. Goal <= 1.0 s.
* UI latency with 32 replayed phones (every bundled fixture, twice, with distinct serials)
  running at once: event-loop lag, the time a key press takes to be handled, the refresh
  tick's cost, and the time until every phone has a report. Questions are answered as they
  come, through the same queue the technician uses.

Run: python benchmarks/tui_startup.py
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5
PHONES = 32


def _child_first_frame(stamp: str) -> None:
    """In the child: start the TUI as ``phonebench tui --replay`` would, note the first frame, quit."""
    from agent.cli.tui import replay_supervisor
    from agent.delivery.ledger import SideRecord
    from agent.session.station import open_station
    from agent.tui.app import BenchApp
    from agent.tui.question_queue import TuiOperator

    class FirstFrame(BenchApp):
        def on_mount(self) -> None:
            super().on_mount()
            self.call_after_refresh(self._painted)

        def _painted(self) -> None:
            Path(stamp).write_text(repr(time.time()))
            self.exit()

    operator = TuiOperator()
    bench = open_station("default", record=SideRecord(Path(tempfile.mkdtemp())), operator=operator)
    FirstFrame(replay_supervisor(ROOT / "fixtures" / "android")(bench), operator, "default").run()


def cold_start(env: dict[str, str]) -> float:
    """Seconds from spawning a process to its first painted frame, in a 120x40 pty."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    stamp = Path(tempfile.mkdtemp()) / "first-frame"
    started = time.time()
    child = subprocess.Popen([sys.executable, __file__, "--child", str(stamp)], stdin=slave, stdout=slave,
                             stderr=subprocess.PIPE, env=env, cwd=ROOT, close_fds=True)
    os.close(slave)
    try:
        while child.poll() is None:
            try:
                os.read(master, 65536)  # keep the terminal drained so the child never blocks
            except OSError:
                break
        child.wait(timeout=30)
    finally:
        os.close(master)
    return float(stamp.read_text()) - started


def _thirty_two_phones() -> list:
    from agent.fixtures.format import load_fixture

    base = [load_fixture(p) for p in sorted((ROOT / "fixtures").rglob("*.yaml"))]
    base = [f for f in base if "states" not in str(f)]
    out = []
    for i in range(PHONES):
        f = base[i % len(base)]
        tag = f"{i:02d}"
        if f.android is not None:
            out.append(replace(f, android=replace(f.android, serial=f.android.serial[:-2] + tag)))
        else:
            out.append(replace(f, ios=replace(f.ios, udid=f.ios.udid[:-2] + tag)))
    return out


async def busy_bench() -> dict[str, list[float]]:
    """32 phones at once in a headless 120x40 app; what the technician would feel."""
    from agent.delivery.ledger import SideRecord
    from agent.discovery.replay import ReplaySource
    from agent.session.station import open_station
    from agent.session.supervisor import Supervisor
    from agent.tui.app import BenchApp
    from agent.tui.question_queue import TuiOperator
    from agent.tui.widgets.question_form import QuestionForm

    ticks: list[float] = []

    class Timed(BenchApp):
        def tick(self) -> None:
            t0 = time.perf_counter()
            super().tick()
            ticks.append(time.perf_counter() - t0)

    operator = TuiOperator()
    bench = open_station("default", record=SideRecord(Path(tempfile.mkdtemp())), operator=operator)
    source = ReplaySource(_thirty_two_phones())
    app = Timed(Supervisor(bench, [source], source.open_link), operator, "default")
    lag: list[float] = []
    keys: list[float] = []
    answers = {"screen.visual": [], "cosmetic_grade": "B", "notes": "bench run"}
    async with app.run_test(size=(120, 40)):
        started = time.perf_counter()
        done = lambda: sum(v.report is not None or v.state in ("error",) for v in app.model.slots.values())  # noqa: E731
        while done() < PHONES and time.perf_counter() - started < 120:
            t0 = time.perf_counter()
            await asyncio.sleep(0.01)
            lag.append(time.perf_counter() - t0 - 0.01)
            if isinstance(app.screen, QuestionForm) and app.screen.is_mounted:  # answered at once
                app.screen.dismiss({q.key: answers[q.key] for q in app.screen.pending.questions if q.key in answers})
            elif len(lag) % 10 == 0 and len(app.grid.cards) > 2:
                keys.append(await _key_latency(app, "right" if len(keys) % 2 == 0 else "left"))
        total = time.perf_counter() - started
    return {"lag": lag, "keys": keys, "ticks": ticks, "total": [total], "done": [float(done())]}


async def _key_latency(app: Any, key: str) -> float:
    """Seconds from a key arriving to the focus having moved (a card to its neighbour)."""
    before = app.focused
    t0 = time.perf_counter()
    app.simulate_key(key)
    while app.focused is before and time.perf_counter() - t0 < 2:
        await asyncio.sleep(0.0005)
    return time.perf_counter() - t0


def _ms(values: list[float]) -> str:
    if not values:
        return "n/a"
    ordered = sorted(values)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    return f"p50 {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, max {ordered[-1] * 1000:.1f} ms"


def main() -> None:
    home = tempfile.mkdtemp()
    env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=f"{home}/.config", XDG_DATA_HOME=f"{home}/.local/share", TERM="xterm-256color")
    os.environ.update({k: env[k] for k in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME")})
    starts = [cold_start(env) for _ in range(RUNS)]
    print(f"cold start to first frame (120x40 pty, {RUNS} runs): median {statistics.median(starts):.3f} s,"
          f" min {min(starts):.3f} s, max {max(starts):.3f} s (goal <= 1.0 s)")
    busy = asyncio.run(busy_bench())
    print(f"{PHONES} replayed phones: {int(busy['done'][0])} finished in {busy['total'][0]:.2f} s")
    print(f"  event-loop lag:      {_ms(busy['lag'])}")
    print(f"  key press handled:   {_ms(busy['keys'])} ({len(busy['keys'])} presses)")
    print(f"  refresh tick:        {_ms(busy['ticks'])} ({len(busy['ticks'])} ticks)")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        _child_first_frame(sys.argv[2])
    else:
        main()
