"""Shared by the recording tests: record a link, run sessions, compare what they measured."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from agent.fixtures.format import Fixture, load_fixture
from agent.fixtures.record import fixture_document, write_fixture
from agent.grading.catalog import load_catalog
from agent.links.base import Link
from agent.links.recording import recording_link
from agent.links.replay import replay_link
from agent.plugins import load_checks
from agent.pytest_plugin import make_test_bench, session_report
from agent.session.record import record_phone, recording_station

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = sorted((ROOT / "fixtures" / "android").glob("*.yaml")) + sorted((ROOT / "fixtures" / "ios").glob("*.yaml"))


def drops(fixture: Fixture) -> bool:
    return any(f.kind == "disconnect" for f in fixture.faults)


READY = [p for p in BUNDLED if not drops(load_fixture(p))]


def record_doc(inner: Link, features: tuple[str, ...] = (), timeout_s: float = 10.0) -> dict[str, Any]:
    """The fixture document of a recording of ``inner`` (not redacted)."""
    link = recording_link(inner, features)
    results = asyncio.run(record_phone(link, recording_station(load_checks(), load_catalog(), timeout_s)))
    return fixture_document(link, results, "recorded in tests/recording")


def record_replay(path: Path, out: Path) -> Fixture:
    """Record the replay of the fixture at ``path`` into ``out``, not redacted."""
    fixture = load_fixture(path)
    features = fixture.android.features if fixture.android else ()
    return write_fixture(out, record_doc(replay_link(fixture), features))


def measured(fixture: Fixture, home: Path) -> dict[str, Any]:
    """check name -> (outcome, detail, metrics) of a session replaying ``fixture``."""
    return _checks(asyncio.run(session_report(replay_link(fixture), make_test_bench(home))))


def measured_pair(first: Fixture, second: Fixture, home: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """``measured`` of both fixtures, their sessions side by side (each waits out its recorded
    delays), each bench with its own key and chain in a folder of ``home``."""

    async def both() -> list[dict[str, Any]]:
        return list(await asyncio.gather(session_report(replay_link(first), make_test_bench(home / "first")),
                                         session_report(replay_link(second), make_test_bench(home / "second"))))

    one, other = asyncio.run(both())
    return _checks(one), _checks(other)


def _checks(report: dict[str, Any]) -> dict[str, Any]:
    return {c["name"]: (c["outcome"], c["detail"], c["metrics"]) for c in report["checks"]}
