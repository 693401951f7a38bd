"""After a quit, a crash or a power cut: what the journal kept, resumed or closed.

A phone back on the bench resumes: its journaled results are carried into the new session
(the detail says they were measured before the restart, and when) and its answers are kept,
so only what is missing is asked. A phone that is not back once discovery has settled is
closed as an incomplete report: what was measured is kept, what was not is ``interrupted``,
and there is no grade.

Exactly one report per cut-off session: its report id is the session id, and the journal
entry is closed only after the ledger has kept the report (outbox row first, then file). A
crash between the two leaves an open entry whose report the ledger already holds; the next
start sees that and only closes the entry.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agent.check import CheckResult
from agent.links.base import Provenance
from agent.session.carried import carried_result
from agent.session.engine import Station, device_fields
from agent.session.events import PhoneRef
from agent.session.journal import Journal, Unfinished

if TYPE_CHECKING:
    from agent.report.chain import StoredReport

#: how long after a start the bench waits for journaled phones to show up before closing
#: the missing ones as incomplete: adb and usbmuxd list the phones plugged in within a
#: second or two; an iPhone's Trust or a phone's USB debugging prompt does not count,
#: because a phone seen at all (in any state) is waited for
SETTLE_S = 10.0

CUT_OFF = "session cut off by a quit or a crash of the agent; the phone was not back when the bench started again"


def journal_of(bench: Station) -> Journal | None:
    journal = bench.journal
    return journal if isinstance(journal, Journal) else None


def journaled_work(entry: Unfinished, identity: bool = False) -> dict[str, Any]:
    """The ``carried`` argument of ``run_session`` that resumes ``entry``: every journaled
    result (but identity, which a resumed session measures again), each saying it was
    measured before the restart, and when."""
    return {name: {**result, "origin": f"measured before the restart, at {at}"}
            for name, (result, at) in entry.checks.items() if identity or name != "identity"}


def kept(bench: Station, entry: Unfinished) -> bool:
    """The ledger already holds this session's report (saved, then the process died)."""
    holds = getattr(bench.sink, "holds", None)
    return bool(holds is not None and holds(entry.session_id))


@dataclass
class _CutSession:
    """What ``build_report`` reads from a session, rebuilt from a journal entry."""

    bench: Station
    id: str
    phone: PhoneRef
    link: Any
    provenance: Provenance
    gone: str
    device: dict[str, Any]
    device_fields: tuple[str, ...]
    answers: dict[str, Any]
    results: dict[str, CheckResult] = field(default_factory=dict)
    port: Any = None  # agent.ports.Port, as journaled


@dataclass(frozen=True)
class _Described:
    describe: str


def close_cut_off(bench: Station, journal: Journal, entry: Unfinished, reason: str = CUT_OFF) -> StoredReport | None:
    """Save ``entry`` as an incomplete report and close it (blocking: call it in a thread).
    None when no report is due: the ledger holds it already, or the phone was never
    identified (nothing was measured or asked, and its provenance is unknown)."""
    from agent.grading.rules import grade
    from agent.report.build import build_report

    if bench.sink is None:
        return None
    if kept(bench, entry):
        journal.close(entry.session_id, "reported", "report kept before the restart")
        return None
    if entry.provenance is None:
        journal.close(entry.session_id, "closed", "cut off before the phone was identified: nothing measured")
        return None
    results = {name: carried_result(kept_entry) for name, kept_entry in journaled_work(entry, identity=True).items()}
    for check in bench.checks:
        results.setdefault(check.name, CheckResult("interrupted", detail=reason))
    session = _CutSession(bench, entry.session_id, PhoneRef(entry.device_id, entry.platform, entry.slot, entry.model),
                          _Described(entry.link or ""), Provenance(entry.provenance, entry.transport_id), reason,
                          {"platform": entry.platform, **entry.device}, device_fields(bench.checks), dict(entry.answers),
                          results, entry.port_ref())
    grading = grade(bench.profile, results, entry.answers, False)
    report = build_report(session=session, started_at=entry.started_at, grading=grading, complete=False,
                          key_id=bench.sink.key_id)
    stored = bench.sink.save(report)
    journal.close(entry.session_id, "reported", "closed as incomplete after a restart")
    journal.flush()
    return stored


class Resumer:
    """The supervisor's side of the journal: the open entries read at start, the one a phone
    takes up when it is ready again, and those whose phone did not come back."""

    def __init__(self, bench: Station) -> None:
        self.bench, self.journal = bench, journal_of(bench)
        self.waiting: dict[str, Unfinished] = {}  # canonical key -> entry

    def recall(self) -> list[Unfinished]:
        """Read the open entries (blocking: call it in a thread). An entry whose report the
        ledger already holds is only closed; two open entries of one phone (a crash while
        one resumed the other) are merged into the later one."""
        if self.journal is None or self.bench.sink is None:
            return []
        entries = self.journal.unfinished()
        for entry in entries:
            if kept(self.bench, entry):
                self.journal.close(entry.session_id, "reported", "report kept before the restart")
                continue
            earlier = self.waiting.get(entry.key)
            if earlier is not None:
                self.journal.supersede(earlier.session_id, entry.session_id)
            self.waiting[entry.key] = entry
        if len(self.waiting) < len(entries):  # merged: read the merged entries again
            latest = {e.session_id: e for e in self.journal.unfinished()}
            self.waiting = {key: latest.get(e.session_id, e) for key, e in self.waiting.items()}
        return list(self.waiting.values())

    def take(self, key: str) -> Unfinished | None:
        """The entry a phone that is ready again resumes, if any (taken once)."""
        return self.waiting.pop(key, None)

    def adopt(self, key: str, platform: str, port_path: str | None, serial: str | None) -> str | None:
        """A simulated Android phone is named by its fake adbd's loopback address, which
        changes from run to run; its simulated port (``sim-1.N``) and its serial (``serial``,
        the fixture's ro.serialno) do not. The entry left in that port by a phone named by a
        loopback address, of the same platform and serial, is this phone's: it is filed under
        ``key`` from now on. Returns the key it had, else None. Real phones (a serial, a UDID,
        a real port) are matched only by their own key."""
        from agent.ports import SIM_PREFIX

        if (key in self.waiting or serial is None or port_path is None or not port_path.startswith(SIM_PREFIX)
                or not loopback(key)):
            return None
        for old, entry in self.waiting.items():
            if (entry.platform == platform and loopback(entry.device_id) and entry.port is not None
                    and entry.port.get("path") == port_path and entry.device.get("serial") == serial):
                del self.waiting[old]
                self.waiting[key] = dataclasses.replace(entry, key=key)
                return old
        return None

    def in_port(self, port_path: str | None) -> Unfinished | None:
        """The waiting entry of the phone last in ``port_path`` (None when none, or no port)."""
        if port_path is None:
            return None
        return next((e for e in self.waiting.values() if e.port is not None and e.port.get("path") == port_path), None)

    def resumed(self, entry: Unfinished, session_id: str) -> None:
        """The new session ``session_id`` carries ``entry`` on: move its work there."""
        if self.journal is not None:
            self.journal.supersede(entry.session_id, session_id)

    def missing(self, present: Callable[[str], bool]) -> list[Unfinished]:
        """Take the entries whose phone is not on the bench now."""
        gone = [e for key, e in self.waiting.items() if not present(key)]
        for entry in gone:
            del self.waiting[entry.key]
        return gone

    def close(self, entry: Unfinished) -> StoredReport | None:
        """Close ``entry`` as an incomplete report (blocking: call it in a thread)."""
        if self.journal is None:
            return None
        return close_cut_off(self.bench, self.journal, entry)


def loopback(device_id: str) -> bool:
    """An adb serial that is a loopback ``host:port`` (a fake adbd the simulator attached)."""
    import ipaddress

    host, sep, port = device_id.rpartition(":")
    if not sep or not port.isdigit():
        return False
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost"


def guidance(entry: Unfinished) -> str:
    """What an unfinished phone's card says until it is back."""
    measured = sum(1 for name in entry.checks if name != "identity")
    answers = len(entry.answers)
    kept_work = f"{measured} check{'s' * (measured != 1)} and {answers} answer{'s' * (answers != 1)} kept"
    return f"unfinished before the restart ({kept_work}): plug it back in to finish it"
