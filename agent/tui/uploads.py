"""Where each shown report is on its way to the backend, read from the outbox off the UI thread.

The UploadWorker (started by ``run_tui``) moves reports along; this only looks. Reads run
on one thread of the reader's own, because the outbox keeps one SQLite connection per
thread: a fresh thread per read would open a fresh connection each time.

Only pending and rejected rows are listed (few) and the shown reports looked up by id; a
delivered report is never read again, so a station with years of delivered reports costs
the screen no more than a new one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from agent.config import StationConfig, load_config
from agent.delivery.outbox import Outbox
from agent.errors import OutboxError, PhonebenchError
from agent.text import printable

#: what the card shows in its bottom border; nothing when no backend is configured
MARKERS = {"pending": "upload pending", "delivered": "uploaded", "rejected": "upload rejected"}


@dataclass(frozen=True)
class UploadState:
    """``state``: pending, delivered, rejected, missing (not in the outbox), offline (no
    backend configured) or unknown (the outbox could not be read); ``detail`` says more."""

    state: str
    detail: str | None = None
    attempts: int = 0

    @property
    def final(self) -> bool:
        """Nothing the bench does will change it (a backend url is read once, at start)."""
        return self.state in ("delivered", "offline")

    @property
    def marker(self) -> str | None:
        return MARKERS.get(self.state)

    def line(self) -> str:
        """One line for the phone view; the backend's words are shown as text, never markup."""
        detail = printable(self.detail) if self.detail else None
        if self.state == "pending":
            if not self.attempts:
                return "pending: waiting for its first try"
            tries = f"{self.attempts} tr{'y' if self.attempts == 1 else 'ies'}"
            return f"pending: {tries}, last: {detail}" if detail else f"pending: {tries}"
        if self.state == "delivered":
            return f"delivered ({detail})" if detail else "delivered"
        if self.state == "rejected":
            return f"rejected by the backend: {detail or 'no reason given'} (fix it, then: phonebench outbox retry ID)"
        if self.state == "offline":
            return "no backend configured (the report stays in the outbox)"
        if self.state == "missing":
            return "not in the outbox"
        return f"unknown: {detail}" if detail else "unknown"


class UploadReader:
    """Looks reports up in the outbox; the station config and the outbox open on first use."""

    def __init__(self, outbox: Callable[[], Outbox] = Outbox, config: Callable[[], StationConfig] = load_config) -> None:
        self._open_outbox, self._load_config = outbox, config
        self._outbox: Outbox | None = None
        self._config: StationConfig | None = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="phonebench-upload-states")

    async def states(self, report_ids: Collection[str]) -> dict[str, UploadState]:
        """``read`` on the reader's thread, so the event loop (and the screen) never waits on SQLite."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, self.read, frozenset(report_ids))

    def read(self, report_ids: Collection[str]) -> dict[str, UploadState]:
        """The state of each report; a broken config or outbox is one ``unknown`` line each."""
        try:
            return self._read(report_ids)
        except PhonebenchError as e:
            return {rid: UploadState("unknown", str(e)) for rid in report_ids}
        except Exception as e:  # the screen says so and tries again on the next read
            return {rid: UploadState("unknown", f"internal error: {type(e).__name__}: {e}") for rid in report_ids}

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self._outbox is not None:
            self._outbox.close()

    def _read(self, report_ids: Collection[str]) -> dict[str, UploadState]:
        if self._config is None:
            self._config = self._load_config()
        if self._config.backend_url is None:
            return {rid: UploadState("offline") for rid in report_ids}
        if self._outbox is None:
            self._outbox = self._open_outbox()
        held = {rid for rid in report_ids if self._held(rid)}  # before the listing: see _held
        rows = {e.report_id: e for e in self._outbox.entries(("pending", "rejected")) if e.report_id in held}
        states = {rid: UploadState(e.state, e.last_error, e.attempts) for rid, e in rows.items()}
        states.update({rid: UploadState("delivered") for rid in held - set(rows)})
        states.update({rid: UploadState("missing") for rid in set(report_ids) - held})
        return states

    def _held(self, report_id: str) -> bool:
        """Whether the outbox has the report. Asked before listing the open rows: a report
        held then and not open a moment later can only have been delivered."""
        try:
            self._outbox.envelope(report_id)  # type: ignore[union-attr]
        except OutboxError:  # no such report (a broken outbox fails the listing that follows)
            return False
        return True
