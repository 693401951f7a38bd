"""The demo: the bench agent on a simulated bench, through the real adb server and
pymobiledevice3. Headless, it runs every phone to its report and prints a line each."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from agent.engine import Bench
from agent.events import PhoneSeen, ReportSaved, SessionFailed, SlotEvent
from agent.fixture import Fixture
from agent.live import LiveBench
from agent.summary import render_row
from agent.text import printable


def run_demo(
    fixtures: Sequence[Fixture],
    *,
    headless: bool,
    out: Path | None = None,
    profile: str | None = None,
    latency_ms: int = 0,
    timeout_s: float = 180.0,
) -> int:
    from agent.simulator.bench import SimulatedBench, stop_on_signals
    from agent.station import make_bench

    with stop_on_signals(), SimulatedBench(fixtures, latency_ms=latency_ms) as sim:
        live = LiveBench(adb_port=sim.adb_port, usbmux_address=sim.usbmux_address, usb=False, rejoin_s=2.0, start_adb=False)
        if not headless:
            from agent.cli_tui import run_tui

            sim.answer_dialogs_after(5.0)  # a simulated technician taps Allow / Trust
            return run_tui(live.supervisor, profile, out_dir=out)
        bench = make_bench(profile, out_dir=out)
        return asyncio.run(_headless(live, bench, sim.names, timeout_s))


async def _headless(live: LiveBench, bench: Bench, names: dict[str, str], timeout_s: float) -> int:
    supervisor = live.supervisor(bench)
    by_slot: dict[int, str] = {}
    pending = set(names)
    failures = 0
    started = time.monotonic()
    events = supervisor.events()
    try:
        async with asyncio.timeout(timeout_s):
            async for event in events:
                if isinstance(event, PhoneSeen):
                    by_slot[event.slot] = event.phone.device_id
                    if event.guidance and event.state not in ("checking", "connecting"):
                        print(f"slot {event.slot:>2}: {printable(event.guidance)}", file=sys.stderr)
                elif isinstance(event, SlotEvent):
                    device_id = by_slot.get(event.slot, "?")
                    name = f"slot {event.slot:>2} {printable(names.get(device_id, device_id))}"
                    if isinstance(event.event, ReportSaved):
                        print(render_row(name, event.event.report, event.event.path), flush=True)
                        pending.discard(device_id)
                    elif isinstance(event.event, SessionFailed):
                        print(f"{name:<28} session error: {printable(event.event.error)}", flush=True)
                        pending.discard(device_id)
                        failures += 1
                if not pending:
                    break
    except TimeoutError:
        for device_id in sorted(pending):
            print(f"{printable(names.get(device_id, device_id)):<28} no report after {timeout_s:g} s", flush=True)
        return 5
    finally:
        await events.aclose()
    print(f"{len(names)} phones in {time.monotonic() - started:.1f} s", file=sys.stderr)
    return 5 if failures else 0
