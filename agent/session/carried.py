"""Results a session does not measure again: carried from an earlier report or the journal.

A re-run after a report (``carry_over``) and a resume after a quit or a crash
(``agent.session.resume``) both hand the engine entries shaped like ``report["checks"][i]``;
``carried_result`` turns one back into a ``CheckResult`` whose detail says where it came
from, so the new report tells figures measured now from figures measured earlier.
``with_gaps`` names, on a replay, the reads a fixture lacks, so a short fixture reads as
that and not as a phone that failed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from typing import Any

from agent.check import Check, CheckResult, Metric
from agent.links.base import Link


def carry_over(report: Mapping[str, Any], rerun: Collection[str]) -> dict[str, Any]:
    """The ``carried`` argument that re-runs only ``rerun`` after ``report``: check name ->
    that check's report entry, plus the ``report_id`` it comes from."""
    return {c["name"]: {**c, "report_id": report["report_id"]} for c in report["checks"] if c["name"] not in rerun}


def carried_result(entry: Mapping[str, Any]) -> CheckResult:
    """A check's result copied from an earlier report's entry (or, with ``origin``, from the
    session journal), saying where it came from."""
    origin = entry.get("origin") or f"carried over from report {entry.get('report_id', '?')}"
    metrics = {
        name: Metric(m.get("value"), m.get("source"), m.get("reason"), m.get("method"))
        for name, m in (entry.get("metrics") or {}).items()
    }
    detail = f"{origin}: {entry['detail']}" if entry.get("detail") else origin
    return CheckResult(entry.get("outcome", "error"), metrics, detail)


def with_gaps(link: Link, check: Check, result: CheckResult) -> CheckResult:
    """``result``, on a replay whose fixture lacks some of the check's reads, with a detail
    naming them; unchanged when measured, when not a replay, or when it already says so."""
    from agent.fixtures.format import Fixture
    from agent.fixtures.gaps import fixture_gaps, lacks_detail

    fixture = getattr(link, "fixture", None)
    if result.outcome == "measured" or not isinstance(fixture, Fixture) or "fixture lacks" in (result.detail or ""):
        return result
    gaps = fixture_gaps(fixture, check.reads.get(link.platform, ()))
    if not gaps:
        return result
    lacks = lacks_detail(gaps)
    return dataclasses.replace(result, detail=f"{lacks}; {result.detail}" if result.detail else lacks)
