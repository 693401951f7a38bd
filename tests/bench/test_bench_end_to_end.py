"""The bench end to end through the real stacks: simulated phones behind the real adb
server (adbutils) and a fake usbmuxd reached by pymobiledevice3, found by discovery, run
by the supervisor. Each test has its own HOME, adb server port and usbmuxd socket, and
stops all of them at teardown."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agent.delivery.ledger import SideRecord
from agent.fixtures.format import Fixture, load_fixture
from agent.links.replay import replay_link
from agent.session.engine import run_session
from agent.session.events import BenchEvent, CheckStarted, PhoneSeen, ReportSaved, SlotEvent
from agent.session.hub import Hub
from agent.session.station import open_station
from agent.simulator.bench import SimulatedHub

ROOT = Path(__file__).resolve().parents[2] / "fixtures"
READY = sorted([*ROOT.glob("android/*.yaml"), *ROOT.glob("ios/*.yaml")])


def metrics_of(report: dict[str, Any]) -> dict[str, Any]:
    return {
        (c["name"], name): (m["value"], m.get("reason"))
        for c in report["checks"]
        for name, m in c["metrics"].items()
    }


async def replayed(fixture: Fixture, bench: Any) -> dict[str, Any]:
    events = [e async for e in run_session(replay_link(fixture), bench)]
    assert isinstance(events[-1], ReportSaved)
    return events[-1].report


class Driver:
    """Runs a supervisor over a simulated bench and lets a test act when events arrive."""

    def __init__(self, sim: SimulatedHub, tmp: Path, rejoin_s: float = 0.5) -> None:
        self.sim = sim
        self.bench = open_station("default", record=SideRecord(tmp / "reports"))
        # start_adb=False: the simulated bench runs its own adb server (none for iPhones only)
        self.live = Hub(adb_port=sim.adb_port, usbmux_address=sim.usbmux_address, usb=False, rejoin_s=rejoin_s,
                       start_adb=False, simulated=True)
        self.events: list[BenchEvent] = []
        self.slots: dict[int, str] = {}

    def reports(self) -> list[dict[str, Any]]:
        return [e.event.report for e in self.events if isinstance(e, SlotEvent) and isinstance(e.event, ReportSaved)]

    async def run(self, until: Callable[[BenchEvent], bool], timeout: float = 120.0) -> None:
        stream = self.live.supervisor(self.bench).events()
        try:
            async with asyncio.timeout(timeout):
                async for event in stream:
                    self.events.append(event)
                    if isinstance(event, PhoneSeen):
                        self.slots[event.slot] = event.phone.device_id
                    if until(event):
                        return
        finally:
            await stream.aclose()


def test_every_bundled_phone_is_detected_and_measured_as_in_replay(tmp_path: Path) -> None:
    fixtures = [load_fixture(p) for p in READY]
    with SimulatedHub(fixtures) as sim:
        driver = Driver(sim, tmp_path)
        asyncio.run(driver.run(lambda e: len(driver.reports()) == len(fixtures)))
    live = {r["session"]["link"]: r for r in driver.reports()}
    assert len(live) == len(fixtures)
    by_id = {sim_id: name for sim_id, name in sim.names.items()}
    replay_bench = open_station("default", record=SideRecord(tmp_path / "replay"))
    names = [by_id[link.split(":", 1)[1]] for link in live]
    by_name = {f.path.name: f for f in fixtures if f.path}

    async def replay_all() -> list[dict[str, Any]]:  # at once, as the live bench ran them
        return list(await asyncio.gather(*(replayed(by_name[name], replay_bench) for name in names)))

    for report, fixture, expected in zip(live.values(), (by_name[n] for n in names), asyncio.run(replay_all()), strict=True):
        assert metrics_of(report) == metrics_of(expected), fixture.name
        assert report["session"]["complete"] == expected["session"]["complete"], fixture.name


def _slow_battery(fixture: Fixture) -> Fixture:
    assert fixture.android is not None
    commands = dict(fixture.android.commands)
    commands["dumpsys battery"] = dataclasses.replace(commands["dumpsys battery"], delay_ms=5000)
    return dataclasses.replace(fixture, android=dataclasses.replace(fixture.android, commands=commands))


def test_unplugged_mid_check_is_interrupted_and_plugged_again_is_a_new_session(tmp_path: Path) -> None:
    fixture = _slow_battery(load_fixture(ROOT / "android" / "pixel-7.yaml"))
    with SimulatedHub([fixture]) as sim:
        (adbd,) = sim.adbds.values()
        driver = Driver(sim, tmp_path)
        unplugged = False

        def until(event: BenchEvent) -> bool:
            nonlocal unplugged
            if isinstance(event, SlotEvent) and isinstance(event.event, CheckStarted) and event.event.check == "battery":
                if not unplugged:
                    unplugged = True
                    adbd.unplug()
            reports = driver.reports()
            if isinstance(event, SlotEvent) and isinstance(event.event, ReportSaved) and len(reports) == 1:
                adbd.plug()
            return len(reports) == 2

        asyncio.run(driver.run(until))
    first, second = driver.reports()
    assert first["session"]["complete"] is False and first["grade"] is None
    assert next(c for c in first["checks"] if c["name"] == "battery")["outcome"] == "interrupted"
    assert first["report_id"] != second["report_id"]
    assert second["checks"][0]["outcome"] == "measured"


def test_unauthorized_phone_gets_guidance_then_runs_once_allowed(tmp_path: Path) -> None:
    fixture = load_fixture(ROOT / "states" / "unauthorized.yaml")
    with SimulatedHub([fixture]) as sim:
        (adbd,) = sim.adbds.values()
        driver = Driver(sim, tmp_path)

        def until(event: BenchEvent) -> bool:
            if isinstance(event, PhoneSeen) and event.state == "unauthorized":
                adbd.authorize()
            return bool(driver.reports())

        asyncio.run(driver.run(until))
    guidance = [e.guidance for e in driver.events if isinstance(e, PhoneSeen) and e.state == "unauthorized"]
    assert guidance and "Allow USB debugging" in guidance[0]
    assert driver.reports()[0]["session"]["complete"] is True


def test_trust_pending_iphone_runs_after_trust_without_a_restart(tmp_path: Path) -> None:
    fixture = load_fixture(ROOT / "states" / "trust-pending.yaml")
    with SimulatedHub([fixture]) as sim:
        driver = Driver(sim, tmp_path)

        def until(event: BenchEvent) -> bool:
            if isinstance(event, PhoneSeen) and event.state == "trust_pending":
                sim.usbmuxd.trust(fixture.device_id)
            return bool(driver.reports())

        asyncio.run(driver.run(until))
    states = [e.state for e in driver.events if isinstance(e, PhoneSeen)]
    assert "trust_pending" in states
    pending = next(e for e in driver.events if isinstance(e, PhoneSeen) and e.state == "trust_pending")
    assert "Tap Trust" in pending.guidance
    assert driver.reports()[0]["device"]["platform"] == "ios"


def test_denied_iphone_is_shown_as_denied_and_never_checked(tmp_path: Path) -> None:
    fixture = load_fixture(ROOT / "states" / "trust-pending.yaml")
    fixture = dataclasses.replace(fixture, ios=dataclasses.replace(fixture.ios, pairing="denied"))
    with SimulatedHub([fixture]) as sim:
        driver = Driver(sim, tmp_path)
        asyncio.run(driver.run(lambda e: isinstance(e, PhoneSeen) and e.state == "denied"))
    assert not driver.reports()
    denied = driver.events[-1]
    assert isinstance(denied, PhoneSeen) and "refused" in denied.guidance


def _copies(path: Path, n: int) -> list[Fixture]:
    base = load_fixture(path)
    out = []
    for i in range(n):
        if base.android is not None:
            out.append(dataclasses.replace(base, name=f"{base.name} #{i}",
                                           android=dataclasses.replace(base.android, serial=f"{base.android.serial}{i:02d}")))
        else:
            assert base.ios is not None
            udid = base.ios.udid[:-2] + f"{i:02X}"
            lockdown = {d: dict(v) for d, v in base.ios.lockdown.items()}
            lockdown[""]["UniqueDeviceID"] = udid
            out.append(dataclasses.replace(base, name=f"{base.name} #{i}",
                                           ios=dataclasses.replace(base.ios, udid=udid, lockdown=lockdown)))
    return out


def test_thirty_two_phones_at_once_all_get_reports(tmp_path: Path) -> None:
    fixtures = _copies(ROOT / "android" / "pixel-7.yaml", 24) + _copies(ROOT / "ios" / "iphone-13.yaml", 8)
    with SimulatedHub(fixtures) as sim:
        driver = Driver(sim, tmp_path)
        asyncio.run(driver.run(lambda e: len(driver.reports()) == 32, timeout=240))
    reports = driver.reports()
    assert len(reports) == 32
    assert len({r["session"]["slot"] for r in reports}) == 32
    assert all(r["session"]["complete"] for r in reports)
