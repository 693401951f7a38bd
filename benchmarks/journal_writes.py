"""What the session journal costs, printed as figures.

    python benchmarks/journal_writes.py [--phones 32] [--checks 6]

1. The time ``Journal.note`` takes on the caller's thread (the TUI's event loop): it only
   queues, so this is what a session's events cost the screen.
2. How long the writer thread takes to commit one bench's sessions (a start, an identity, the
   checks, three answers and a close per phone; one ``synchronous = FULL`` transaction each),
   and the rate that gives.
3. How long reading the open entries at start takes, with every phone unfinished.

Nothing here is asserted: the machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

from agent.check import CheckResult, Metric
from agent.links.base import Provenance
from agent.session.events import (
    CheckFinished,
    DeviceIdentified,
    PhoneRef,
    QuestionAnswered,
    SessionStarted,
)
from agent.session.journal import Journal


def events(phones: int, checks: int) -> list[tuple[object, object]]:
    out: list[tuple[object, object]] = []
    for n in range(phones):
        sid, ref = f"session-{n}", PhoneRef(f"SERIAL{n:04d}", "android", n + 1, "Pixel 7")
        session = SimpleNamespace(provenance=Provenance("usb", f"usb:1-1.{n}"))
        out.append((session, SessionStarted(sid, ref, f"adb:SERIAL{n:04d}", ("identity",))))
        out.append((session, DeviceIdentified(sid, ref, {"platform": "android", "model": "Pixel 7"})))
        for c in range(checks):
            result = CheckResult("measured", {f"figure_{i}": Metric(i * 10, "dumpsys battery") for i in range(8)})
            out.append((session, CheckFinished(sid, f"check{c}", result)))
        for key in ("screen.visual", "cosmetic_grade", "notes"):
            out.append((session, QuestionAnswered(sid, key, "B")))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--phones", type=int, default=32)
    parser.add_argument("--checks", type=int, default=6)
    args = parser.parse_args()
    todo = events(args.phones, args.checks)
    with tempfile.TemporaryDirectory() as tmp:
        journal = Journal(Path(tmp) / "journal.sqlite3")
        started = time.perf_counter()
        for session, event in todo:
            journal.note(session, event)  # type: ignore[arg-type]
        queued = time.perf_counter() - started
        journal.flush()
        committed = time.perf_counter() - started
        started = time.perf_counter()
        unfinished = journal.unfinished()
        read = time.perf_counter() - started
        journal.shut()
    print(f"{len(todo)} events from {args.phones} phones")
    print(f"note() on the caller's thread: {queued / len(todo) * 1e6:.1f} us per event")
    print(f"committed by the writer: {committed:.2f} s ({len(todo) / committed:.0f} transactions/s)")
    print(f"reading {len(unfinished)} unfinished sessions at start: {read * 1000:.1f} ms")


if __name__ == "__main__":
    main()
