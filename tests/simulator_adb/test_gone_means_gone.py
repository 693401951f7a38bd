"""A phone that leaves mid-check is interrupted, never graded: decided by asking adb, under load."""

from __future__ import annotations

import asyncio
from pathlib import Path

from agent.delivery.ledger import SideRecord
from agent.fixtures.format import load_fixture
from agent.links.adb import AdbAndroidLink
from agent.links.base import AndroidLink, ShellResult
from agent.session.engine import run_session
from agent.session.events import ReportSaved
from agent.session.station import open_station
from agent.simulator.bench import with_latency

from .conftest import AdbServer, Simulate

ROOT = Path(__file__).resolve().parents[2]
PHONES = 50


def test_fifty_phones_unplugged_mid_check_under_load_give_no_complete_and_no_graded_report(
    simulate: Simulate, adb_server: AdbServer, tmp_path: Path
) -> None:
    fixture = with_latency(load_fixture(ROOT / "fixtures" / "android" / "disconnect-mid-battery.yaml"), 5)
    sims = [simulate(fixture) for _ in range(PHONES)]
    station = open_station("default", record=SideRecord(tmp_path / "reports"))

    async def session(serial: str) -> dict:
        events = [e async for e in run_session(AdbAndroidLink(serial, port=adb_server.port), station)]
        saved = [e for e in events if isinstance(e, ReportSaved)]
        assert saved, events[-1]
        return saved[0].report

    async def all_sessions() -> list[dict]:
        return await asyncio.gather(*(session(sim.serial) for sim in sims))

    reports = asyncio.run(all_sessions())
    assert [r["session"]["complete"] for r in reports] == [False] * PHONES
    assert [r["grade"] for r in reports] == [None] * PHONES
    assert {c["outcome"] for r in reports for c in r["checks"] if c["name"] == "battery"} == {"interrupted"}


class _LeavesQuietly(AndroidLink):
    """A phone whose last read comes back as garbage with no error (its cable pulled as it
    answered), and which its transport no longer lists."""

    device_id, describe = "quiet", "test:quiet"

    async def shell(self, command: str, timeout: float = 10.0) -> ShellResult:
        return ShellResult("", "", 0)

    async def present(self, timeout: float = 10.0) -> bool | None:
        return False


def test_a_phone_its_transport_no_longer_lists_is_incomplete_even_without_a_link_error(tmp_path: Path) -> None:
    station = open_station("default", record=SideRecord(tmp_path / "reports"))

    async def go() -> list:
        return [e async for e in run_session(_LeavesQuietly(), station)]

    report = next(e for e in asyncio.run(go()) if isinstance(e, ReportSaved)).report
    assert report["session"]["complete"] is False
    assert report["grade"] is None
