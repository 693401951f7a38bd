"""How fast the bench TUI starts and how responsive it stays while 32 and 64 phones report.

Printed, never asserted. Two figures:

* cold start to the first frame: a fresh Python process in a pseudo-terminal (120x40, the
  real Linux driver), from spawn until the first screen has been painted. Goal <= 1.0 s.
* UI latency with 32 and with 64 replayed phones (the bundled fixtures, repeated with
  distinct serials) running at once: event-loop lag, the time a key press takes to be
  handled, the refresh tick's cost, and the time until every phone has a report. Each
  phone's form is filled in as it comes up and saved with Enter, a key press through the
  app's queue, as the technician would. Each bench runs BENCH_RUNS times (samples pooled)
  two ways: as shipped (the bench on its own thread and loop) and with the bench on the
  screen's loop (the old way), printed side by side with their ratio.
  Goals with 32 phones: key press p95 <= 50 ms, event-loop lag p95 <= 30 ms.

Run: python benchmarks/tui_startup.py [--skip-cold-start]
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
if str(ROOT) not in sys.path:  # run as a script: this checkout, not an installed copy
    sys.path.insert(0, str(ROOT))
RUNS = 5
#: each bench is run this many times and its samples pooled (one run of 32 phones is over
#: in a second or two: too few samples for a p95 on its own)
BENCH_RUNS = 3
BENCHES = (32, 64)


def _child_first_frame(stamp: str) -> None:
    """In the child: start the TUI as ``phonebench tui --replay`` would, note the first frame, quit."""
    from agent.cli.tui import replay_supervisor
    from agent.delivery.ledger import SideRecord
    from agent.session.station import open_station
    from agent.tui.app import BenchApp
    from agent.tui.question_queue import TuiOperator

    class FirstFrame(BenchApp):
        def on_mount(self) -> None:  # Textual calls BenchApp.on_mount as well: not super() again
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
                             stderr=subprocess.DEVNULL, env=env, cwd=ROOT, close_fds=True)
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


def _phones(count: int) -> list:
    from agent.fixtures.format import load_fixture

    base = [load_fixture(p) for p in sorted((ROOT / "fixtures").rglob("*.yaml"))]
    base = [f for f in base if "states" not in str(f)]
    out = []
    for i in range(count):
        f = base[i % len(base)]
        tag = f"{i:02d}"
        if f.android is not None:
            out.append(replace(f, android=replace(f.android, serial=f.android.serial[:-2] + tag)))
        else:
            out.append(replace(f, ios=replace(f.ios, udid=f.ios.udid[:-2] + tag)))
    return out


async def busy_bench(phones: int, own_thread: bool = True) -> dict[str, list[float]]:
    """``phones`` at once in a headless 120x40 app; what the technician would feel."""
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
    source = ReplaySource(_phones(phones))
    app = Timed(Supervisor(bench, [source], source.open_link), operator, "default", own_thread=own_thread)
    lag: list[float] = []
    keys: list[float] = []
    answers = {"screen.visual": [], "cosmetic_grade": "B", "notes": "bench run"}
    answered = None
    async with app.run_test(size=(120, 40)) as pilot:
        started = time.perf_counter()
        done = lambda: sum(v.report is not None or v.state in ("error",) for v in app.model.slots.values())  # noqa: E731
        while done() < phones and time.perf_counter() - started < 180:
            t0 = time.perf_counter()
            await asyncio.sleep(0.01)
            lag.append(time.perf_counter() - t0 - 0.01)
            if isinstance(app.screen, QuestionForm) and app.screen.is_mounted:  # answered at once
                if app.screen.pending is not answered:
                    answered = app.screen.pending
                    answer(app.screen, answers)
            elif len(lag) % 2 == 0 and len(app.grid.cards) > 2 and len(app.screen_stack) == 1:
                took = await _key_latency(app)
                if took is not None:
                    keys.append(took)
        total = time.perf_counter() - started
        await pilot.pause()  # let the last key press be handled before the app quits
    return {"lag": lag, "keys": keys, "ticks": ticks, "total": [total], "done": [float(done())]}


def answer(form: Any, answers: dict[str, Any]) -> None:
    """Fill ``form`` as the technician would type it, then press Enter: the key goes through
    the app's queue, so saving and showing the next phone cost the loop what they cost it."""
    form.fill(answers)
    form.app.simulate_key("enter")


async def _key_latency(app: Any) -> float | None:
    """Seconds from an arrow key arriving to the focus having moved to the neighbouring card;
    None when a form came up meanwhile (the key went to it) or the focus could not move."""
    cards = app.grid.cards
    before = app.focused
    if before not in cards:
        return None
    key = "right" if cards.index(before) < len(cards) - 1 else "left"
    t0 = time.perf_counter()
    app.simulate_key(key)
    while app.focused is before and time.perf_counter() - t0 < 2:
        await asyncio.sleep(0.0005)
    took = time.perf_counter() - t0
    return took if app.focused in cards and app.focused is not before else None


def _figures(values: list[float]) -> tuple[float, float, float] | None:
    """p50, p95 and max in milliseconds."""
    if not values:
        return None
    ordered = sorted(values)
    return statistics.median(ordered) * 1000, ordered[int(0.95 * (len(ordered) - 1))] * 1000, ordered[-1] * 1000


def _cell(values: list[float]) -> str:
    figures = _figures(values)
    return "n/a" if figures is None else "{:.0f} / {:.0f} / {:.0f}".format(*figures)


def _ratio(after: list[float], before: list[float]) -> str:
    a, b = _figures(after), _figures(before)
    return f"{a[1] / b[1]:.2f}" if a and b and b[1] else "n/a"


def _pooled(runs: list[dict[str, list[float]]]) -> dict[str, list[float]]:
    """The runs' samples together; the time to every report and the count, as their medians."""
    pooled = {key: [v for run in runs for v in run[key]] for key in ("lag", "keys", "ticks")}
    pooled.update({key: [statistics.median(run[key][0] for run in runs)] for key in ("total", "done")})
    return pooled


def print_benches() -> None:
    """Each bench size, threaded and on one loop, as one table (ms: p50 / p95 / max)."""
    runs = {(n, threaded): _pooled([asyncio.run(busy_bench(n, threaded)) for _ in range(BENCH_RUNS)])
            for n in BENCHES for threaded in (True, False)}
    columns = [(n, t) for n in BENCHES for t in (True, False)]
    head = [f"{n} phones, {'own thread' if t else 'one loop'}" for n, t in columns]
    print(f"{'ms: p50 / p95 / max':<22}" + "".join(f"{h:>26}" for h in head) + "".join(f"{f'p95 ratio {n}':>14}" for n in BENCHES))
    for label, key in (("key press handled", "keys"), ("event-loop lag", "lag"), ("refresh tick", "ticks")):
        cells = [_cell(runs[c][key]) for c in columns]
        ratios = [_ratio(runs[(n, True)][key], runs[(n, False)][key]) for n in BENCHES]
        print(f"{label:<22}" + "".join(f"{c:>26}" for c in cells) + "".join(f"{r:>14}" for r in ratios))
    counts = [f"{len(runs[c]['keys'])} keys, {len(runs[c]['lag'])} lags" for c in columns]
    print(f"{'samples':<22}" + "".join(f"{c:>26}" for c in counts))
    finished = [f"{int(runs[c]['done'][0])} in {runs[c]['total'][0]:.1f} s" for c in columns]
    print(f"{'reports (median run)':<22}" + "".join(f"{c:>26}" for c in finished))
    print("goals, 32 phones on their own thread: key press p95 <= 50 ms, event-loop lag p95 <= 30 ms")


def main() -> None:
    home = tempfile.mkdtemp()
    env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=f"{home}/.config", XDG_DATA_HOME=f"{home}/.local/share", TERM="xterm-256color")
    os.environ.update({k: env[k] for k in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME")})
    if "--skip-cold-start" not in sys.argv:
        starts = [cold_start(env) for _ in range(RUNS)]
        print(f"cold start to first frame (120x40 pty, {RUNS} runs): median {statistics.median(starts):.3f} s,"
              f" min {min(starts):.3f} s, max {max(starts):.3f} s (goal <= 1.0 s)")
    print_benches()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        _child_first_frame(sys.argv[2])
    else:
        main()
