"""After a restart, the card of an unfinished phone belongs to its port: another phone plugged
into that port takes the card (same slot), and the unfinished phone still gets its one
incomplete report, without a card event on the new phone's slot. Over recorded phones (a
ReplaySource whose sightings are given a port) and a real journal in SQLite."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from agent.delivery.ledger import SideRecord
from agent.discovery.replay import ReplaySource
from agent.fixtures.format import load_fixture
from agent.links.replay import replay_link
from agent.ports import Port
from agent.session.engine import run_session
from agent.session.events import BenchEvent, PhoneGone, PhoneSeen, QuestionAsked, ReportSaved, SlotEvent
from agent.session.hub import SimulatedPorts
from agent.session.journal import Journal
from agent.session.station import open_station
from agent.session.supervisor import Supervisor
from tests.engine.test_engine_journal import FIXTURES, Stalls

ANSWERS = {"screen.visual": [], "cosmetic_grade": "B", "notes": "ok"}


async def _cut_off(reports: Path) -> None:
    bench = open_station("default", record=SideRecord(reports), operator=Stalls({"screen.visual": ["lines"]}))
    link = replay_link(load_fixture(next(FIXTURES.rglob("pixel-7.yaml"))))
    events = run_session(link, bench, slot=3, port=Port("1-1.3"))
    async for event in events:
        if isinstance(event, QuestionAsked) and event.question.key != "screen.visual":
            break
    await events.aclose()
    assert isinstance(bench.journal, Journal)
    bench.journal.shut()


def test_a_phone_in_an_unfinished_phone_s_port_takes_its_card(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    asyncio.run(_cut_off(reports))
    (cut,) = Journal(reports / "journal.sqlite3").unfinished()
    moto = load_fixture(next(FIXTURES.rglob("moto-g7.yaml")))
    source = ReplaySource([moto])
    bench = open_station("default", record=SideRecord(reports), operator=Stalls(ANSWERS))
    supervisor = Supervisor(bench, [SimulatedPorts(source, {moto.device_id: "1-1.3"})], source.open_link,
                            settle_s=0.05)
    events: list[BenchEvent] = []

    async def run() -> None:
        stream = supervisor.events()
        try:
            async with asyncio.timeout(120):
                async for event in stream:
                    events.append(event)
                    if isinstance(event, SlotEvent) and isinstance(event.event, ReportSaved):
                        return
        finally:
            await stream.aclose()

    asyncio.run(run())
    seen = [e for e in events if isinstance(e, PhoneSeen)]
    assert (seen[0].slot, seen[0].state, seen[0].port) == (3, "unfinished", "1-1.3")
    assert {e.slot for e in seen if e.phone.device_id == moto.device_id} == {3}  # the same card
    assert not [e for e in events if isinstance(e, PhoneGone)]  # nothing says the new phone left
    journal = bench.journal
    assert isinstance(journal, Journal)
    assert journal.state(cut.session_id) == "reported"  # the unfinished phone's incomplete report is kept
    report: Any = next(e.event.report for e in events if isinstance(e, SlotEvent) and isinstance(e.event, ReportSaved))
    assert report["device"]["model"] != "Pixel 7" and report["session"]["slot"] == 3
