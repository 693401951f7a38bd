"""The station's ledger: where a finished session's report goes, signed, chained and queued.

A session hands its report to ``Ledger.save`` and nothing else: the report is linked into the
station's chain, signed, written, and queued in the outbox for the grading backend. Front ends
never wire these steps themselves, so the CLI, the TUI and the pytest plugin save alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent.delivery.outbox import Outbox
from agent.report.chain import ReportStore, StoredReport
from agent.report.signing import StationKey


class Ledger:
    """``save(report) -> StoredReport``; ``outbox`` None keeps reports out of delivery (a test
    bench), ``after_save`` is told once a report is queued (the upload worker's wake-up)."""

    def __init__(
        self,
        key: StationKey,
        store: ReportStore,
        outbox: Outbox | None = None,
        after_save: Callable[[], None] | None = None,
    ) -> None:
        self.key, self.store, self.outbox, self.after_save = key, store, outbox, after_save

    @property
    def key_id(self) -> str:
        return self.key.keyid

    def save(self, report: dict[str, Any]) -> StoredReport:
        stored = self.store.commit(report, self.key)
        if self.outbox is not None:
            self.outbox.add(stored)
        if self.after_save is not None:
            self.after_save()
        return stored
