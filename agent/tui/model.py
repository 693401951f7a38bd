"""What the TUI knows about each slot, folded from bench events.

Kept free of Textual so a burst of events from 32 phones costs only dictionary updates:
widgets read the slots that changed on the next refresh tick, not once per event.
Strings from a phone are stored as they came; every widget shows them as Text, never markup.
"""

from __future__ import annotations

import textwrap
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from agent.check import CheckResult
from agent.session.events import (
    BenchEvent,
    CheckFinished,
    DeviceIdentified,
    PhoneGone,
    PhoneSeen,
    QuestionAnswered,
    QuestionAsked,
    ReportSaved,
    SessionFailed,
    SessionGraded,
    SessionStarted,
    SlotEvent,
)
from agent.text import printable
from agent.tui.uploads import UploadState

#: what a supervisor state means to the person at the bench
STATE_TEXT: dict[str, str] = {
    "seen": "connecting",
    "connecting": "connecting",
    "checking": "checking",
    "trust_pending": "waiting for Trust",
    "denied": "Trust denied",
    "locked": "locked: unlock it",
    "unauthorized": "USB debugging not allowed",
    "usb_only": "USB debugging off",
    "offline": "offline to adb",
    "recovery": "in recovery mode",
    "sideload": "in sideload mode",
    "no_permissions": "no USB permission",
    "gone": "unplugged",
    "done": "done",
    "incomplete": "incomplete",
    "error": "error",
    "unfinished": "unfinished",
}
#: how a card names a question it waits for
ASKING_TEXT = {"screen.visual": "screen", "cosmetic_grade": "grade", "notes": "notes"}
OPTIONAL = frozenset({"notes"})
PLATFORM_TEXT = {"android": "Android", "ios": "iPhone"}
WAITING = frozenset({"trust_pending", "denied", "locked", "unauthorized", "usb_only", "offline",
                     "recovery", "sideload", "no_permissions", "unfinished"})
LOG_LINES = 200
#: an erase's state -> the card's look and status
ERASE_OUTCOME = {"erasing": "running", "erased": "good", "not_verified": "review", "failed": "bad"}
ERASE_STATUS = {"erasing": "erasing", "erased": "erased", "not_verified": "erase not verified", "failed": "erase failed"}


@dataclass
class SlotView:
    """One slot's phone as the technician sees it; ``state`` is a STATE_TEXT key."""

    slot: int
    device_id: str
    platform: str
    model: str | None = None
    state: str = "connecting"
    guidance: str | None = None
    session_id: str | None = None
    checks_total: int = 0
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)
    device: dict[str, Any] = field(default_factory=dict)
    asking: set[str] = field(default_factory=set)
    grade: dict[str, Any] | None = None
    report: dict[str, Any] | None = None
    envelope: dict[str, Any] | None = None
    path: Any = None
    upload: UploadState | None = None  # None until the outbox has been read for this report
    error: str | None = None
    port: str | None = None  # the USB port (1-1.3), when discovery or the report says
    port_name: str | None = None  # the station config's name for it
    unplugged: bool = False  # the phone left; the card keeps its last state until another takes the slot
    erasure: str | None = None  # the erase's line on the card (agent/tui/erase_flow.py), until a new session
    erase_state: str | None = None  # erasing, erased, not_verified, failed; None: no erase on this phone
    log: deque[str] = field(default_factory=lambda: deque(maxlen=LOG_LINES))

    @property
    def name(self) -> str:
        return self.model or self.device.get("model") or self.device_id

    @property
    def checks_done(self) -> int:
        return len(self.checks)

    @property
    def running(self) -> bool:
        return self.state == "checking" and self.session_id is not None

    @property
    def outcome(self) -> str:
        """The look of the card: waiting, running, asking, good, review, bad, incomplete, error, gone."""
        if self.erase_state is not None:
            return ERASE_OUTCOME.get(self.erase_state, "review")
        if self.asking and self.state == "checking":
            return "asking"
        if self.state in WAITING:
            return "waiting"
        if self.state == "done":
            if self.grade is None or self.grade.get("value") == "review":
                return "review"
            failed = any(c.get("verdict") == "fail" for c in self.checks.values())
            return "bad" if failed else "good"
        if self.state in ("incomplete", "error", "gone"):
            return self.state
        return "running"

    @property
    def card_name(self) -> str:
        """What the card calls the phone: its model once known; before that its USB port,
        else its platform. Never the transport's address (127.0.0.1:5555 on a simulated
        bench) or a placeholder serial (0123456789ABCDEF): they tell nobody which phone it is."""
        model = self.model or self.device.get("model")
        if model:
            return str(model)
        platform = PLATFORM_TEXT.get(self.platform, self.platform)
        return f"{platform} at port {self.port_shown}" if self.port else f"{platform} · not identified"

    @property
    def port_shown(self) -> str | None:
        """The port as the technician knows it: the config's name, else its path."""
        return self.port_name or self.port

    def status(self) -> str:
        """One short line for the card."""
        if self.erase_state is not None:
            return ERASE_STATUS.get(self.erase_state, "erase")
        if self.asking and self.state == "checking":
            return "needs you"
        if self.running:
            return f"checking {self.checks_done} of {self.checks_total}"
        if self.state == "done" and self.grade is not None:
            shown = f"done · {printable(self.grade.get('value'))}"
        elif self.state == "error" and self.error:
            shown = "error"
        else:
            shown = STATE_TEXT.get(self.state, printable(self.state))
        return f"{shown} · unplugged" if self.unplugged and self.state != "gone" else shown

    def reason(self) -> str:
        """One line under the status: what to do next, or why the phone came out as it did."""
        if self.erasure is not None:
            return self.erasure
        if self.asking and self.state == "checking":
            needed = sorted(self.asking - OPTIONAL, key=_question_order)  # notes never hold a phone back
            return "answer: " + ", ".join(ASKING_TEXT.get(k, k) for k in needed) if needed else "answer: notes"
        if self.state == "error":
            return printable(self.error or self.guidance or "")
        if self.state in WAITING or self.state in ("seen", "connecting"):
            return printable(self.guidance or "")
        if self.state == "incomplete":
            why = (self.report or {}).get("session", {}).get("incomplete_reason")
            return printable(why or "no grade: the session did not finish")
        if self.state == "gone":
            return "left mid-check: no report"
        if self.state == "done":
            return grade_reason(self.grade, self.checks)
        return ""

    def reset_session(self, session_id: str, checks: int) -> None:
        self.session_id, self.checks_total = session_id, checks
        self.checks, self.asking, self.grade = {}, set(), None
        self.report = self.envelope = self.path = self.upload = self.error = None
        self.state, self.guidance = "checking", None
        self.erasure = self.erase_state = None


def clamp_lines(text: str, width: int, lines: int) -> list[str]:
    """``text`` wrapped at word breaks into at most ``lines`` lines of ``width`` cells; the last
    ends in … when some was left out. Long words are cut, so nothing runs past ``width``."""
    if width < 1 or lines < 1:
        return []
    wrapped = textwrap.wrap(text, width, break_on_hyphens=False) or [""]
    if len(wrapped) <= lines:
        return wrapped
    kept = wrapped[:lines]
    kept[-1] = kept[-1][: width - 1].rstrip() + "…"
    return kept


def _question_order(key: str) -> int:
    order = list(ASKING_TEXT)
    return order.index(key) if key in order else len(order)


def grade_reason(grade: Mapping[str, Any] | None, checks: Mapping[str, Mapping[str, Any]]) -> str:
    """Why a finished phone got its grade, in one line: the failing check first, then what
    is missing (a grade for review), else what set the grade."""
    failed = next((c for c in checks.values() if c.get("verdict") == "fail"), None)
    if failed is not None:
        why = next(iter(failed.get("reasons") or []), "failed")
        return f"{printable(failed.get('name'))}: {printable(why)}"
    reasons = [str(r) for r in (grade or {}).get("reasons") or []]
    if grade is None or grade.get("value") == "review":
        return printable(reasons[0]) if reasons else "no grade"
    telling = [r for r in reasons if not r.startswith("cosmetic grade")]
    return printable((telling or reasons or [""])[0])


def check_dict(name: str, result: CheckResult) -> dict[str, Any]:
    """A check result in the report's shape, so the phone view reads one shape only."""
    metrics = {key: metric.to_json() for key, metric in result.metrics.items()}
    return {"name": name, "title": name.capitalize(), "outcome": result.outcome, "detail": result.detail,
            "metrics": metrics, "verdict": None, "reasons": []}


class BenchModel:
    """Every slot, plus what changed since the UI last looked."""

    def __init__(self) -> None:
        self.slots: dict[int, SlotView] = {}
        self.dirty: set[int] = set()
        self.lines: list[str] = []

    def take_dirty(self) -> set[int]:
        dirty, self.dirty = self.dirty, set()
        return dirty

    def take_lines(self) -> list[str]:
        lines, self.lines = self.lines, []
        return lines

    def note(self, line: str, slot: int | None = None) -> None:
        """A one-line entry for the event log (and the slot's own log)."""
        view = self.slots.get(slot) if slot is not None else None
        text = f"slot {slot} {printable(view.card_name)}: {line}" if view else line
        self.lines.append(text)
        if view is not None:
            view.log.append(line)

    def unsettled_reports(self) -> set[str]:
        """Ids of the reports shown whose upload state may still change."""
        return {v.report["report_id"] for v in self.slots.values()
                if v.report is not None and (v.upload is None or not v.upload.final)}

    def unread_uploads(self) -> bool:
        """A report is shown whose outbox state has not been read yet."""
        return any(v.report is not None and v.upload is None for v in self.slots.values())

    def set_uploads(self, states: Mapping[str, UploadState]) -> None:
        """Upload states read from the outbox; states of reports no longer shown are dropped."""
        for view in self.slots.values():
            state = states.get(view.report["report_id"]) if view.report is not None else None
            if state is not None and state != view.upload:
                view.upload = state
                self.dirty.add(view.slot)

    def erasing(self, slot: int, state: str | None, line: str) -> None:
        """An erase's news for the slot's card; ``state`` None gives the card its look back
        (a refusal: nothing was erased), ``line`` stays as its reason."""
        view = self.slots.get(slot)
        if view is not None:
            view.erase_state, view.erasure = state, line
            self.dirty.add(slot)

    def answered(self, slot: int | None, key: str) -> None:
        """The technician dealt with a question (answers None never reach the engine's events)."""
        view = self.slots.get(slot) if slot is not None else None
        if view is not None:
            view.asking.discard(key)
            self.dirty.add(view.slot)

    def apply(self, event: BenchEvent) -> None:
        if isinstance(event, PhoneSeen):
            self._seen(event)
        elif isinstance(event, PhoneGone):
            if (view := self.slots.get(event.slot)) is not None:
                view.unplugged = True
                if view.state not in ("done", "incomplete", "error"):
                    view.state = "gone"
                self.note("unplugged", event.slot)
        elif isinstance(event, SlotEvent) and (view := self.slots.get(event.slot)) is not None:
            _apply_session(view, event.event, self)
        else:
            return
        self.dirty.add(event.slot)

    def _seen(self, event: PhoneSeen) -> None:
        view = self.slots.get(event.slot)
        if view is None or view.device_id != event.phone.device_id:
            view = SlotView(event.slot, event.phone.device_id, event.phone.platform, event.phone.model)
            self.slots[event.slot] = view
            where = f" at port {printable(event.port_name or event.port)}" if event.port else ""
            self.note(f"on the bench{where}", event.slot)  # named as its card is: no transport address
        view.unplugged = False
        if event.port is not None:
            view.port, view.port_name = event.port, event.port_name
        if event.state == "checking" and view.running:
            return
        if event.state == "checking":
            view.session_id = None  # a new session is coming: late events of the last one are stale
        if view.state in ("done", "incomplete") and event.state == "done":
            return
        view.state, view.guidance = event.state, event.guidance
        if event.guidance:
            self.note(printable(event.guidance), event.slot)


def _apply_session(view: SlotView, event: Any, model: BenchModel) -> None:
    """One session event onto its slot; events of an older session are ignored."""
    if isinstance(event, SessionStarted):
        view.reset_session(event.session_id, len(event.checks))
        model.note("checks started", view.slot)
        return
    if event.session_id != view.session_id:
        return
    if isinstance(event, DeviceIdentified):
        view.device, view.model = dict(event.device), event.phone.model or view.model
    elif isinstance(event, CheckFinished):
        view.checks[event.check] = check_dict(event.check, event.result)
        detail = f" ({printable(event.result.detail)})" if event.result.detail else ""
        model.note(f"{event.check}: {event.result.outcome}{detail}", view.slot)
    elif isinstance(event, QuestionAsked):
        view.asking.add(event.question.key)
        model.note(f"question: {event.question.prompt}", view.slot)
    elif isinstance(event, QuestionAnswered):
        view.asking.discard(event.question)
    elif isinstance(event, SessionGraded):
        _graded(view, event.grading)
    elif isinstance(event, ReportSaved):
        _saved(view, event, model)
    elif isinstance(event, SessionFailed):
        view.state, view.error, view.asking = "error", event.error, set()
        model.note(f"session failed: {printable(event.error)}", view.slot)


def _graded(view: SlotView, grading: Any) -> None:
    for name, verdict in grading.verdicts.items():
        if name in view.checks:
            view.checks[name]["verdict"] = verdict.verdict
            view.checks[name]["reasons"] = list(verdict.reasons)
    grade = grading.grade
    view.grade = {"value": grade.value, "reasons": list(grade.reasons)} if grade is not None else None
    view.asking = set()


def _saved(view: SlotView, event: ReportSaved, model: BenchModel) -> None:
    report = event.report
    view.report, view.envelope, view.path, view.upload = report, event.envelope, event.path, None
    view.checks = {c["name"]: dict(c) for c in report.get("checks", [])}
    view.grade = report.get("grade")
    device = report.get("device")
    if not view.device and isinstance(device, dict):  # a cut-off session's report: no DeviceIdentified came
        view.device = dict(device)
    session = report.get("session") or {}
    given = session.get("port")
    port: dict[str, Any] = given if isinstance(given, dict) else {}
    transport = str(session.get("transport_id") or "")
    if port.get("path"):
        view.port, view.port_name = view.port or str(port["path"]), view.port_name or port.get("name")
    elif transport.startswith("usb:"):
        view.port = view.port or transport.removeprefix("usb:")
    complete = session.get("complete")
    view.state = "done" if complete else "incomplete"
    if view.grade is not None:
        model.note(f"done, grade {printable(view.grade.get('value'))}", view.slot)
    else:
        reason = (report.get("session") or {}).get("incomplete_reason") or "session incomplete"
        model.note(f"incomplete: {printable(reason)}", view.slot)
