"""The engine over in-process replay links: events, outcomes, interruption, questions."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from agent.check import Check, CheckContext, CheckResult, Metric, known
from agent.delivery.ledger import SideRecord
from agent.fixtures.format import parse_fixture
from agent.links.replay import replay_link
from agent.session.engine import run_session
from agent.session.events import CheckFinished, QuestionAsked, ReportSaved, SessionGraded, SessionStarted
from agent.session.operator import AnswersOperator
from agent.session.station import open_station

FIXTURE = """
format: phonebench-fixture/1
name: tiny phone
platform: android
source: made up for engine tests
android:
  serial: TINY0001
  commands:
    getprop:
      stdout: |
        [ro.product.manufacturer]: [Google]
        [ro.product.brand]: [google]
        [ro.product.model]: [Pixel 7]
        [ro.product.device]: [panther]
        [ro.build.version.release]: [14]
        [ro.build.id]: [UQ1A.240205.004]
        [ro.serialno]: [TINY0001]
    echo a: {stdout: "a\\n"}
    echo b: {stdout: "b\\n", delay_ms: 5}
"""


class Echo(Check):
    """Reads one command; used to pin the engine's handling of outcomes."""

    platforms = frozenset({"android"})

    def __init__(self, name: str, command: str, started: asyncio.Event | None = None, wait: asyncio.Event | None = None):
        self.name, self.title, self.command = name, name.title(), command
        self.started, self.wait = started, wait

    async def run(self, ctx: CheckContext) -> Any:
        if self.started:
            self.started.set()
        if self.wait:
            await asyncio.wait_for(self.wait.wait(), 5)
        result = await ctx.link.shell(self.command, timeout=ctx.timeout_s)
        return {"text": known(result.stdout.strip() or None, self.command)}


class Raises(Check):
    name, title = "raises", "Raises"

    async def run(self, ctx: CheckContext) -> Any:
        raise ZeroDivisionError("boom")


class ReturnsNonsense(Check):
    name, title = "nonsense", "Nonsense"

    async def run(self, ctx: CheckContext) -> Any:
        return 42


def _bench(tmp_path: Path, checks: list[Check], **kw: Any):
    bench = open_station("default", record=SideRecord(tmp_path / "reports"), **kw)
    identity = [c for c in bench.checks if c.name == "identity"]
    bench.checks = identity + checks
    return bench


def _run(fixture_text: str, bench) -> list:
    link = replay_link(parse_fixture(fixture_text))

    async def collect() -> list:
        return [e async for e in run_session(link, bench)]

    return asyncio.run(collect())


def test_a_session_starts_identifies_measures_grades_and_ends_with_a_saved_report(tmp_path: Path) -> None:
    events = _run(FIXTURE, _bench(tmp_path, [Echo("alpha", "echo a")]))
    assert isinstance(events[0], SessionStarted)
    assert isinstance(events[-1], ReportSaved)
    assert any(isinstance(e, SessionGraded) for e in events)
    report = events[-1].report
    assert report["device"]["model"] == "Pixel 7"
    assert report["device"]["catalog_key"] is not None
    alpha = next(c for c in report["checks"] if c["name"] == "alpha")
    assert alpha["metrics"]["text"] == {"value": "a", "source": "echo a"}
    assert Path(events[-1].path).is_file()


def test_checks_after_identity_run_concurrently(tmp_path: Path) -> None:
    async def scenario() -> list:
        a_started, b_started = asyncio.Event(), asyncio.Event()
        # each check waits for the other to have started: only concurrency lets both finish
        checks = [Echo("alpha", "echo a", a_started, b_started), Echo("beta", "echo b", b_started, a_started)]
        bench = _bench(tmp_path, checks)
        link = replay_link(parse_fixture(FIXTURE))
        return [e async for e in run_session(link, bench)]

    events = asyncio.run(scenario())
    finished = {e.check: e.result.outcome for e in events if isinstance(e, CheckFinished)}
    assert finished["alpha"] == finished["beta"] == "measured"


def test_an_exception_in_a_check_is_an_error_outcome_and_the_session_goes_on(tmp_path: Path) -> None:
    events = _run(FIXTURE, _bench(tmp_path, [Raises(), ReturnsNonsense(), Echo("alpha", "echo a")]))
    results = {e.check: e.result for e in events if isinstance(e, CheckFinished)}
    assert results["raises"].outcome == "error" and "ZeroDivisionError" in results["raises"].detail
    assert results["nonsense"].outcome == "error"
    assert results["alpha"].outcome == "measured"
    assert isinstance(events[-1], ReportSaved)


def test_a_disconnect_interrupts_the_session_and_its_report_carries_no_grade(tmp_path: Path) -> None:
    text = FIXTURE + "faults:\n  - {kind: disconnect, at: echo b}\n"
    events = _run(text, _bench(tmp_path, [Echo("beta", "echo b")]))
    report = events[-1].report
    beta = next(c for c in report["checks"] if c["name"] == "beta")
    assert beta["outcome"] == "interrupted"
    assert report["session"]["complete"] is False
    assert "disconnected" in report["session"]["incomplete_reason"]
    assert report["grade"] is None


def test_a_check_for_another_platform_is_unsupported(tmp_path: Path) -> None:
    class IosOnly(Echo):
        platforms = frozenset({"ios"})

    events = _run(FIXTURE, _bench(tmp_path, [IosOnly("ios_only", "echo a")]))
    result = next(e.result for e in events if isinstance(e, CheckFinished) and e.check == "ios_only")
    assert result.outcome == "unsupported"


def test_questions_go_to_the_operator_and_answers_land_in_the_report(tmp_path: Path) -> None:
    operator = AnswersOperator({"cosmetic_grade": "B", "screen.visual": []}, {"TINY0001": {"cosmetic_grade": "C"}})
    bench = open_station("default", record=SideRecord(tmp_path / "r"), operator=operator)
    events = _run(FIXTURE, bench)
    asked = [e.question.key for e in events if isinstance(e, QuestionAsked)]
    assert "cosmetic_grade" in asked
    report = events[-1].report
    assert report["answers"]["cosmetic_grade"] == "C"  # the per-device answer wins


def test_unanswered_questions_are_not_a_pass(tmp_path: Path) -> None:
    events = _run(FIXTURE, open_station("default", record=SideRecord(tmp_path / "r")))
    report = events[-1].report
    assert "cosmetic_grade" not in report["answers"]
    screen = next(c for c in report["checks"] if c["name"] == "screen")
    assert screen["verdict"] != "pass"
    assert report["grade"]["value"] == "review"


@pytest.mark.parametrize("bad", [CheckResult("measured", {"x": Metric(None, "s", "r")})])
def test_check_results_pass_through_unchanged(tmp_path: Path, bad: CheckResult) -> None:
    class Fixed(Check):
        name, title = "fixed", "Fixed"

        async def run(self, ctx: CheckContext) -> Any:
            return bad

    events = _run(FIXTURE, _bench(tmp_path, [Fixed()]))
    result = next(e.result for e in events if isinstance(e, CheckFinished) and e.check == "fixed")
    assert result == bad


def test_rerunning_one_check_carries_the_others_over_and_says_from_where(tmp_path: Path) -> None:
    from agent.session.carried import carry_over

    bench = _bench(tmp_path, [Echo("alpha", "echo a"), Echo("beta", "echo b")])
    first = _run(FIXTURE, bench)[-1].report
    link = replay_link(parse_fixture(FIXTURE))

    async def again() -> list:
        return [e async for e in run_session(link, bench, carried=carry_over(first, {"beta"}))]

    second = asyncio.run(again())[-1].report
    alpha = next(c for c in second["checks"] if c["name"] == "alpha")
    beta = next(c for c in second["checks"] if c["name"] == "beta")
    assert alpha["metrics"] == next(c for c in first["checks"] if c["name"] == "alpha")["metrics"]
    assert alpha["detail"] == f"carried over from report {first['report_id']}"
    assert beta["detail"] is None  # measured again, now
    assert second["chain"]["sequence"] == first["chain"]["sequence"] + 1


def test_answers_given_before_are_not_asked_again(tmp_path: Path) -> None:
    bench = open_station("default", record=SideRecord(tmp_path / "r"))
    link = replay_link(parse_fixture(FIXTURE))

    async def run() -> list:
        return [e async for e in run_session(link, bench, answers={"cosmetic_grade": "B"})]

    events = asyncio.run(run())
    assert "cosmetic_grade" not in [e.question.key for e in events if isinstance(e, QuestionAsked)]
    assert events[-1].report["answers"]["cosmetic_grade"] == "B"
