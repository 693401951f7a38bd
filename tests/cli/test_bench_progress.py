"""The headless bench's progress: phones a quit or crash left unfinished are named by model
or port (never a fake adbd's loopback address) and their fate is counted."""

from __future__ import annotations

from agent.cli.bench_progress import BenchProgress
from agent.session.events import PhoneRef, PhoneSeen


def test_unfinished_phones_are_named_by_model_or_port_and_counted_as_resumed_or_closed() -> None:
    progress = BenchProgress({"127.0.0.1:5001": "galaxy-s23"})  # this run's simulator knows only its own serials
    progress.seen(PhoneSeen(4, PhoneRef("127.0.0.1:33605", "android", 4, "moto g7"), "unfinished", None, "sim-1.4"))
    progress.seen(PhoneSeen(5, PhoneRef("127.0.0.1:33606", "android", 5, None), "unfinished", None, "sim-1.5"))
    progress.seen(PhoneSeen(6, PhoneRef("127.0.0.1:33607", "android", 6, None), "unfinished"))
    progress.seen(PhoneSeen(1, PhoneRef("127.0.0.1:4001", "android", 1, None), "unfinished", None, "sim-1.1"))
    assert [progress.name(n) for n in (4, 5, 6)] == ["slot  4 moto g7", "slot  5 sim-1.5", "slot  6 phone"]
    assert "127.0.0.1" not in "".join(progress.name(n) for n in (1, 4, 5, 6))
    assert progress.recall_line() == "4 unfinished phones from before: 0 resumed, 0 closed as incomplete, 4 not resolved"
    progress.seen(PhoneSeen(1, PhoneRef("127.0.0.1:5001", "android", 1), "ready", None, "sim-1.1"))  # back, new serial
    assert progress.name(1) == "slot  1 galaxy-s23"
    for slot in (1, 4, 5, 6):
        progress.done(slot)
    assert progress.recall_line() == "4 unfinished phones from before: 1 resumed, 3 closed as incomplete"
    assert BenchProgress({}).recall_line() is None
