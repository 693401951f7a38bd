"""The operator port: how a session asks the technician what a machine cannot see.

The TUI answers on screen; headless runs answer from a file (``--answers``) or not at
all. An unanswered question is recorded as not assessed, never as a pass.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from agent import questions
from agent.check import Question
from agent.errors import PhonebenchError, UsageError
from agent.session.events import PhoneRef
from agent.yamlfile import Spot, read_document


class Operator(Protocol):
    async def ask(self, question: Question, phone: PhoneRef) -> Any | None:
        """The technician's answer, or None when nobody can answer."""


class FormOperator(Operator, Protocol):
    """An operator that can also take a phone's questions in one go (the TUI's form), so
    the technician deals with one phone once instead of once per question. The engine
    uses ``ask_all`` when the operator has it."""

    async def ask_all(self, questions: Sequence[Question], phone: PhoneRef) -> Mapping[str, Any]:
        """Answers by question key; a key left out (or None) was not answered."""


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
    """Read an answers file; a wrong key or value is a one-line error naming the file and the line."""
    _, doc, top = read_document(Path(path), UsageError)
    doc = {} if doc is None else doc
    if not isinstance(doc, dict):
        raise top.error("expected a mapping of question keys to answers")
    devices, listing = doc.get("devices") or {}, top.at("devices", doc)
    if not isinstance(devices, dict) or not all(isinstance(v, dict) for v in devices.values()):
        raise listing.error("expected a mapping of serial/UDID to answers")
    common = {k: v for k, v in doc.items() if k != "devices"}
    return AnswersOperator(
        _checked(common, _at(top, doc)),
        {str(dev): _checked(answers, _at(listing.at(dev, devices), answers)) for dev, answers in devices.items()},
    )


def validate_answers(where: str | Path, answers: Mapping[str, Any]) -> dict[str, Any]:
    """``answers`` given in code (the pytest plugin) checked against the questions; a
    UsageError naming ``where`` otherwise."""
    return _checked(answers, lambda key, what: UsageError(f"{where}: {key}: {what}"))


Fail = Callable[[Any, str], PhonebenchError]


def _at(spot: Spot, node: dict) -> Fail:
    """Errors about a key of ``node``, at that key's line."""
    return lambda key, what: spot.at(key, node).error(what)


def _checked(answers: Mapping[str, Any], fail: Fail) -> dict[str, Any]:
    """``answers`` in canonical form; ``fail(key, what)`` for the first that is not a
    question or does not fit its question."""
    out = {}
    for key, value in answers.items():
        question = questions.ALL.get(str(key))
        if question is None:
            raise fail(key, f"not a question (known: {', '.join(sorted(questions.ALL))})")
        try:
            out[question.key] = question.validate(value)
        except ValueError as e:
            raise fail(key, str(e).removeprefix(f"{question.key}: ")) from e
    return out
