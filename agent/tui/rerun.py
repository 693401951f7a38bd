"""Running a phone's session again, through the supervisor so its events reach the bench.

``Supervisor.rerun`` is the home for this; until the supervisor has it, ``rerun`` does the
same from here with the supervisor's own parts (the phone's sighting and its connect loop).
"""

from __future__ import annotations

from typing import Any

from agent.errors import UsageError

BUSY = ("connecting", "checking", "gone")


def rerun(supervisor: Any, slot: int) -> None:
    """Start a new session for the phone in ``slot``; UsageError says why not in one line."""
    own = getattr(supervisor, "rerun", None)
    if own is not None:
        if not own(slot):
            raise UsageError(f"slot {slot}: no phone there, or its session is still running")
        return
    phone = next((p for p in supervisor.phones.values() if p.slot == slot), None)
    if phone is None:
        raise UsageError(f"slot {slot}: no phone there any more")
    if phone.session is not None or phone.state in BUSY:
        raise UsageError(f"slot {slot}: its session is still running")
    phone.finished_at, phone.state = None, "connecting"
    supervisor._spawn(supervisor._connect(phone))
