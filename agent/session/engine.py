"""One session over one phone: identify, measure, ask, grade, sign, store.

``run_session`` is the only way a session runs. It yields events as they happen; the CLI
and the TUI consume them and nothing else. Checks after identity run concurrently, so a
session costs about its slowest check rather than the sum of them.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, cast

from agent import questions
from agent.check import Check, CheckContext, CheckResult, Metric, Question
from agent.errors import ExitCode, LinkDisconnected, LinkError, LinkTimeout, PhonebenchError
from agent.links.base import DEFAULT_TIMEOUT_S, Link, Provenance
from agent.report.build import build_report, utc_now
from agent.session.budget import waiting_for_a_person, within_budget
from agent.session.carried import carried_result, with_gaps
from agent.session.carried import carry_over as carry_over  # re-exported: its home before carried.py
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
from agent.session.operator import FormOperator, NoOperator, Operator
from agent.session.withdrawal import WITHDRAWN, Withdrawal, unless_withdrawn

if TYPE_CHECKING:
    from agent.grading.catalog import Catalog
    from agent.grading.profile import Profile
    from agent.ports import Port
    from agent.report.chain import StoredReport

log = logging.getLogger(__name__)


class ReportSink(Protocol):
    """Where a finished session's report goes (``agent.delivery.ledger.Ledger``)."""

    @property
    def key_id(self) -> str: ...

    def save(self, report: dict[str, Any]) -> StoredReport: ...


class SessionJournal(Protocol):
    """Keeps a session's work as it happens (``agent.session.journal.Journal``): told every
    event with the session that emits it; must return at once (it writes on a thread)."""

    def note(self, session: Any, event: Event) -> None: ...


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
    journal: SessionJournal | None = None


async def run_session(
    link: Link,
    bench: Station,
    slot: int | None = None,
    *,
    carried: Mapping[str, Any] | None = None,
    answers: Mapping[str, Any] | None = None,
    withdrawal: Withdrawal | None = None,
    port: Port | None = None,
) -> AsyncIterator[Event]:
    """Run one session and yield its events; the last one is ReportSaved or SessionFailed
    (SessionGraded when the station has no sink).

    ``carried`` re-runs only some checks: it maps the names of checks NOT to run again to
    the report entries (``report["checks"][i]``) of the earlier report they come from. Those
    results are copied with a detail naming that report, so the new report says which
    figures were measured now and which earlier; identity always runs again. ``answers``
    are the technician's answers already given for this phone, which are not asked again.
    ``withdrawal`` lets the supervisor end the session when its phone leaves (withdrawal.py).
    ``port`` is the USB port the phone is in (the supervisor knows it); the report says it.
    """
    queue: asyncio.Queue[Event | None] = asyncio.Queue()
    session = _Session(link, bench, slot, queue.put_nowait, carried or {})
    session.port = port
    if bench.journal is not None:
        session.emit = _journaled(bench.journal, session, queue.put_nowait)
    session.answers.update(answers or {})
    if withdrawal is not None:
        withdrawal.attach(session.withdraw)
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


def _journaled(journal: SessionJournal, session: _Session, emit: Callable[[Event], None]) -> Callable[[Event], None]:
    """``emit`` that journals each event first, so what a front end shows is kept."""

    def both(event: Event) -> None:
        try:
            journal.note(session, event)
        except Exception:  # a journal that cannot keep up must not stop the session
            log.exception("journaling %s", type(event).__name__)
        emit(event)

    return both


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
        self.port: Port | None = None
        self.model: Any = None
        self.gone: str | None = None
        # asking a phone's questions together: checks that ask wait here for the form
        together = callable(getattr(bench.operator, "ask_all", None))
        self.form: FormOperator | None = cast("FormOperator", bench.operator) if together else None
        self.held: dict[str, tuple[Question, asyncio.Future[Any]]] = {}
        self.holding = False  # between the checks' start and the form
        self.measuring = 0  # checks running and not waiting for an answer
        self.settled = asyncio.Event()  # measuring came down to 0
        self.withdrawn = asyncio.Event()  # the supervisor saw the phone leave
        self.asking = 0  # questions (or forms) out with the technician

    def withdraw(self, reason: str) -> None:
        """The phone left (the supervisor says, not a failing read): what runs or waits
        stops, and the session ends incomplete, saying whether its questions were out."""
        stage = "before its questions were answered" if self.asking else "during the checks"
        self.gone = self.gone or f"{reason} {stage}"
        self.withdrawn.set()

    async def run(self) -> None:
        try:
            await self._run()
        except PhonebenchError as e:
            self.emit(SessionFailed(self.id, str(e), int(e.exit_code)))
        except Exception as e:  # the bench keeps going whatever one session does
            log.exception("session %s failed", self.id)
            self.emit(SessionFailed(self.id, f"internal error: {type(e).__name__}: {e}", int(ExitCode.ERROR)))

    async def _run(self) -> None:
        started = utc_now()
        checks = list(self.bench.checks)
        self.emit(SessionStarted(self.id, self.phone, self.link.describe, tuple(c.name for c in checks)))
        self.provenance = await self.link.provenance(self.bench.timeout_s)
        identity = [c for c in checks if c.name == "identity"]
        for check in identity:
            await self._run_check(check)
        self._identify()
        await self._measure_all([c for c in checks if c.name != "identity"])
        if await self._left():  # a phone that left mid-read may have answered half a read first
            self.gone = self.gone or "phone disconnected during the checks"
        if self.form is None:  # an operator without forms: one question at a time, until the phone leaves
            for question in self._later_questions():
                if self.gone is None:
                    await self._ask(question)
        complete = self.gone is None
        from agent.grading.rules import grade

        grading = grade(self.bench.profile, self.results, self.answers, complete)
        self.emit(SessionGraded(self.id, grading))
        sink = self.bench.sink
        if sink is None:
            return
        report = build_report(session=self, started_at=started, grading=grading, complete=complete, key_id=sink.key_id)
        stored = await asyncio.to_thread(sink.save, report)
        self.emit(ReportSaved(self.id, stored.report, stored.envelope, stored.path))

    async def _measure_all(self, checks: Sequence[Check]) -> None:
        """The checks after identity, side by side. An operator with ``ask_all`` gets the
        phone's questions as one form, once every check has finished or waits for an answer."""
        self.measuring, self.holding = len(checks), self.form is not None
        measuring = asyncio.gather(*(self._run_check(c, counted=True) for c in checks))
        measuring.add_done_callback(lambda f: f.cancelled() or f.exception())  # cancelled with us: no "never retrieved"
        try:
            if self.form is not None:
                await self._ask_together(measuring, self.form)
            await measuring
        finally:
            measuring.cancel()  # nothing once it is done; stops the checks if we are cancelled

    async def _run_check(self, check: Check, counted: bool = False) -> None:
        """Run one check; ``counted`` checks are in ``measuring`` until they finish."""
        self.emit(CheckStarted(self.id, check.name))
        try:
            if check.name in self.carried:
                result = carried_result(self.carried[check.name])
            else:
                result = with_gaps(self.link, check, await self._measure(check))
        finally:
            if counted:
                self._measuring(-1)
        self.results[check.name] = result
        self.emit(CheckFinished(self.id, check.name, result))

    def _measuring(self, change: int) -> None:
        self.measuring += change
        if self.measuring == 0:
            self.settled.set()

    async def _measure(self, check: Check) -> CheckResult:
        if self.gone is not None:
            return CheckResult("interrupted", detail=self.gone)
        if self.link.platform not in check.platforms:
            return CheckResult("unsupported", detail=f"not available on {self.link.platform}")
        ctx = CheckContext(self.link, self.link.platform, dict(self.device), self.model, self._ask, self.bench.timeout_s)
        try:
            out = await unless_withdrawn(self.withdrawn, within_budget(check.run(ctx)))
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
        if out is WITHDRAWN:
            return CheckResult("interrupted", detail=self.gone)
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

    def _later_questions(self) -> list[Question]:
        """The profile's questions, then the technician's free notes, less those answered."""
        keys = (*self.bench.profile.questions, questions.NOTES.key)
        return [questions.ALL[k] for k in dict.fromkeys(keys) if k in questions.ALL and k not in self.answers]

    async def _ask(self, question: Question) -> Any:
        if question.key in self.answers:
            return self.answers[question.key]
        if self.holding and question.key not in self.held:
            return await waiting_for_a_person(self._hold(question))
        self.emit(QuestionAsked(self.id, self.phone, question))
        answer = await waiting_for_a_person(self._asking(self.bench.operator.ask(question, self.phone)))
        return self._accept(question, answer)

    async def _hold(self, question: Question) -> Any:
        """A check's question, kept for the phone's form: the check waits, and while it
        waits it does not count as measuring."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.held[question.key] = (question, future)
        self._measuring(-1)
        try:
            return await future
        finally:
            self._measuring(+1)

    async def _ask_together(self, measuring: asyncio.Future[Any], form: FormOperator) -> None:
        """Once every check has finished or waits for an answer, ask the phone's questions
        (the checks', the profile's, notes) in one go and hand the checks their answers.
        A phone that left by then is not asked about, nor is one that leaves while its form
        waits (the form is withdrawn): its checks get no answer."""
        if self.measuring:
            settled = asyncio.ensure_future(self.settled.wait())
            try:
                await asyncio.wait([measuring, settled], return_when=asyncio.FIRST_COMPLETED)
            finally:
                settled.cancel()
        self.holding = False  # a check that asks from now on asks on its own
        held = dict(self.held)
        asked = [question for question, _ in held.values()]
        if await self._left():
            self.gone = self.gone or "phone disconnected during the checks"
        answers: dict[str, Any] = {}
        if self.gone is None:
            asked += [q for q in self._later_questions() if q.key not in held]
            for question in asked:
                self.emit(QuestionAsked(self.id, self.phone, question))
            given = (await self._asking(form.ask_all(tuple(asked), self.phone)) or {}) if asked else {}
            answers = {q.key: self._accept(q, given.get(q.key)) for q in asked} if self.gone is None else {}
        for key, (_, future) in held.items():
            if not future.done():
                future.set_result(answers.get(key))

    async def _asking(self, answering: Awaitable[Any]) -> Any:
        """The technician answering (a form, a question); None when the phone leaves first:
        the question is withdrawn, and no answer given after that reaches the report."""
        self.asking += 1
        try:
            answer = await unless_withdrawn(self.withdrawn, answering)
        finally:
            self.asking -= 1
        return None if answer is WITHDRAWN else answer

    def _accept(self, question: Question, answer: Any) -> Any:
        """The technician's answer, checked against its question; None when there is none
        or it does not fit (then the figure it feeds is not assessed, never a pass)."""
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


def _as_result(name: str, out: Any) -> CheckResult:
    if isinstance(out, CheckResult):
        return out
    if isinstance(out, Mapping) and all(isinstance(m, Metric) for m in out.values()):
        return CheckResult("measured", dict(out))
    return CheckResult("error", detail=f"check {name} returned {type(out).__name__}, not metrics")
