"""What a session tells its front ends, as it happens.

The engine yields these; the CLI prints them and the TUI draws them. Nothing else flows
from the engine to a front end, so both show the same session the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agent.check import CheckResult, Question


@dataclass(frozen=True)
class PhoneRef:
    """How a person finds the phone on the bench: its slot and what it is."""

    device_id: str
    platform: str
    slot: int | None = None
    model: str | None = None

    def label(self) -> str:
        where = f"slot {self.slot}" if self.slot is not None else self.device_id
        return f"{where} ({self.model})" if self.model else where


@dataclass(frozen=True)
class SessionStarted:
    session_id: str
    phone: PhoneRef
    link: str
    checks: tuple[str, ...]


@dataclass(frozen=True)
class DeviceIdentified:
    session_id: str
    phone: PhoneRef
    device: dict[str, Any]


@dataclass(frozen=True)
class CheckStarted:
    session_id: str
    check: str


@dataclass(frozen=True)
class CheckFinished:
    session_id: str
    check: str
    result: CheckResult


@dataclass(frozen=True)
class QuestionAsked:
    session_id: str
    phone: PhoneRef
    question: Question


@dataclass(frozen=True)
class QuestionAnswered:
    session_id: str
    question: str
    answer: Any


@dataclass(frozen=True)
class SessionGraded:
    session_id: str
    grading: Any  # agent.grading.rules.Grading


@dataclass(frozen=True)
class ReportSaved:
    session_id: str
    report: dict[str, Any]
    envelope: dict[str, Any]
    path: Any  # pathlib.Path


@dataclass(frozen=True)
class SessionFailed:
    """The session could not produce a report at all (never for a bad phone: that is a grade)."""

    session_id: str
    error: str
    #: the exit code of the error behind it (agent.errors.ExitCode): a full disk is not a phone
    exit_code: int = 5


Event = (
    SessionStarted
    | DeviceIdentified
    | CheckStarted
    | CheckFinished
    | QuestionAsked
    | QuestionAnswered
    | SessionGraded
    | ReportSaved
    | SessionFailed
)


# Bench-level events: what the supervisor tells front ends about slots and phones.


@dataclass(frozen=True)
class PhoneSeen:
    """A phone is on the bench (or changed state): ``guidance`` says what to do, if anything."""

    slot: int
    phone: PhoneRef
    state: str
    guidance: str | None = None
    port: str | None = None  # the USB port path (1-1.3; agent.ports), when discovery knows it
    port_name: str | None = None  # the station config's name for that port


@dataclass(frozen=True)
class PhoneGone:
    slot: int
    device_id: str


@dataclass(frozen=True)
class SlotEvent:
    """A session event, tagged with the slot of its phone."""

    slot: int
    event: Event


BenchEvent = PhoneSeen | PhoneGone | SlotEvent
