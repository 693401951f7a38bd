"""Every metric a built-in check reports can be named in a profile rule."""

from __future__ import annotations

import asyncio
from pathlib import Path

from agent.delivery.ledger import SideRecord
from agent.fixtures.format import load_fixture
from agent.links.replay import replay_link
from agent.plugins import declared_metrics
from agent.session.engine import run_session
from agent.session.station import open_station

BUILTIN_METRICS = declared_metrics()
ROOT = Path(__file__).resolve().parents[2] / "fixtures"


def test_profiles_know_every_metric_the_built_in_checks_report(tmp_path: Path) -> None:
    bench = open_station("default", record=SideRecord(tmp_path))
    reported: dict[str, set[str]] = {}

    async def run(path: Path) -> list:
        return [e async for e in run_session(replay_link(load_fixture(path)), bench)]

    async def run_all() -> list[list]:  # every phone at once, as a bench runs them
        return list(await asyncio.gather(*(run(p) for p in sorted([*ROOT.glob("android/*.yaml"), *ROOT.glob("ios/*.yaml")]))))

    for events in asyncio.run(run_all()):
        for check in events[-1].report["checks"]:
            reported.setdefault(check["name"], set()).update(check["metrics"])
    for check, names in reported.items():
        assert names <= BUILTIN_METRICS[check], f"{check}: {sorted(names - BUILTIN_METRICS[check])}"
