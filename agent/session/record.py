"""Recording a phone: the engine's own session over a recording link.

``record`` is not a second way to measure: it runs ``run_session`` over a recording link
with a station that keeps nothing (no sink), so the phone is asked exactly what a bench
session asks, identity first and the catalog model handed to the other checks. Before the
session, every read the checks declare is sent once, so the fixture also answers reads a
check makes only on some phones.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from agent.check import Check, CheckResult
from agent.errors import LinkDisconnected, LinkError, LinkTimeout
from agent.grading.catalog import Catalog
from agent.grading.profile import load_profile
from agent.links.base import DEFAULT_TIMEOUT_S
from agent.links.recording import RecordingAndroidLink, RecordingIosLink, RecordingLink
from agent.session.engine import Station, run_session
from agent.session.events import CheckFinished, SessionFailed

#: the profile a recording is graded with (its grade is never kept: it only drives the session)
RECORDING_PROFILE = "default"


def recording_station(checks: Sequence[Check], catalog: Catalog, timeout_s: float = DEFAULT_TIMEOUT_S) -> Station:
    """A station that runs sessions to their grade and keeps nothing."""
    profile = load_profile(RECORDING_PROFILE, known_checks={c.name for c in checks})
    return Station(profile=profile, checks=checks, catalog=catalog, station_id="record", sink=None, timeout_s=timeout_s)


async def record_phone(link: RecordingLink, station: Station) -> dict[str, CheckResult]:
    """Every check's result, by check name, after a session over ``link``; what the phone
    answered is in ``link.recording``. Raises LinkError when the phone went away or stopped
    being usable, since such a recording would replay as another phone."""
    await prefetch(link, station.checks, station.timeout_s)
    _raise_if_lost(link)
    results: dict[str, CheckResult] = {}
    async for event in run_session(link, station):
        if isinstance(event, CheckFinished):
            results[event.check] = event.result
        elif isinstance(event, SessionFailed):
            raise LinkError(f"{link.device_id}: recording incomplete: {event.error}")
    _raise_if_lost(link)
    return results


async def prefetch(link: RecordingLink, checks: Sequence[Check], timeout_s: float) -> None:
    """Send every read the checks declare for the link's platform, once each."""
    reads = dict.fromkeys(r for c in checks if link.platform in c.platforms for r in c.reads.get(link.platform, ()))
    await asyncio.gather(*(_read(link, r, timeout_s) for r in reads), return_exceptions=True)


def _raise_if_lost(link: RecordingLink) -> None:
    if link.recording.lost is not None:
        raise LinkDisconnected(f"{link.device_id}: recording incomplete: {link.recording.lost}")


async def _read(link: RecordingLink, read: str, timeout_s: float) -> None:
    kind, _, name = read.partition(":")
    try:
        if isinstance(link, RecordingAndroidLink) and kind not in ("lockdown", "ioregistry"):
            await link.shell(read, timeout=timeout_s)
        elif isinstance(link, RecordingIosLink) and kind == "lockdown":
            await link.lockdown_value(name, timeout=timeout_s)
        elif isinstance(link, RecordingIosLink) and kind == "ioregistry":
            await link.ioregistry(name, timeout=timeout_s)
        elif isinstance(link, RecordingIosLink) and kind == "service":
            await link.mobile_config(name.rsplit("/", 1)[1], timeout=timeout_s)
    except LinkTimeout:
        pass  # noted as a hang fault; the phone may still answer the rest
