"""The operator port: how a session asks the technician what a machine cannot see.

The TUI answers on screen; headless runs answer from a file (``--answers``) or not at
all. An unanswered question is recorded as not assessed, never as a pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import yaml

from agent import questions
from agent.check import Question
from agent.errors import UsageError
from agent.session.events import PhoneRef


class Operator(Protocol):
    async def ask(self, question: Question, phone: PhoneRef) -> Any | None:
        """The technician's answer, or None when nobody can answer."""


class NoOperator:
    """Headless with no answers: every question stays unanswered."""

    async def ask(self, question: Question, phone: PhoneRef) -> Any | None:
        return None


class AnswersOperator:
    """Answers given ahead of time: question keys at the top level apply to every phone;
    ``devices: {<serial or UDID>: {...}}`` overrides them for one phone."""

    def __init__(self, common: Mapping[str, Any], per_device: Mapping[str, Mapping[str, Any]]) -> None:
        self.common = dict(common)
        self.per_device = {k: dict(v) for k, v in per_device.items()}

    async def ask(self, question: Question, phone: PhoneRef) -> Any | None:
        own = self.per_device.get(phone.device_id, {})
        if question.key in own:
            return own[question.key]
        return self.common.get(question.key)


def load_answers(path: str | Path) -> AnswersOperator:
    """Read an answers file; a wrong key or value is a one-line error naming the file."""
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as e:
        raise UsageError(f"{path}: cannot read answers: {e.strerror or e}") from e
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        mark = getattr(e, "problem_mark", None)
        line = f": line {mark.line + 1}" if mark else ""
        raise UsageError(f"{path}{line}: not a valid YAML answers file") from e
    if not isinstance(doc, dict):
        raise UsageError(f"{path}: expected a mapping of question keys to answers")
    devices = doc.pop("devices", {}) or {}
    if not isinstance(devices, dict) or not all(isinstance(v, dict) for v in devices.values()):
        raise UsageError(f"{path}: devices: expected a mapping of serial/UDID to answers")
    common = validate_answers(path, doc)
    per_device = {str(dev): validate_answers(path, answers, f"devices.{dev}.") for dev, answers in devices.items()}
    return AnswersOperator(common, per_device)


def validate_answers(where: str | Path, answers: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``answers`` checked against the questions; a UsageError naming ``where`` otherwise."""
    out = {}
    for key, value in answers.items():
        question = questions.ALL.get(str(key))
        if question is None:
            known = ", ".join(sorted(questions.ALL))
            raise UsageError(f"{where}: {prefix}{key}: not a question (known: {known})")
        try:
            out[question.key] = question.validate(value)
        except ValueError as e:
            raise UsageError(f"{where}: {prefix}{e}") from e
    return out
