"""The value every battery parser hands back: a figure, or None with the reason."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Reading:
    """``method`` says how a figure was derived from what the phone printed; ``source``
    names the exact key or command it came from, when the parser chose among several."""

    value: Any
    reason: str | None = None
    method: str | None = None
    source: str | None = None


def missing(reason: str, source: str | None = None) -> Reading:
    return Reading(None, reason, None, source)
