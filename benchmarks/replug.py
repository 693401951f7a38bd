"""Unplug and re-plug with questions pending, on the simulated bench, in seconds.

    python benchmarks/replug.py [--rounds 5]   (from the repository root)

For an Android phone (real adb server) and an iPhone (pymobiledevice3, fake usbmuxd), with
the phone's form waiting for the technician: from the cable pulled to the form withdrawn and
to the incomplete report saved; from the cable back in to the fresh form of a new session.
(Before the supervisor withdrew sessions, the phone stayed "unplugged" until the stale form
was answered, and no new session came at all.)

Nothing here is asserted: the machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PHONES = {"Android": ROOT / "fixtures" / "android" / "pixel-7.yaml", "iPhone": ROOT / "fixtures" / "ios" / "iphone-13.yaml"}
ANSWERS = {"screen.visual": [], "cosmetic_grade": "B", "notes": ""}


async def until(condition: Callable[[], Any], limit_s: float = 60.0) -> None:
    """Return once ``condition`` holds (polled every millisecond)."""
    start = time.perf_counter()
    while not condition():
        if time.perf_counter() - start > limit_s:
            raise SystemExit(f"gave up after {limit_s:g} s")
        await asyncio.sleep(0.001)


async def rounds(sim: Any, n: int) -> list[tuple[float, float, float]]:
    from agent.delivery.ledger import SideRecord
    from agent.session.hub import Hub
    from agent.session.station import open_station
    from agent.tui.question_queue import TuiOperator

    operator = TuiOperator()
    station = open_station("default", record=SideRecord(Path(tempfile.mkdtemp())), operator=operator)
    hub = Hub(adb_port=sim.adb_port, usbmux_address=sim.usbmux_address, usb=False, start_adb=False, simulated=True)
    events: list[Any] = []

    async def pump() -> None:
        async for event in hub.supervisor(station).events():
            events.append(event)

    if sim.adbds:
        (adbd,) = sim.adbds.values()
        cable = (adbd.unplug, adbd.plug)
    else:
        fixture = sim.fixtures[0]
        cable = (lambda: sim.usbmuxd.unplug(fixture.device_id)), (lambda: sim.usbmuxd.plug(fixture))
    task = asyncio.create_task(pump())
    out = []
    try:
        await until(lambda: operator.head)
        for _ in range(n):
            out.append(await one_round(operator, events, *cable))
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    return out


async def one_round(operator: Any, events: list[Any], unplug: Callable[[], Any],
                    plug: Callable[[], Any]) -> tuple[float, float, float]:
    """Pull the cable while ``operator.head`` waits, and put it back."""
    from agent.session.events import PhoneGone, ReportSaved, SlotEvent

    def count(kind: type) -> int:
        return sum(isinstance(e, kind) or (isinstance(e, SlotEvent) and isinstance(e.event, kind)) for e in events)

    form, saved, gone = operator.head, count(ReportSaved), count(PhoneGone)
    started = time.perf_counter()
    await asyncio.to_thread(unplug)
    await until(lambda: form.withdrawn)
    withdrawn = time.perf_counter() - started
    await until(lambda: count(ReportSaved) > saved)
    incomplete = time.perf_counter() - started
    await until(lambda: count(PhoneGone) > gone)
    replugged = time.perf_counter()
    await asyncio.to_thread(plug)
    await until(lambda: operator.head not in (None, form))
    return withdrawn, incomplete, time.perf_counter() - replugged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="phonebench-bench-"))
    os.environ.update(HOME=str(tmp), XDG_CONFIG_HOME=str(tmp / "config"), XDG_DATA_HOME=str(tmp / "data"),
                      XDG_STATE_HOME=str(tmp / "state"))
    from agent.fixtures.format import load_fixture
    from agent.simulator.bench import SimulatedHub

    print(f"seconds, median of {args.rounds} rounds: from the unplug to the form withdrawn and to the incomplete")
    print("report; from the re-plug to the new session's form")
    print(f"{'':8} {'withdrawn':>10} {'report':>10} {'new form':>10}", flush=True)
    for name, path in PHONES.items():
        with SimulatedHub([load_fixture(path)]) as sim:
            figures = asyncio.run(rounds(sim, args.rounds))
        withdrawn, incomplete, fresh = (statistics.median(column) for column in zip(*figures, strict=True))
        print(f"{name:8} {withdrawn:10.3f} {incomplete:10.3f} {fresh:10.3f}", flush=True)


if __name__ == "__main__":
    main()
