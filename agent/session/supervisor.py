"""The bench supervisor: phones come and go, sessions start by themselves.

It merges the sightings of every discovery source into phones in slots. A phone that
becomes ready gets a session; one that needs the technician (USB debugging, Trust) gets
guidance and is retried; one pulled out mid-session ends that session as interrupted
(the link raises LinkDisconnected); the same phone back within ``rejoin_s`` (USB resets
after Trust) keeps its slot and is not counted twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from agent.discovery import Sighting
from agent.errors import LinkError, NotReady
from agent.links.base import Link
from agent.ports import Port
from agent.session.engine import Station, carry_over, run_session
from agent.session.events import BenchEvent, PhoneGone, PhoneRef, PhoneSeen, ReportSaved, SessionFailed, SlotEvent
from agent.session.slots import SlotMap

log = logging.getLogger(__name__)

LinkOpener = Callable[[Sighting], Awaitable[Link]]


def canonical(key: str) -> str:
    """One name per phone across sources: UDIDs lose their dash, case is ignored."""
    return key.replace("-", "").upper()


@dataclass
class _Phone:
    key: str
    slot: int
    platform: str
    sighting: Sighting
    state: str = "seen"
    session: asyncio.Task[None] | None = None
    link: Link | None = None
    finished_at: float | None = None
    last_report: dict[str, Any] | None = None
    carried: dict[str, Any] = field(default_factory=dict)
    answers: dict[str, Any] = field(default_factory=dict)
    port: Port | None = None


class Supervisor:
    def __init__(
        self,
        bench: Station,
        sources: Sequence[Any],
        open_link: LinkOpener,
        slots: SlotMap | None = None,
        rejoin_s: float = 5.0,
        retry_s: float = 1.0,
    ) -> None:
        self.bench, self.sources, self.open_link = bench, list(sources), open_link
        self.slots = slots or SlotMap()
        self.rejoin_s, self.retry_s = rejoin_s, retry_s
        self.phones: dict[str, _Phone] = {}
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._tasks: set[asyncio.Task[Any]] = set()

    async def events(self) -> AsyncGenerator[BenchEvent, None]:
        """Run the bench; yields events until cancelled."""
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
        if phone is None or phone.session is not None or phone.state in ("connecting", "checking", "gone"):
            return False
        if checks is not None and phone.last_report is None:
            return False
        phone.carried, phone.answers = {}, {}
        if checks is not None and phone.last_report is not None:
            phone.carried = carry_over(phone.last_report, set(checks))
            asked_again = {q.key for c in self.bench.checks if c.name in checks for q in c.questions}
            phone.answers = {k: v for k, v in phone.last_report["answers"].items() if k not in asked_again}
        phone.finished_at, phone.state = None, "connecting"
        self._spawn(self._connect(phone))
        return True

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
        if s.source == "usb":
            return self._on_usb(key, s, phone)
        if not s.present:
            return self._on_gone(phone)
        phone = phone if phone is not None else self._arrived(key, s)
        phone.sighting = s
        if s.state in ("ready", "attached"):
            if self._recently_done(phone):
                phone.state = "done"
            elif phone.session is None:
                phone.state = "connecting"
                self._spawn(self._connect(phone))
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
        """A phone no source saw before: it takes its port's slot (agent.session.slots)."""
        phone = self.phones[key] = _Phone(key, self.slots.assign(key, s.usb_path), s.platform, s)
        phone.port = self.slots.port(s.usb_path, s.location_id)
        return phone

    def _on_gone(self, phone: _Phone | None) -> list[BenchEvent]:
        if phone is None:
            return []
        phone.state = "gone"
        if phone.link is not None:
            self._spawn(phone.link.close())
        self._spawn(self._release_later(phone))
        return [PhoneGone(phone.slot, phone.sighting.key)]

    async def _release_later(self, phone: _Phone) -> None:
        await asyncio.sleep(self.rejoin_s)
        if phone.state == "gone" and self.phones.get(phone.key) is phone and phone.session is None:
            del self.phones[phone.key]
            self.slots.release(phone.slot)

    def _recently_done(self, phone: _Phone) -> bool:
        return phone.finished_at is not None and time.monotonic() - phone.finished_at < self.rejoin_s

    async def _connect(self, phone: _Phone) -> None:
        while phone.state != "gone":
            try:
                link = await self.open_link(phone.sighting)
            except NotReady as e:
                phone.state = e.state
                self._queue.put_nowait(self._seen(phone, str(e)))
                if e.state == "denied":
                    return
                await asyncio.sleep(self.retry_s)
                continue
            except LinkError as e:
                phone.state = "error"
                self._queue.put_nowait(self._seen(phone, str(e)))
                return
            phone.link, phone.state = link, "checking"
            phone.session = asyncio.current_task()
            try:
                await self._session(phone, link)
            finally:
                phone.session, phone.link = None, None
                await link.close()
            return

    async def _session(self, phone: _Phone, link: Link) -> None:
        self._queue.put_nowait(self._seen(phone))
        carried, answers, phone.carried, phone.answers = phone.carried, phone.answers, {}, {}
        async for event in run_session(link, self.bench, phone.slot, carried=carried, answers=answers, port=phone.port):
            self._queue.put_nowait(SlotEvent(phone.slot, event))
            if isinstance(event, ReportSaved):
                phone.last_report = event.report
            if isinstance(event, (ReportSaved, SessionFailed)):
                complete = isinstance(event, ReportSaved) and event.report["session"]["complete"]
                phone.finished_at = time.monotonic() if complete else None
                if phone.state != "gone":
                    phone.state = "done" if isinstance(event, ReportSaved) else "error"

    def _seen(self, phone: _Phone, guidance: str | None = None) -> PhoneSeen:
        ref = PhoneRef(phone.sighting.key, phone.platform, phone.slot)
        port = phone.port
        return PhoneSeen(phone.slot, ref, phone.state, guidance, port.path if port else None, port.name if port else None)
