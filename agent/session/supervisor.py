"""The bench supervisor: phones come and go, sessions start by themselves.

It merges the sightings of every discovery source into phones in slots. A phone that
becomes ready gets a session; one that needs the technician (USB debugging, Trust) gets
guidance and is retried. One pulled out mid-session has its session withdrawn at once
(withdrawal.py): it ends as interrupted, its questions taken back from the technician. The
same phone plugged in again (same serial or UDID; an iPhone under a new usbmux device id)
gets a new session as soon as the last one has ended, unless that one finished complete
less than ``rejoin_s`` ago (USB resets after Trust): then it stays done. Within
``rejoin_s`` a phone keeps its slot. Phones a quit or a crash left unfinished
(``agent.session.resume``) are shown at start, resume when they are ready again, and are
closed as incomplete reports when they are not back ``settle_s`` after the start.

An erase owns its phone (``hold(slot)`` .. ``release(slot)``): while held, the phone's
sightings (an iPhone leaving and attaching fresh, an Android phone in recovery and back)
start nothing and do not free its slot; after it, the erased phone stays in its slot and
gets no session by itself: the technician sees it is the erased phone and runs it (``r``)
or replugs it as a new one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from agent.discovery import Sighting
from agent.errors import LinkError, NotReady, PhonebenchError
from agent.links.base import Link
from agent.ports import Port
from agent.session.carried import carry_over
from agent.session.engine import Station, run_session
from agent.session.events import (
    BenchEvent,
    PhoneGone,
    PhoneRef,
    PhoneSeen,
    ReportSaved,
    SessionFailed,
    SessionStarted,
    SlotEvent,
)
from agent.session.journal import Unfinished, canonical
from agent.session.resume import SETTLE_S, Resumer, guidance, journaled_work
from agent.session.slots import SlotMap
from agent.session.withdrawal import Withdrawal

log = logging.getLogger(__name__)

LinkOpener = Callable[[Sighting], Awaitable[Link]]


@dataclass
class _Phone:
    key: str
    slot: int
    platform: str
    sighting: Sighting
    state: str = "seen"
    session: asyncio.Task[None] | None = None
    task: asyncio.Task[None] | None = None  # _connect: opening a link, then the session
    withdrawal: Withdrawal | None = None  # while the session runs
    back: bool = False  # plugged in again while its last session was ending
    link: Link | None = None
    finished_at: float | None = None
    last_report: dict[str, Any] | None = None
    carried: dict[str, Any] = field(default_factory=dict)
    answers: dict[str, Any] = field(default_factory=dict)
    held: bool = False  # an erase owns it
    erased: bool = False  # an erase ended on it: no session until asked for
    resumes: Unfinished | None = None  # the journal entry its next session carries on
    port: Port | None = None


class Supervisor:
    #: (platform, key) -> where an eraser reaches that phone (a Hub's ``erase_address``), if this bench can erase
    erase_address: Callable[[str, str], dict[str, Any]] | None = None
    #: a simulated phone's serial (ro.serialno) by its adb serial, a loopback address that
    #: changes each run (a Hub's ``sim_serial``); None on a real bench
    sim_serial: Callable[[str], str | None] | None = None

    def __init__(
        self,
        bench: Station,
        sources: Sequence[Any],
        open_link: LinkOpener,
        slots: SlotMap | None = None,
        rejoin_s: float = 5.0,
        retry_s: float = 1.0,
        settle_s: float = SETTLE_S,
    ) -> None:
        self.bench, self.sources, self.open_link = bench, list(sources), open_link
        self.slots = slots or SlotMap()
        self.rejoin_s, self.retry_s, self.settle_s = rejoin_s, retry_s, settle_s
        self.resumer = Resumer(bench)
        self.phones: dict[str, _Phone] = {}
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._tasks: set[asyncio.Task[Any]] = set()

    async def events(self) -> AsyncGenerator[BenchEvent, None]:
        """Run the bench; yields events until cancelled."""
        for event in await self._recall():
            yield event
        for source in self.sources:
            self._spawn(self._pump(source))
        try:
            while True:
                item = await self._queue.get()
                if isinstance(item, Sighting):
                    for event in await self._on_sighting(item):
                        yield event
                else:
                    yield item
        finally:
            await self.aclose()

    def rerun(self, slot: int, checks: Collection[str] | None = None) -> bool:
        """Run the phone in ``slot`` again (a new report; the last one stays in the chain).
        With ``checks``, only those run again and the others are carried over from the
        phone's last report (which the new report names). False when no phone is there or
        its session is still running."""
        phone = next((p for p in self.phones.values() if p.slot == slot), None)
        if phone is None or phone.held or phone.session is not None or phone.state in ("connecting", "checking", "gone"):
            return False
        if checks is not None and phone.last_report is None:
            return False
        phone.carried, phone.answers, phone.erased = {}, {}, False
        if checks is not None and phone.last_report is not None:
            phone.carried = carry_over(phone.last_report, set(checks))
            asked_again = {q.key for c in self.bench.checks if c.name in checks for q in c.questions}
            phone.answers = {k: v for k, v in phone.last_report["answers"].items() if k not in asked_again}
        phone.finished_at, phone.state = None, "connecting"
        phone.task = self._spawn(self._connect(phone))
        return True

    def hold(self, slot: int) -> tuple[str, str] | None:
        """Give the phone in ``slot`` to an erase: (platform, key as its source names it), or
        None when no phone is there, it is gone, or a session runs on it."""
        phone = next((p for p in self.phones.values() if p.slot == slot), None)
        if phone is None or phone.held or phone.session is not None or phone.state in ("connecting", "checking", "gone"):
            return None
        phone.held = True
        return phone.platform, phone.sighting.key

    def release(self, slot: int) -> None:
        """The erase is over: the phone stays, erased, until run again or unplugged."""
        phone = next((p for p in self.phones.values() if p.slot == slot and p.held), None)
        if phone is not None:
            phone.held, phone.erased = False, True
            if phone.state == "gone":  # unplugged during the erase: now it may leave the bench
                self._queue.put_nowait(PhoneGone(phone.slot, phone.sighting.key))
                self._spawn(self._release_later(phone))

    async def aclose(self) -> None:
        tasks = list(self._tasks) + [p.session for p in self.phones.values() if p.session]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for source in self.sources:
            stop = getattr(source, "stop", None)
            if stop:
                stop()

    def _spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _pump(self, source: Any) -> None:
        try:
            async for sighting in source.watch():
                self._queue.put_nowait(sighting)
        except asyncio.CancelledError:
            raise
        except Exception as e:
            log.warning("discovery source %s stopped: %s", getattr(source, "name", source), e)

    async def _on_sighting(self, s: Sighting) -> list[BenchEvent]:
        key = canonical(s.key)
        phone = self.phones.get(key)
        if phone is not None and phone.held:  # the erase watches the phone itself
            if s.source == phone.sighting.source:
                phone.sighting = s if s.present else phone.sighting
                phone.state = "gone" if not s.present else s.state
            return []
        if s.source == "usb":
            return self._on_usb(key, s, phone)
        if not s.present:
            return self._on_gone(phone)
        phone = phone if phone is not None else self._arrived(key, s)
        phone.sighting = s
        if s.state in ("ready", "attached"):
            if self._recently_done(phone) or phone.erased:
                phone.state = "done"
            else:
                self._start(phone)
            return [self._seen(phone)]
        phone.state = s.state
        return [self._seen(phone, s.guidance())]

    def _on_usb(self, key: str, s: Sighting, phone: _Phone | None) -> list[BenchEvent]:
        """A phone on the bus: news only when no other source sees it."""
        if phone is not None and phone.sighting.source != "usb":
            return []
        if not s.present:
            return self._on_gone(phone)
        phone = phone if phone is not None else self._arrived(key, s)
        phone.sighting, phone.state = s, "usb_only"
        return [self._seen(phone, s.guidance())]

    def _arrived(self, key: str, s: Sighting) -> _Phone:
        """A phone no source saw before: it takes its port's slot (agent.session.slots), or
        the slot of the unfinished phone it is (a simulated phone's new serial, same port)."""
        serial = self.sim_serial(s.key) if self.sim_serial is not None else None
        adopted = self.resumer.adopt(key, s.platform, s.usb_path, serial)
        if adopted is None:  # another phone in an unfinished phone's port takes over its card
            displaced = self.resumer.in_port(s.usb_path)
            adopted = displaced.key if displaced is not None and displaced.key != key else None
        if adopted is not None and key not in self.slots.taken.values():
            self.slots.taken = {n: key if held == adopted else held for n, held in self.slots.taken.items()}
        phone = self.phones[key] = _Phone(key, self.slots.assign(key, s.usb_path), s.platform, s)
        phone.port = self.slots.port(s.usb_path, s.location_id)
        return phone

    def _start(self, phone: _Phone) -> None:
        """A session for a ready phone: now, or (``back``) once what runs for its last
        attachment has ended: a link being opened, a session (withdrawn when it left)."""
        phone.state = "connecting"
        phone.resumes = phone.resumes or self._resume(phone)
        if phone.task is not None and not phone.task.done():
            phone.back = True
        else:
            phone.task = self._spawn(self._connect(phone))

    def _on_gone(self, phone: _Phone | None) -> list[BenchEvent]:
        if phone is None:
            return []
        phone.state, phone.back = "gone", False
        if phone.withdrawal is not None:
            phone.withdrawal.withdraw("phone unplugged")
        if phone.link is not None:
            self._spawn(phone.link.close())
        self._spawn(self._release_later(phone))
        return [PhoneGone(phone.slot, phone.sighting.key)]

    async def _release_later(self, phone: _Phone) -> None:
        """Free the slot of a phone that stayed away ``rejoin_s``, once its session has ended."""
        await asyncio.sleep(self.rejoin_s)
        while phone.state == "gone" and phone.task is not None and not phone.task.done():
            await asyncio.wait([phone.task])
        if phone.state == "gone" and self.phones.get(phone.key) is phone and not phone.held:
            del self.phones[phone.key]
            self.slots.release(phone.slot)

    def _recently_done(self, phone: _Phone) -> bool:
        return phone.finished_at is not None and time.monotonic() - phone.finished_at < self.rejoin_s

    async def _connect(self, phone: _Phone) -> None:
        """Open a link and run a session; again when the phone is plugged in again meanwhile
        (``back``): the link or session of its last attachment is of no use."""
        while phone.state != "gone":
            phone.back = False
            link = await self._open(phone)
            if link is not None and (phone.state == "gone" or phone.back):  # it left while the link opened
                await link.close()
                link = None
            if link is None:
                if phone.back:
                    continue
                return
            phone.link, phone.state, phone.finished_at = link, "checking", None
            phone.session, phone.withdrawal = asyncio.current_task(), Withdrawal()
            try:
                await self._session(phone, link)
            finally:
                phone.session, phone.link, phone.withdrawal = None, None, None
                await link.close()
            if not phone.back or self._recently_done(phone):
                return
            phone.state = "connecting"
            self._queue.put_nowait(self._seen(phone))

    async def _open(self, phone: _Phone) -> Link | None:
        """A link to the phone, retried while the phone waits for the technician (USB
        debugging, Trust); None when the phone left or cannot be reached (the card says why)."""
        while phone.state != "gone":
            try:
                return await self.open_link(phone.sighting)
            except NotReady as e:
                if phone.state == "gone":
                    return None
                phone.state = e.state
                self._queue.put_nowait(self._seen(phone, str(e)))
                if e.state == "denied":
                    return None
                await asyncio.sleep(self.retry_s)
            except LinkError as e:
                if phone.state != "gone" and not phone.back:
                    phone.state = "error"
                    self._queue.put_nowait(self._seen(phone, str(e)))
                return None
        return None

    async def _session(self, phone: _Phone, link: Link) -> None:
        self._queue.put_nowait(self._seen(phone))
        carried, answers, phone.carried, phone.answers = phone.carried, phone.answers, {}, {}
        resumes, phone.resumes = phone.resumes, None
        events = run_session(link, self.bench, phone.slot, carried=carried, answers=answers,
                             withdrawal=phone.withdrawal, port=phone.port)
        async for event in events:
            if resumes is not None and isinstance(event, SessionStarted):
                self.resumer.resumed(resumes, event.session_id)
            self._queue.put_nowait(SlotEvent(phone.slot, event))
            if isinstance(event, ReportSaved):
                phone.last_report = event.report
            if isinstance(event, (ReportSaved, SessionFailed)):
                complete = isinstance(event, ReportSaved) and event.report["session"]["complete"]
                phone.finished_at = time.monotonic() if complete else None
                if phone.state != "gone":
                    phone.state = "done" if isinstance(event, ReportSaved) else "error"

    async def _recall(self) -> list[BenchEvent]:
        """The phones a quit or a crash left unfinished, each on a card in its old slot
        when that is free; the settle timer closes those that do not come back."""
        try:
            entries = await asyncio.to_thread(self.resumer.recall)
        except PhonebenchError as e:  # the bench runs on; the journal's entries wait for the next start
            log.error("cannot read the session journal: %s", e)
            return []
        events: list[BenchEvent] = []
        for entry in entries:
            slot = entry.slot if entry.slot is not None and entry.slot not in self.slots.taken else None
            if slot is not None:
                self.slots.taken[slot] = entry.key
            else:
                slot = self.slots.assign(entry.key, None)
            ref = PhoneRef(entry.device_id, entry.platform, slot, entry.model)
            port = entry.port_ref()
            events.append(PhoneSeen(slot, ref, "unfinished", guidance(entry), port.path if port else None,
                                    port.name if port else None))
        if entries:
            self._spawn(self._close_missing())
        return events

    def _resume(self, phone: _Phone) -> Unfinished | None:
        """A phone ready again after a restart: its next session carries the journaled work."""
        entry = self.resumer.take(phone.key)
        if entry is not None:
            phone.carried, phone.answers = journaled_work(entry), dict(entry.answers)
        return entry

    async def _close_missing(self) -> None:
        """Once discovery has settled, and every ``settle_s`` after while some are left: each
        unfinished phone not on the bench becomes an incomplete report (signed into the record
        once; see ``agent.session.resume``). A phone on the bench but not ready (Trust, USB
        debugging) is waited for until it resumes or leaves."""

        def present(key: str) -> bool:
            return key in self.phones and self.phones[key].state != "gone"

        while self.resumer.waiting:
            await asyncio.sleep(self.settle_s)
            for entry in self.resumer.missing(present):
                await self._close_one(entry)

    async def _close_one(self, entry: Unfinished) -> None:
        try:
            stored = await asyncio.to_thread(self.resumer.close, entry)
        except PhonebenchError as e:  # a full disk, say: the entry stays open for the next start
            log.error("cannot close the unfinished session of %s: %s", entry.device_id, e)
            return
        slot = next((s for s, key in self.slots.taken.items() if key == entry.key), None)
        if slot is None:  # the phone now in its port took its card: the report is kept, the card is that phone's
            return
        if stored is not None:
            ref = PhoneRef(entry.device_id, entry.platform, slot, entry.model)
            checks = tuple(c.name for c in self.bench.checks)
            for event in (SessionStarted(entry.session_id, ref, entry.link or "", checks),
                          ReportSaved(entry.session_id, stored.report, stored.envelope, stored.path)):
                self._queue.put_nowait(SlotEvent(slot, event))
        self._queue.put_nowait(PhoneGone(slot, entry.device_id))
        if entry.key not in self.phones:
            self.slots.release(slot)

    def _seen(self, phone: _Phone, guidance: str | None = None) -> PhoneSeen:
        ref = PhoneRef(phone.sighting.key, phone.platform, phone.slot)
        port = phone.port
        return PhoneSeen(phone.slot, ref, phone.state, guidance, port.path if port else None, port.name if port else None)
