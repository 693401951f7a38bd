"""Where a headless bench stands: which phones have their report, which wait for a person.

``demo --headless`` ends as soon as nothing can progress on its own (every phone has its
report or waits for someone to tap Trust, allow USB debugging, unlock it...) and then says
who waits for what, rather than repeating the same guidance until a timeout.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from agent.discovery import GUIDANCE
from agent.session.events import PhoneSeen
from agent.text import printable

#: supervisor states in which a phone waits for a person, not for the machine
FOR_A_PERSON = frozenset(GUIDANCE)


@dataclass
class BenchProgress:
    """``names``: device id -> what to call the phone (its fixture's file name)."""

    names: Mapping[str, str]
    slots: dict[int, str] = field(default_factory=dict)
    waiting: dict[str, tuple[int, str]] = field(default_factory=dict)  # device id -> (slot, guidance)
    finished: set[str] = field(default_factory=set)
    #: slots of phones a quit or crash left unfinished: each ends resumed or closed as incomplete
    unfinished: set[int] = field(default_factory=set)

    def seen(self, event: PhoneSeen) -> str | None:
        """Note the phone's state; the line to print when it starts waiting for something new."""
        device = event.phone.device_id
        self.slots[event.slot] = device
        if event.state == "unfinished":
            self.unfinished.add(event.slot)
        if event.state not in FOR_A_PERSON:
            self.waiting.pop(device, None)
            return None
        now = (event.slot, event.guidance or GUIDANCE[event.state])
        before, self.waiting[device] = self.waiting.get(device), now
        if now == before or device in self.finished:
            return None
        return f"slot {event.slot:>2}: {printable(now[1])}"

    def name(self, slot: int) -> str:
        device = self.slots.get(slot, "?")
        return f"slot {slot:>2} {printable(self.names.get(device, device))}"

    def done(self, slot: int) -> None:
        """The phone in ``slot`` has its report (or its session failed): it is finished."""
        self.finished.add(self.slots.get(slot, "?"))
        self.unfinished.discard(slot)

    def gone(self, slot: int) -> None:
        """The phone in ``slot`` left: an unfinished phone from before is no longer awaited."""
        self.unfinished.discard(slot)

    @property
    def stuck(self) -> dict[str, tuple[int, str]]:
        """Unfinished phones waiting for a person."""
        return {d: w for d, w in self.waiting.items() if d not in self.finished}

    @property
    def settled(self) -> bool:
        """Nothing can progress without a person: every phone finished or waits for one."""
        return not self.unfinished and all(d in self.finished or d in self.waiting for d in self.names)

    def summary(self) -> list[str]:
        """One line per phone that waits for a person, by slot."""
        stuck = sorted(self.stuck.items(), key=lambda item: item[1][0])
        return [f"{self.name(slot):<28} waits for a person: {printable(guidance)}" for _, (slot, guidance) in stuck]
