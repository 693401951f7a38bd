"""The locks check through the real stacks: the fake adbd behind the real adb server (adbutils)
and the fake usbmuxd + lockdownd + MCInstall reached by pymobiledevice3's own code. The simulated
bench must give the figures and the grades the replay gives. Each test has its own HOME, adb
server port and usbmuxd socket, and stops all of them."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from agent.delivery.ledger import SideRecord
from agent.errors import LinkError
from agent.fixtures.format import Fixture, load_fixture, parse_fixture
from agent.links.adb import AdbAndroidLink
from agent.links.base import Link
from agent.links.ios import PmdIosLink
from agent.links.replay import ReplayIosLink, replay_link
from agent.session.engine import run_session
from agent.session.station import open_station
from agent.simulator.bench import SimulatedHub

ROOT = Path(__file__).resolve().parents[2] / "fixtures"
PHONES = ["android/google-account-frp.yaml", "android/mdm-device-owner.yaml", "android/rooted.yaml",
          "android/bootloader-unlocked.yaml", "android/galaxy-s7.yaml", "ios/find-my-on.yaml",
          "ios/supervised-mdm.yaml", "ios/iphone-8.yaml"]
ANSWERS = {"cosmetic_grade": "B", "screen.visual": []}
GRADES = {  # resale-80; the clean phones' grades are their other checks' business
    "google-account-frp.yaml": "locked", "mdm-device-owner.yaml": "locked", "find-my-on.yaml": "locked",
    "supervised-mdm.yaml": "locked", "rooted.yaml": "not_sellable", "bootloader-unlocked.yaml": "not_sellable",
}


def locks_of(report: dict[str, Any]) -> dict[str, Any]:
    entry = next(c for c in report["checks"] if c["name"] == "locks")
    return {"verdict": entry["verdict"], "reasons": entry["reasons"], "outcome": entry["outcome"],
            "metrics": {name: (m["value"], m.get("reason"), m.get("method")) for name, m in entry["metrics"].items()}}


async def report_of(link: Link, bench: Any) -> dict[str, Any]:
    try:
        events = [e async for e in run_session(link, bench, answers=ANSWERS)]
    finally:
        await link.close()
    return events[-1].report


async def reports_of(links: dict[str, Link], bench: Any) -> dict[str, dict[str, Any]]:
    reports = await asyncio.gather(*(report_of(link, bench) for link in links.values()))
    return dict(zip(links, reports, strict=True))


def test_the_simulated_bench_finds_the_locks_the_replay_finds(tmp_path: Path) -> None:
    fixtures = [load_fixture(ROOT / name) for name in PHONES]
    bench = open_station("resale-80", record=SideRecord(tmp_path / "live"))
    replay_bench = open_station("resale-80", record=SideRecord(tmp_path / "replay"))
    with SimulatedHub(fixtures) as sim:
        by_fixture = {sim.names[serial]: AdbAndroidLink(serial, port=sim.adb_port, simulated=True) for serial in sim.adbds}
        by_fixture.update({f.path.name: PmdIosLink(f.device_id, usbmux_address=sim.usbmux_address, simulated=True) for f in fixtures if f.ios is not None})
        live = asyncio.run(reports_of(by_fixture, bench))  # every phone at once, as a bench runs them
    replays = asyncio.run(reports_of({f.path.name: replay_link(f) for f in fixtures}, replay_bench))
    for fixture in fixtures:
        name = fixture.path.name
        replayed = replays[name]
        assert locks_of(live[name]) == locks_of(replayed), name
        assert live[name]["grade"]["value"] == replayed["grade"]["value"], name
        if name in GRADES:
            assert live[name]["grade"]["value"] == GRADES[name], name
        else:
            assert locks_of(live[name])["verdict"] == "pass", name
        text = json.dumps(live[name])
        assert "user1@example.com" not in text and "Example Logistics" not in text, name


def test_pymobiledevice3_reads_the_mobile_config_service_as_the_replay_does(tmp_path: Path) -> None:
    fixture = load_fixture(ROOT / "ios/supervised-mdm.yaml")

    async def both(address: str | None) -> list[tuple[Any, Any]]:
        live = PmdIosLink(fixture.device_id, usbmux_address=address)
        try:
            return [(await live.mobile_config(r, timeout=10), await ReplayIosLink(fixture).mobile_config(r))
                    for r in ("GetCloudConfiguration", "GetProfileList")]
        finally:
            await live.close()

    with SimulatedHub([fixture]) as sim:
        pairs = asyncio.run(both(sim.usbmux_address))
    for live, replayed in pairs:
        assert live == replayed
    assert pairs[0][0]["CloudConfiguration"]["IsMDMUnremovable"] is True


def _bare_iphone() -> Fixture:
    return parse_fixture("""
format: phonebench-fixture/1
name: iPhone without the mobile-config service
platform: ios
source: inline test fixture
ios:
  udid: "00008030-001A2B3C4D5E6F09"
  lockdown:
    "":
      ProductType: "iPhone12,1"
      ProductVersion: "17.5"
      ActivationState: "Activated"
""")


def test_a_request_the_phone_refuses_is_a_link_error_and_a_write_is_never_sent(tmp_path: Path) -> None:
    fixture = _bare_iphone()

    async def ask(request: str, address: str | None) -> str:
        link = PmdIosLink(fixture.device_id, usbmux_address=address)
        try:
            await link.mobile_config(request, timeout=10)
        except LinkError as e:
            return str(e)
        finally:
            await link.close()
        return "answered"

    with SimulatedHub([fixture]) as sim:
        refused = asyncio.run(ask("GetCloudConfiguration", sim.usbmux_address))
        write = asyncio.run(ask("EraseDevice", sim.usbmux_address))
    assert "fixture lacks" in refused and "GetCloudConfiguration" in refused
    assert "not a read this link makes" in write


@pytest.mark.parametrize("fault", ["hang", "garbage"])
def test_faults_on_the_service_behave_live_as_in_replay(fault: str, tmp_path: Path) -> None:
    text = (ROOT / "ios/iphone-8.yaml").read_text()
    text = text.replace("\nexpect:", f'\nfaults:\n  - {{kind: {fault}, at: "service:com.apple.mobile.MCInstall/GetProfileList"}}'
                                      "\nexpect:", 1)
    fixture = parse_fixture(text)
    bench = open_station("default", record=SideRecord(tmp_path / "live"), timeout_s=2.0)
    replay_bench = open_station("default", record=SideRecord(tmp_path / "replay"), timeout_s=2.0)

    async def both(address: str | None) -> list[dict[str, Any]]:  # side by side: each waits out its timeout
        return list(await asyncio.gather(report_of(PmdIosLink(fixture.device_id, usbmux_address=address), bench),
                                         report_of(replay_link(fixture), replay_bench)))

    with SimulatedHub([fixture]) as sim:
        live, replayed = asyncio.run(both(sim.usbmux_address))
    if fault == "garbage":
        assert locks_of(live) == locks_of(replayed)
        assert locks_of(live)["metrics"]["configuration_profiles_count"][0] is None
    else:
        assert locks_of(live)["outcome"] == locks_of(replayed)["outcome"] == "error"
    assert live["grade"]["value"] == replayed["grade"]["value"] == "review"
