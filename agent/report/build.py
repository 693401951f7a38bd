"""Assembling a session's report document (schema ``phonebench.report/2``).

The store adds the chain link, signs and writes; this module only decides what the
report says, so the engine stays about running things.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent import __version__
from agent.text import capped_json


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def build_report(*, session: Any, started_at: str, grading: Any, complete: bool, key_id: str) -> dict[str, Any]:
    """The report for a finished (or interrupted) session, without its chain link. Its
    ``device`` block holds ``session.device_fields`` (what the identity check declares).
    Every string that may come from the phone is capped where it enters (``agent.text``),
    so one phone's endless model name cannot make a report the backend refuses for ever."""
    bench = session.bench
    device = {name: capped_json(session.device.get(name)) for name in session.device_fields}
    device["catalog_key"] = capped_json(session.device.get("catalog_key"))
    checks = []
    for check in bench.checks:
        result = session.results.get(check.name)
        if result is None:
            continue
        verdict = grading.verdicts.get(check.name)
        checks.append(
            {
                "name": check.name,
                "title": check.title,
                "outcome": result.outcome,
                "detail": capped_json(result.detail),
                "metrics": {name: metric.to_json() for name, metric in result.metrics.items()},
                "verdict": verdict.verdict if verdict else "not_assessed",
                "reasons": capped_json(list(verdict.reasons)) if verdict else ["the profile has no rules for this check"],
            }
        )
    grade = grading.grade
    return {
        "schema": "phonebench.report/2",
        "report_id": session.id,
        "started_at": started_at,
        "finished_at": utc_now(),
        "station": {"id": bench.station_id, "key_id": key_id},
        "agent": {"name": "phonebench", "version": __version__},
        "profile": {"name": bench.profile.name, "digest": bench.profile.digest},
        "session": {
            "link": capped_json(session.link.describe or None),
            "provenance": session.provenance.kind,
            "transport_id": session.provenance.transport_id,
            "slot": session.phone.slot,
            "port": _port(session),
            "complete": complete,
            "incomplete_reason": None if complete else capped_json(session.gone),
        },
        "device": device,
        "checks": checks,
        "answers": capped_json(dict(session.answers)),
        "grade": {"value": grade.value, "reasons": capped_json(list(grade.reasons))} if complete and grade else None,
    }


def _port(session: Any) -> dict[str, Any] | None:
    """``session.port`` (agent.ports.Port) as the report's ``session.port``: path,
    the station config's name, usbmuxd's LocationID as hex; None when no port is known (a
    network or replayed phone). The name is the station's own text, capped all the same."""
    port = getattr(session, "port", None)
    return None if port is None else capped_json(port.to_json())
