"""The supervisor when a phone is unplugged and plugged in again: its session is withdrawn at
once (questions taken back, an incomplete report with no grade), and the phone back gets a
new session, unless it had just finished complete (USB resets after Trust).

Over recorded phones (ReplaySource, replay links, whose transport always says the phone is
there, so only the supervisor's word can stop a session) with the TUI's question queue as
the technician. The limits only stop a hung test; they are not timings."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest

from agent.check import Question
from agent.delivery.ledger import SideRecord
from agent.discovery import Sighting
from agent.discovery.replay import ReplaySource
from agent.fixtures.format import Fixture, load_fixture
from agent.links.base import Link
from agent.links.replay import replay_link
from agent.session.engine import run_session
from agent.session.events import (
    BenchEvent,
    CheckStarted,
    PhoneGone,
    PhoneRef,
    PhoneSeen,
    ReportSaved,
    SessionStarted,
    SlotEvent,
)
from agent.session.station import open_station
from agent.session.supervisor import Supervisor, canonical
from agent.session.withdrawal import Withdrawal
from agent.tui.question_queue import TuiOperator

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
ANSWERS = {"screen.visual": [], "cosmetic_grade": "B", "notes": "ok"}

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def fixture(name: str) -> Fixture:
    return load_fixture(next(FIXTURES.rglob(name)))


def slow_battery(f: Fixture) -> Fixture:
    assert f.android is not None
    commands = dict(f.android.commands)
    commands["dumpsys battery"] = dataclasses.replace(commands["dumpsys battery"], delay_ms=60_000)
    return dataclasses.replace(f, android=dataclasses.replace(f.android, commands=commands))


async def until(condition: Callable[[], Any], what: str, limit: int = 3000) -> Any:
    for _ in range(limit):
        if value := condition():
            return value
        await asyncio.sleep(0.01)
    raise AssertionError(f"gave up waiting for {what}")


class OneByOne:
    """A headless technician without forms who answers only when told."""

    def __init__(self) -> None:
        self.waiting: list[asyncio.Future[Any]] = []

    async def ask(self, question: Question, phone: PhoneRef) -> Any | None:
        self.waiting.append(asyncio.get_running_loop().create_future())
        return await self.waiting[-1]


class Bench:
    """A supervisor over recorded phones, running while the ``async with`` lasts."""

    def __init__(self, tmp_path: Path, fixtures: Sequence[Fixture], operator: Any, rejoin_s: float = 60.0,
                 open_link: Callable[[Sighting], Any] | None = None) -> None:
        self.source = ReplaySource(fixtures)
        self.operator = operator
        station = open_station("default", record=SideRecord(tmp_path / "reports"), operator=operator)
        self.supervisor = Supervisor(station, [self.source], open_link or self.source.open_link,
                                     rejoin_s=rejoin_s, retry_s=0.01)
        self.events: list[BenchEvent] = []

    async def __aenter__(self) -> Bench:
        self.task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        tb: TracebackType | None) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)

    async def _run(self) -> None:
        async for event in self.supervisor.events():
            self.events.append(event)

    def of(self, kind: type) -> list[Any]:
        return [e.event for e in self.events if isinstance(e, SlotEvent) and isinstance(e.event, kind)]

    def reports(self) -> list[dict[str, Any]]:
        return [e.report for e in self.of(ReportSaved)]

    def seen_since_gone(self) -> list[str] | None:
        """The phone's states since it was last unplugged (None before that)."""
        gone = max((i for i, e in enumerate(self.events) if isinstance(e, PhoneGone)), default=None)
        return None if gone is None else [e.state for e in self.events[gone + 1:] if isinstance(e, PhoneSeen)]


async def test_unplugged_while_its_form_waits_the_form_is_withdrawn_and_nothing_is_graded(tmp_path: Path) -> None:
    phone = fixture("pixel-7.yaml")
    async with Bench(tmp_path, [phone], TuiOperator()) as bench:
        form = await until(lambda: bench.operator.head, "the phone's form")
        bench.source.unplug(phone.device_id)
        (report,) = await until(bench.reports, "the report")
        assert bench.operator.waiting == 0 and form.withdrawn
        assert bench.operator.answer(form, ANSWERS) is False  # a stale answer reaches nobody
    assert report["session"]["complete"] is False and report["grade"] is None
    assert report["session"]["incomplete_reason"] == "phone unplugged before its questions were answered"
    assert report["answers"] == {}


async def test_a_headless_technician_s_pending_question_is_withdrawn_too(tmp_path: Path) -> None:
    phone = fixture("iphone-13.yaml")
    async with Bench(tmp_path, [phone], OneByOne()) as bench:
        await until(lambda: bench.operator.waiting, "a question")
        bench.source.unplug(phone.device_id)
        (report,) = await until(bench.reports, "the report")
        assert bench.operator.waiting[0].cancelled()
    assert report["grade"] is None
    assert report["session"]["incomplete_reason"] == "phone unplugged before its questions were answered"


async def test_unplugged_during_its_checks_the_session_stops_without_waiting_for_a_failing_read(tmp_path: Path) -> None:
    phone = slow_battery(fixture("pixel-7.yaml"))  # the battery read would take a minute
    async with Bench(tmp_path, [phone], TuiOperator()) as bench:
        await until(lambda: any(e.check == "battery" for e in bench.of(CheckStarted)), "the battery check")
        bench.source.unplug(phone.device_id)
        (report,) = await until(bench.reports, "the report")
        assert bench.operator.waiting == 0  # never asked
    battery = next(c for c in report["checks"] if c["name"] == "battery")
    assert battery["outcome"] == "interrupted" and battery["detail"] == "phone unplugged during the checks"
    assert report["grade"] is None and report["session"]["incomplete_reason"] == "phone unplugged during the checks"


async def test_plugged_in_again_while_its_questions_wait_it_gets_a_new_session_and_a_fresh_form(tmp_path: Path) -> None:
    phone = fixture("pixel-7.yaml")
    async with Bench(tmp_path, [phone], TuiOperator(), rejoin_s=60.0) as bench:
        stale = await until(lambda: bench.operator.head, "the phone's form")
        bench.source.unplug(phone.device_id)
        bench.source.plug(phone.device_id)  # back at once, well within rejoin_s
        fresh = await until(lambda: bench.operator.head not in (None, stale) and bench.operator.head, "a fresh form")
        assert stale.withdrawn and bench.operator.waiting == 1
        bench.operator.answer(fresh, ANSWERS)
        first, second = await until(lambda: len(bench.reports()) == 2 and bench.reports(), "two reports")
    assert first["grade"] is None and first["session"]["complete"] is False
    assert second["session"]["complete"] is True and second["grade"]["value"] == "B"
    assert first["session"]["slot"] == second["session"]["slot"]
    assert len(bench.of(SessionStarted)) == 2
    assert bench.seen_since_gone() == ["connecting", "connecting", "checking"]  # back, old session ended, new one


async def test_a_phone_that_finished_and_comes_back_within_rejoin_s_stays_done(tmp_path: Path) -> None:
    phone = fixture("pixel-7.yaml")
    async with Bench(tmp_path, [phone], TuiOperator(), rejoin_s=60.0) as bench:
        bench.operator.answer(await until(lambda: bench.operator.head, "the form"), ANSWERS)
        await until(bench.reports, "the report")
        bench.source.unplug(phone.device_id)
        bench.source.plug(phone.device_id)
        await until(lambda: bench.seen_since_gone() == ["done"], "the phone back, done")
        state = bench.supervisor.phones[canonical(phone.device_id)]
        assert state.state == "done" and state.task is not None and state.task.done()
    assert len(bench.of(SessionStarted)) == 1


async def test_a_phone_that_left_and_came_back_while_its_link_opened_is_checked_once(tmp_path: Path) -> None:
    phone = fixture("pixel-7.yaml")
    gate, opened = asyncio.Event(), []

    async def open_link(sighting: Sighting) -> Link:
        opened.append(sighting)
        if len(opened) == 1:
            await gate.wait()  # the first link opens slowly, to an attachment that is gone by then
        return await bench.source.open_link(sighting)

    async with Bench(tmp_path, [phone], TuiOperator(), open_link=open_link) as bench:
        await until(lambda: opened, "the first link opening")
        bench.source.unplug(phone.device_id)
        bench.source.plug(phone.device_id)
        await until(lambda: bench.seen_since_gone() == ["connecting"], "the phone back")
        gate.set()
        await until(lambda: bench.operator.head, "the form")
    assert len(opened) == 2 and len(bench.of(SessionStarted)) == 1


async def test_a_session_withdrawn_before_it_started_measures_nothing(tmp_path: Path) -> None:
    withdrawal = Withdrawal()
    withdrawal.withdraw("phone unplugged")
    station = open_station("default", record=SideRecord(tmp_path / "r"), operator=TuiOperator())
    events = [e async for e in run_session(replay_link(fixture("pixel-7.yaml")), station, 1, withdrawal=withdrawal)]
    report = events[-1].report
    assert {c["outcome"] for c in report["checks"]} == {"interrupted"}
    assert report["grade"] is None and report["session"]["incomplete_reason"] == "phone unplugged during the checks"
