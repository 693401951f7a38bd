"""The session journal over a real SQLite file, and sessions resumed or closed from it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from agent.check import Question
from agent.delivery.ledger import SideRecord
from agent.fixtures.format import load_fixture
from agent.links.replay import replay_link
from agent.session.engine import Station, run_session
from agent.session.events import PhoneRef, QuestionAsked, ReportSaved
from agent.session.journal import Journal
from agent.session.resume import Resumer, close_cut_off, journaled_work
from agent.session.station import open_station

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


class Stalls:
    """Answers the questions it knows, then waits for ever (the technician walked away)."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers

    async def ask(self, question: Question, phone: PhoneRef) -> Any:
        if question.key in self.answers:
            return self.answers[question.key]
        await asyncio.Event().wait()


def _bench(out: Path, operator: Any) -> Station:
    return open_station("default", record=SideRecord(out), operator=operator)


async def _cut_off(bench: Station, name: str = "pixel-7.yaml") -> None:
    """A session stopped by a quit while a question is pending (the task is cancelled)."""
    link = replay_link(load_fixture(next(FIXTURES.rglob(name))))
    events = run_session(link, bench, slot=3)
    async for event in events:
        if isinstance(event, QuestionAsked) and event.question.key not in bench.operator.answers:  # type: ignore[attr-defined]
            break
    await events.aclose()


def _journal(bench: Station) -> Journal:
    assert isinstance(bench.journal, Journal)
    return bench.journal


def test_a_cut_off_session_stays_open_with_its_results_and_answers(tmp_path: Path) -> None:
    bench = _bench(tmp_path, Stalls({"screen.visual": ["lines"]}))
    asyncio.run(_cut_off(bench))
    _journal(bench).shut()
    (entry,) = Journal(tmp_path / "journal.sqlite3").unfinished()  # read again from the file
    assert (entry.key, entry.slot, entry.platform, entry.provenance) == ("2B151FDH2000AB", 3, "android", "replay")
    assert entry.device["model"] == "Pixel 7"
    assert {"identity", "battery", "storage", "screen"} <= set(entry.checks)
    assert entry.checks["battery"][0]["outcome"] == "measured"
    assert entry.answers == {"screen.visual": ["lines"]}


def test_a_saved_report_closes_its_entry(tmp_path: Path) -> None:
    bench = _bench(tmp_path, Stalls({"screen.visual": [], "cosmetic_grade": "B", "notes": ""}))
    link = replay_link(load_fixture(next(FIXTURES.rglob("pixel-7.yaml"))))

    async def run() -> str:
        return next(e.session_id for e in [e async for e in run_session(link, bench)] if isinstance(e, ReportSaved))

    session_id = asyncio.run(run())
    assert _journal(bench).unfinished() == []
    assert _journal(bench).state(session_id) == "reported"


def test_a_resumed_session_asks_only_what_is_missing_and_carries_the_rest(tmp_path: Path) -> None:
    bench = _bench(tmp_path, Stalls({"screen.visual": ["lines"]}))
    asyncio.run(_cut_off(bench))
    (entry,) = _journal(bench).unfinished()
    asked: list[str] = []

    class Rest:
        async def ask(self, question: Question, phone: PhoneRef) -> Any:
            asked.append(question.key)
            return {"cosmetic_grade": "B", "notes": "after restart"}.get(question.key)

    bench.operator = Rest()

    async def resume() -> dict:
        link = replay_link(load_fixture(next(FIXTURES.rglob("pixel-7.yaml"))))
        resumer = Resumer(bench)
        async for event in run_session(link, bench, 3, carried=journaled_work(entry), answers=entry.answers):
            if event.__class__.__name__ == "SessionStarted":
                resumer.resumed(entry, event.session_id)
            if isinstance(event, ReportSaved):
                return event.report
        raise AssertionError("no report")

    report = asyncio.run(resume())
    assert "screen.visual" not in asked and "cosmetic_grade" in asked
    assert report["answers"]["screen.visual"] == ["lines"] and report["grade"] is not None
    battery = next(c for c in report["checks"] if c["name"] == "battery")
    assert battery["detail"].startswith("measured before the restart, at 20")
    identity = next(c for c in report["checks"] if c["name"] == "identity")
    assert "before the restart" not in (identity["detail"] or "")  # identity is measured again
    assert _journal(bench).unfinished() == []
    assert _journal(bench).state(entry.session_id) == "resumed"


def test_a_phone_not_back_becomes_one_incomplete_report_keeping_what_was_measured(tmp_path: Path) -> None:
    bench = _bench(tmp_path, Stalls({"screen.visual": ["lines"]}))
    asyncio.run(_cut_off(bench))
    (entry,) = _journal(bench).unfinished()
    stored = close_cut_off(bench, _journal(bench), entry)
    assert stored is not None
    report = stored.report
    assert report["report_id"] == entry.session_id and report["grade"] is None
    assert report["session"]["complete"] is False and "cut off" in report["session"]["incomplete_reason"]
    assert report["session"]["provenance"] == "replay" and report["session"]["slot"] == 3
    battery = next(c for c in report["checks"] if c["name"] == "battery")
    assert battery["outcome"] == "measured" and battery["metrics"]
    assert report["answers"] == {"screen.visual": ["lines"]}
    assert _journal(bench).unfinished() == []


def test_a_crash_after_saving_but_before_closing_gives_no_second_report(tmp_path: Path) -> None:
    bench = _bench(tmp_path, Stalls({}))
    asyncio.run(_cut_off(bench))
    (entry,) = _journal(bench).unfinished()
    stored = close_cut_off(bench, _journal(bench), entry)
    assert stored is not None
    # as if the process died before the journal's close was committed
    _journal(bench).flush()
    _journal(bench).db.conn().execute("UPDATE sessions SET state = 'open' WHERE id = ?", (entry.session_id,))
    assert Resumer(bench).recall() == []  # the ledger holds the report: the entry is only closed
    assert close_cut_off(bench, _journal(bench), entry) is None
    assert len(list(tmp_path.glob("*.dsse.json"))) == 1


def test_two_open_entries_of_one_phone_merge_into_the_later(tmp_path: Path) -> None:
    bench = _bench(tmp_path, Stalls({"screen.visual": ["lines"]}))
    asyncio.run(_cut_off(bench))
    bench.operator = Stalls({})
    asyncio.run(_cut_off(bench))  # the resume itself was cut off before it was linked to the first
    first, second = _journal(bench).unfinished()
    (merged,) = Resumer(bench).recall()
    assert merged.session_id == second.session_id and merged.answers == {"screen.visual": ["lines"]}


@pytest.mark.parametrize("how", ["shut", "dropped"])
def test_queued_writes_are_committed_when_the_journal_is_shut_or_dropped(tmp_path: Path, how: str) -> None:
    journal = Journal(tmp_path / "journal.sqlite3")
    for n in range(50):
        journal.close(f"s{n}")  # no rows to close: only the queue matters here
    from agent.check import CheckResult
    from agent.session.events import CheckFinished, SessionStarted

    journal.note(None, SessionStarted("s", PhoneRef("abc-1", "ios", 1), "usbmux:abc", ("identity",)))
    journal.note(None, CheckFinished("s", "identity", CheckResult("measured")))
    if how == "shut":
        journal.shut()
    else:
        del journal
    (entry,) = Journal(tmp_path / "journal.sqlite3").unfinished()
    assert entry.key == "ABC1" and set(entry.checks) == {"identity"} and entry.provenance is None


def test_a_cut_off_session_keeps_its_port_into_the_incomplete_report(tmp_path: Path) -> None:
    from agent.ports import Port

    bench = _bench(tmp_path, Stalls({"screen.visual": ["lines"]}))

    async def cut_off() -> None:
        link = replay_link(load_fixture(next(FIXTURES.rglob("pixel-7.yaml"))))
        events = run_session(link, bench, slot=3, port=Port("sim-1.3", "left 3"))
        async for event in events:
            if isinstance(event, QuestionAsked) and event.question.key not in bench.operator.answers:  # type: ignore[attr-defined]
                break
        await events.aclose()

    asyncio.run(cut_off())
    _journal(bench).shut()
    journal = Journal(tmp_path / "journal.sqlite3")
    (entry,) = journal.unfinished()
    assert entry.port == {"path": "sim-1.3", "name": "left 3", "usbmux_location": None}
    bench = _bench(tmp_path, Stalls({}))
    stored = close_cut_off(bench, _journal(bench), _journal(bench).unfinished()[0])
    assert stored is not None and stored.report["session"]["port"]["path"] == "sim-1.3"


def test_a_journal_file_from_before_ports_gains_the_column_and_keeps_its_entries(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "journal.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE sessions (id TEXT PRIMARY KEY, key TEXT NOT NULL, device_id TEXT NOT NULL,"
                   " platform TEXT NOT NULL, slot INTEGER, link TEXT, provenance TEXT, transport_id TEXT, device TEXT,"
                   " model TEXT, started_at TEXT NOT NULL, graded INTEGER NOT NULL DEFAULT 0,"
                   " state TEXT NOT NULL DEFAULT 'open', closed_at TEXT, note TEXT)")
        db.execute("INSERT INTO sessions (id, key, device_id, platform, started_at) VALUES ('s', 'K', 'k', 'ios', 'now')")
    db.close()
    journal = Journal(path)
    (entry,) = journal.unfinished()
    assert entry.session_id == "s" and entry.port is None and entry.port_ref() is None
    journal.shut()
