"""Helpers for the TUI tests: apps over recorded phones, and a scripted bench whose
events are fixed, so snapshots show the same screen on every run."""

from __future__ import annotations

import asyncio
import copy
import shutil
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from textual.events import Key

from agent.delivery.ledger import SideRecord
from agent.discovery.replay import ReplaySource
from agent.fixtures.format import load_fixture
from agent.links.replay import replay_link
from agent.ports import Port
from agent.session.engine import run_session
from agent.session.events import (
    BenchEvent,
    Event,
    PhoneGone,
    PhoneRef,
    PhoneSeen,
    ReportSaved,
    SessionFailed,
    SessionStarted,
    SlotEvent,
)
from agent.session.operator import AnswersOperator
from agent.session.station import open_station
from agent.session.supervisor import Supervisor
from agent.tui.app import BenchApp
from agent.tui.question_queue import TuiOperator

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
ANSWERS = {"screen.visual": [], "cosmetic_grade": "B", "notes": "scuff on frame"}
FIXED_KEYID = "sha256:" + "ab" * 32
#: the station config's names for some ports of the scripted bench
PORT_NAMES = {1: "left 1"}


def burst(app: Any, keys: Iterable[str]) -> None:
    """Keys as a terminal delivers a quick burst of typing: all at once through the driver,
    nothing handled in between (Pilot.press waits for each key to be handled)."""
    for key in keys:
        character = key if len(key) == 1 else None
        event = Key(key, character)
        event.set_sender(app)
        app._driver.send_message(event)


def answer(form: Any, answers: dict[str, Any]) -> None:
    """Fill a phone's form (a QuestionForm on screen) as the technician would, then save it."""
    form.fill(answers)
    form.action_save()


def fixture_path(name: str) -> Path:
    return next(FIXTURES.rglob(name))


def replay_app(tmp_path: Path, names: Iterable[str]) -> tuple[BenchApp, Path]:
    """The real app over ReplaySource: supervisor, engine, grading, signing; reports in tmp."""
    out = tmp_path / "out"
    operator = TuiOperator()
    bench = open_station("default", record=SideRecord(out), operator=operator)
    source = ReplaySource([load_fixture(fixture_path(n)) for n in names])
    supervisor = Supervisor(bench, [source], source.open_link, rejoin_s=0.2, retry_s=0.05)
    return BenchApp(supervisor, operator, "default"), out


async def wait_for(pilot: Any, condition: Callable[[], Any], what: str, limit: int = 400) -> None:
    """Let the app run until ``condition`` holds and the screen shows it: no event waits
    on the bench thread's side, none in the model (the limit only stops a hung test)."""
    for _ in range(limit):
        app = pilot.app
        if condition() and not app.bench.pending and not app.model.dirty and not app.model.lines:
            await pilot.pause()
            return
        await pilot.pause(0.02)
    raise AssertionError(f"gave up waiting for {what}")


class ScriptedSupervisor:
    """Stands in for the supervisor: yields fixed events, then stays quiet like an idle bench."""

    def __init__(self, events: list[BenchEvent]) -> None:
        self.script = events
        self.phones: dict[str, Any] = {}

    async def events(self) -> AsyncIterator[BenchEvent]:
        for event in self.script:
            yield event
        await asyncio.Event().wait()


async def recorded_session(name: str, slot: int, out: Path, answers: dict[str, Any] = ANSWERS) -> list[BenchEvent]:
    """One real session over a fixture, answered from ``answers``, with ids and paths fixed."""
    bench = open_station("default", record=SideRecord(out), operator=AnswersOperator(answers, {}))
    link = replay_link(load_fixture(fixture_path(name)))
    port = Port(f"1-1.{slot}", PORT_NAMES.get(slot))  # as a bench's hub would number them
    events: list[Event] = [e async for e in run_session(link, bench, slot, port=port)]
    seen = PhoneSeen(slot, PhoneRef(link.device_id, link.platform, slot), "checking", port=port.path, port_name=port.name)
    return [seen, *(SlotEvent(slot, _fixed(e, slot)) for e in events)]


def _fixed(event: Event, slot: int) -> Event:
    if not isinstance(event, ReportSaved):
        return event
    report = copy.deepcopy(event.report)
    report["report_id"] = f"00000000-0000-4000-8000-{slot:012d}"
    report["station"]["key_id"] = FIXED_KEYID
    envelope = {"signatures": [{"keyid": FIXED_KEYID, "sig": "-"}]}
    return replace(event, report=report, envelope=envelope, path=Path("reports") / f"00000{slot}-report.dsse.json")


def until(events: list[BenchEvent], kind: type, count: int = 1) -> list[BenchEvent]:
    """The events up to and including the ``count``-th session event of ``kind``."""
    seen = 0
    for i, event in enumerate(events):
        if isinstance(event, SlotEvent) and isinstance(event.event, kind):
            seen += 1
            if seen == count:
                return events[: i + 1]
    return events


async def mixed_bench(out: Path) -> list[BenchEvent]:
    """A bench in every state a technician meets: done (good, failed, for review), running,
    needs you, waiting, incomplete, error and unplugged."""
    from agent.session.events import CheckFinished, QuestionAsked

    events: list[BenchEvent] = []
    events += await recorded_session("pixel-7.yaml", 1, out)
    events += await recorded_session("storage-counterfeit.yaml", 2, out)
    events += until(await recorded_session("galaxy-s23.yaml", 3, out), CheckFinished, 2)
    events += until(await recorded_session("iphone-13.yaml", 4, out), QuestionAsked)
    events.append(PhoneSeen(5, PhoneRef("00008110-001C45E83A0B401E", "ios", 5), "trust_pending",
                            "Tap Trust on the phone and enter its passcode", port="1-1.5"))
    events.append(PhoneSeen(6, PhoneRef("2B151FDH2000UA", "android", 6), "unauthorized",
                            "Allow USB debugging on the phone (tick 'Always allow from this computer')", port="1-1.6"))
    events += await recorded_session("disconnect-mid-battery.yaml", 7, out)
    events += [PhoneSeen(8, PhoneRef("R58N90ABCDE", "android", 8), "checking"),
               SlotEvent(8, SessionStarted("s8", PhoneRef("R58N90ABCDE", "android", 8), "adb:R58N90ABCDE", ("identity",))),
               SlotEvent(8, SessionFailed("s8", "adb: the phone stopped answering (device offline)"))]
    events += until(await recorded_session("moto-g7.yaml", 9, out), CheckFinished, 2)
    events.append(PhoneGone(9, "ZY22C0FFEE"))
    events += await recorded_session("oneplus-12.yaml", 10, out, answers={})
    return events


async def simulated_ports_bench(out: Path) -> list[BenchEvent]:
    """Three cards whose ports have a simulated bench's longer names (sim-1.N): done, needs you,
    and incomplete with its phone unplugged, the longest state a card shows."""
    from agent.session.events import QuestionAsked

    events: list[BenchEvent] = []
    for slot, name, stop in ((2, "pixel-7.yaml", None), (3, "iphone-13.yaml", QuestionAsked),
                             (4, "disconnect-mid-battery.yaml", None)):
        session = await recorded_session(name, slot, out)
        seen = session[0]
        assert isinstance(seen, PhoneSeen)
        session[0] = replace(seen, port=f"sim-1.{slot}", port_name=None)
        events += until(session, stop) if stop else session
    events.append(PhoneGone(4, next(e.phone.device_id for e in events if isinstance(e, PhoneSeen) and e.slot == 4)))
    return events


@pytest.fixture
def copy_fixture(tmp_path: Path) -> Callable[[str], Path]:
    def copy_one(name: str) -> Path:
        folder = tmp_path / "fixtures"
        folder.mkdir(exist_ok=True)
        return Path(shutil.copy(fixture_path(name), folder))

    return copy_one


def scripted_app(events: list[BenchEvent]) -> BenchApp:
    return BenchApp(ScriptedSupervisor(events), TuiOperator(), "default")


@pytest.fixture
def anyio_backend() -> str:
    """Pilot tests run on asyncio (anyio's pytest plugin; Textual runs on asyncio only)."""
    return "asyncio"
