"""One session over one phone: identify, measure, ask, grade, sign, store.

``run_session`` is the only way a session runs. It yields events as they happen; the CLI
and the TUI consume them and nothing else. Checks after identity run concurrently, so a
session costs about its slowest check rather than the sum of them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from agent import questions
from agent.check import Check, CheckContext, CheckResult, Metric, Question
from agent.errors import LinkDisconnected, LinkError, LinkTimeout, PhonebenchError
from agent.links.base import DEFAULT_TIMEOUT_S, Link, Provenance
from agent.report.build import build_report, utc_now
from agent.session.events import (
    CheckFinished,
    CheckStarted,
    DeviceIdentified,
    Event,
    PhoneRef,
    QuestionAnswered,
    QuestionAsked,
    ReportSaved,
    SessionFailed,
    SessionGraded,
    SessionStarted,
)
from agent.session.operator import NoOperator, Operator

if TYPE_CHECKING:
    from agent.grading.catalog import Catalog
    from agent.grading.profile import Profile
    from agent.report.chain import StoredReport

log = logging.getLogger(__name__)

#: a check that runs longer than this is stopped and recorded as an error
CHECK_BUDGET_S = 60.0


class ReportSink(Protocol):
    """Where a finished session's report goes (``agent.delivery.ledger.Ledger``)."""

    @property
    def key_id(self) -> str: ...

    def save(self, report: dict[str, Any]) -> StoredReport: ...


@dataclass
class Station:
    """What every session on a station shares: the profile that grades, the checks, the
    model catalog, who answers questions, and the sink that signs and keeps reports.

    ``sink`` None runs sessions to their grade without signing or keeping anything: that is
    how ``record`` drives the checks over a phone."""

    profile: Profile
    checks: Sequence[Check]
    catalog: Catalog
    station_id: str
    sink: ReportSink | None
    operator: Operator = field(default_factory=NoOperator)
    timeout_s: float = DEFAULT_TIMEOUT_S


async def run_session(
    link: Link,
    bench: Station,
    slot: int | None = None,
    *,
    carried: Mapping[str, Any] | None = None,
    answers: Mapping[str, Any] | None = None,
) -> AsyncIterator[Event]:
    """Run one session and yield its events; the last one is ReportSaved or SessionFailed
    (SessionGraded when the station has no sink).

    ``carried`` re-runs only some checks: it maps the names of checks NOT to run again to
    the report entries (``report["checks"][i]``) of the earlier report they come from. Those
    results are copied with a detail naming that report, so the new report says which
    figures were measured now and which earlier; identity always runs again. ``answers``
    are the technician's answers already given for this phone, which are not asked again.
    """
    queue: asyncio.Queue[Event | None] = asyncio.Queue()
    session = _Session(link, bench, slot, queue.put_nowait, carried or {})
    session.answers.update(answers or {})
    task = asyncio.create_task(session.run())
    task.add_done_callback(lambda _: queue.put_nowait(None))
    try:
        while (event := await queue.get()) is not None:
            yield event
        task.result()
    finally:
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


class _Session:
    def __init__(
        self, link: Link, bench: Station, slot: int | None, emit: Callable[[Event], None], carried: Mapping[str, Any]
    ) -> None:
        self.link, self.bench, self.emit = link, bench, emit
        self.carried = {name: entry for name, entry in carried.items() if name != "identity"}
        self.id = str(uuid.uuid4())
        self.phone = PhoneRef(link.device_id, link.platform, slot)
        self.results: dict[str, CheckResult] = {}
        self.answers: dict[str, Any] = {}
        self.device: dict[str, Any] = {"platform": link.platform}
        self.device_fields = device_fields(bench.checks)
        self.provenance = Provenance("simulated")  # until the link says
        self.model: Any = None
        self.gone: str | None = None

    async def run(self) -> None:
        try:
            await self._run()
        except PhonebenchError as e:
            self.emit(SessionFailed(self.id, str(e)))
        except Exception as e:  # the bench keeps going whatever one session does
            log.exception("session %s failed", self.id)
            self.emit(SessionFailed(self.id, f"internal error: {type(e).__name__}: {e}"))

    async def _run(self) -> None:
        started = utc_now()
        checks = list(self.bench.checks)
        self.emit(SessionStarted(self.id, self.phone, self.link.describe, tuple(c.name for c in checks)))
        self.provenance = await self.link.provenance(self.bench.timeout_s)
        identity = [c for c in checks if c.name == "identity"]
        for check in identity:
            await self._run_check(check)
        self._identify()
        await asyncio.gather(*(self._run_check(c) for c in checks if c.name != "identity"))
        if await self._left():  # a phone that left mid-read may have answered half a read first
            self.gone = self.gone or "phone disconnected during the checks"
        complete = self.gone is None
        if complete:
            # the profile's questions, then the technician's free notes
            for key in (*self.bench.profile.questions, questions.NOTES.key):
                if key not in self.answers and key in questions.ALL:
                    await self._ask(questions.ALL[key])
        from agent.grading.rules import grade

        grading = grade(self.bench.profile, self.results, self.answers, complete)
        self.emit(SessionGraded(self.id, grading))
        sink = self.bench.sink
        if sink is None:
            return
        report = build_report(session=self, started_at=started, grading=grading, complete=complete, key_id=sink.key_id)
        stored = await asyncio.to_thread(sink.save, report)
        self.emit(ReportSaved(self.id, stored.report, stored.envelope, stored.path))

    async def _run_check(self, check: Check) -> None:
        self.emit(CheckStarted(self.id, check.name))
        if check.name in self.carried:
            result = carried_result(self.carried[check.name])
        else:
            result = _with_gaps(self.link, check, await self._measure(check))
        self.results[check.name] = result
        self.emit(CheckFinished(self.id, check.name, result))

    async def _measure(self, check: Check) -> CheckResult:
        if self.gone is not None:
            return CheckResult("interrupted", detail=self.gone)
        if self.link.platform not in check.platforms:
            return CheckResult("unsupported", detail=f"not available on {self.link.platform}")
        ctx = CheckContext(self.link, self.link.platform, dict(self.device), self.model, self._ask, self.bench.timeout_s)
        try:
            out = await asyncio.wait_for(check.run(ctx), CHECK_BUDGET_S)
        except LinkDisconnected as e:
            return self._interrupted(e)
        except (LinkTimeout, TimeoutError) as e:
            if await self._left():
                return self._interrupted(e)
            return CheckResult("error", detail=f"timed out: {e}" if str(e) else "timed out")
        except LinkError as e:
            if await self._left():
                return self._interrupted(e)
            return CheckResult("error", detail=str(e))
        except Exception as e:
            log.exception("check %s raised", check.name)
            return CheckResult("error", detail=f"check raised {type(e).__name__}: {e}")
        return _as_result(check.name, out)

    async def _left(self) -> bool:
        """After a failed read: has the phone left? Its transport says (adb's device list,
        usbmuxd's), not the error's text; a transport that cannot tell keeps the error."""
        if self.gone is not None:
            return True
        try:
            return await self.link.present(self.bench.timeout_s) is False
        except Exception:  # a broken transport is no proof either way
            log.exception("asking whether %s is still there", self.phone.device_id)
            return False

    def _interrupted(self, error: BaseException) -> CheckResult:
        self.gone = self.gone or f"phone disconnected: {error}"
        return CheckResult("interrupted", detail=self.gone)

    def _identify(self) -> None:
        result = self.results.get("identity")
        metrics = result.metrics if result else {}
        for name in self.device_fields:
            metric = metrics.get(name)
            if metric is not None and metric.value is not None:
                self.device[name] = metric.value
        codes = [self.device.get(k) for k in ("model", "model_code", "marketing_name")]
        self.model = self.bench.catalog.lookup(self.link.platform, *codes)
        if self.model is not None:
            self.device["catalog_key"] = self.model.key
            self.device.setdefault("marketing_name", self.model.marketing_name)
        label = self.device.get("marketing_name") or self.device.get("model")
        self.phone = PhoneRef(self.phone.device_id, self.phone.platform, self.phone.slot, label)
        self.emit(DeviceIdentified(self.id, self.phone, dict(self.device)))

    async def _ask(self, question: Question) -> Any:
        if question.key in self.answers:
            return self.answers[question.key]
        self.emit(QuestionAsked(self.id, self.phone, question))
        answer = await self.bench.operator.ask(question, self.phone)
        if answer is not None:
            try:
                answer = question.validate(answer)
            except ValueError as e:
                log.warning("ignoring answer for %s: %s", question.key, e)
                answer = None
        if answer is not None:
            self.answers[question.key] = answer
            self.emit(QuestionAnswered(self.id, question.key, answer))
        return answer


def device_fields(checks: Sequence[Check]) -> tuple[str, ...]:
    """The report's ``device`` block: ``platform``, then the metrics the identity check
    declares as device fields, in its order."""
    identity = next((c for c in checks if c.name == "identity"), None)
    declared = [name for name, spec in identity.metrics.items() if spec.device] if identity else []
    return tuple(dict.fromkeys(["platform", *declared]))


def carry_over(report: Mapping[str, Any], rerun: Collection[str]) -> dict[str, Any]:
    """The ``carried`` argument that re-runs only ``rerun`` after ``report``."""
    return {c["name"]: {**c, "report_id": report["report_id"]} for c in report["checks"] if c["name"] not in rerun}


def carried_result(entry: Mapping[str, Any]) -> CheckResult:
    """A check's result copied from an earlier report's entry, saying where it came from."""
    origin = f"carried over from report {entry.get('report_id', '?')}"
    metrics = {
        name: Metric(m.get("value"), m.get("source"), m.get("reason"), m.get("method"))
        for name, m in (entry.get("metrics") or {}).items()
    }
    detail = f"{origin}: {entry['detail']}" if entry.get("detail") else origin
    return CheckResult(entry.get("outcome", "error"), metrics, detail)


def _with_gaps(link: Link, check: Check, result: CheckResult) -> CheckResult:
    """On a replay, name the reads the fixture lacks, so a short fixture reads as that and
    not as a phone that failed."""
    from agent.fixtures.format import Fixture
    from agent.fixtures.gaps import fixture_gaps, lacks_detail

    fixture = getattr(link, "fixture", None)
    if result.outcome == "measured" or not isinstance(fixture, Fixture) or "fixture lacks" in (result.detail or ""):
        return result
    gaps = fixture_gaps(fixture, check.reads.get(link.platform, ()))
    if not gaps:
        return result
    lacks = lacks_detail(gaps)
    return dataclasses.replace(result, detail=f"{lacks}; {result.detail}" if result.detail else lacks)


def _as_result(name: str, out: Any) -> CheckResult:
    if isinstance(out, CheckResult):
        return out
    if isinstance(out, Mapping) and all(isinstance(m, Metric) for m in out.values()):
        return CheckResult("measured", dict(out))
    return CheckResult("error", detail=f"check {name} returned {type(out).__name__}, not metrics")
