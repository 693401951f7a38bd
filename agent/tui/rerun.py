"""Running a phone's session again, through the supervisor so its events reach the bench."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from agent.errors import UsageError


def rerun(supervisor: Any, slot: int, checks: Collection[str] | None = None) -> None:
    """Start a new session for the phone in ``slot`` (with ``checks``, only those run again and
    the others are carried over from its last report); UsageError says why not in one line."""
    if not supervisor.rerun(slot, checks):
        why = ", or no report to carry the other checks over from" if checks is not None else ""
        raise UsageError(f"slot {slot}: no phone there, or its session is still running{why}")
