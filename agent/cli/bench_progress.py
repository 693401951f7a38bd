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


def _called(event: PhoneSeen) -> str:
    """A phone's name for a person: its model, else its port's name or path, else its
    device id unless that is a loopback address (a simulated phone's adb serial)."""
    from agent.session.resume import loopback

    device = event.phone.device_id
    return event.phone.model or event.port_name or event.port or ("phone" if loopback(device) else device)

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
    #: slot -> what became of the unfinished phone there: waiting, resumed, closed
    recalled: dict[int, str] = field(default_factory=dict)
    #: slot -> what to call its phone when this run's simulator does not know its device id
    called: dict[int, str] = field(default_factory=dict)

    def seen(self, event: PhoneSeen) -> str | None:
        """Note the phone's state; the line to print when it starts waiting for something new."""
        device = event.phone.device_id
        self.slots[event.slot] = device
        self.called[event.slot] = _called(event)
        if event.state == "unfinished":
            self.unfinished.add(event.slot)
            self.recalled[event.slot] = "waiting"
        elif self.recalled.get(event.slot) == "waiting":
            self.recalled[event.slot] = "resumed"  # its phone (or the phone in its port) is back
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
        return f"slot {slot:>2} {printable(self.names.get(device) or self.called.get(slot, '?'))}"

    def done(self, slot: int) -> None:
        """The phone in ``slot`` has its report (or its session failed): it is finished."""
        self.finished.add(self.slots.get(slot, "?"))
        self._closed(slot)

    def gone(self, slot: int) -> None:
        """The phone in ``slot`` left: an unfinished phone from before is no longer awaited."""
        self._closed(slot)

    def _closed(self, slot: int) -> None:
        self.unfinished.discard(slot)
        if self.recalled.get(slot) == "waiting":
            self.recalled[slot] = "closed"

    def recall_line(self) -> str | None:
        """``N unfinished phones from before: R resumed, C closed as incomplete`` (W still
        waiting); None when a quit or crash left none."""
        if not self.recalled:
            return None
        states = list(self.recalled.values())
        n = len(states)
        line = (f"{n} unfinished phone{'s' * (n != 1)} from before: {states.count('resumed')} resumed, "
                f"{states.count('closed')} closed as incomplete")
        waiting = states.count("waiting")
        return line + (f", {waiting} not resolved" if waiting else "")

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
