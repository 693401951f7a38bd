"""Unplugged while its questions wait, then plugged in again, through the real stacks: the
real adb server (adbutils) in front of a simulated adbd, and pymobiledevice3 in front of the
fake usbmuxd, where the iPhone comes back under a new device id. The form is withdrawn, the
report is incomplete with no grade, and the phone back gets a new session and a fresh form.
``rejoin_s`` is long, so a re-plug of an unfinished phone is shown not to be swallowed by it.

The limits only stop a hung test; they are not timings."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agent.delivery.ledger import SideRecord
from agent.fixtures.format import load_fixture
from agent.session.events import BenchEvent, PhoneGone, ReportSaved, SessionStarted, SlotEvent
from agent.session.hub import Hub
from agent.session.station import open_station
from agent.simulator.bench import SimulatedHub
from agent.tui.question_queue import TuiOperator

ROOT = Path(__file__).resolve().parents[2] / "fixtures"
ANSWERS = {"screen.visual": [], "cosmetic_grade": "B", "notes": "ok"}
LIMIT_S = 60.0


async def until(condition: Callable[[], Any], what: str) -> Any:
    try:
        async with asyncio.timeout(LIMIT_S):
            while not (value := condition()):
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"gave up waiting for {what}") from None
    return value


def _unplug_and_plug(sim: SimulatedHub) -> tuple[Callable[[], None], Callable[[], Any]]:
    """The cable out and in again; plugging an iPhone returns its new usbmux DeviceID."""
    if sim.adbds:
        (adbd,) = sim.adbds.values()
        return adbd.unplug, adbd.plug
    fixture = sim.fixtures[0]
    assert sim.usbmuxd is not None
    usbmuxd = sim.usbmuxd
    return (lambda: usbmuxd.unplug(fixture.device_id)), (lambda: usbmuxd.plug(fixture))


async def _scenario(sim: SimulatedHub, tmp_path: Path) -> dict[str, Any]:
    operator = TuiOperator()
    station = open_station("default", record=SideRecord(tmp_path / "reports"), operator=operator)
    hub = Hub(adb_port=sim.adb_port, usbmux_address=sim.usbmux_address, usb=False, rejoin_s=600.0,
              start_adb=False, simulated=True)
    events: list[BenchEvent] = []

    async def pump() -> None:
        async for event in hub.supervisor(station).events():
            events.append(event)

    def of(kind: type) -> list[Any]:
        return [e.event for e in events if isinstance(e, SlotEvent) and isinstance(e.event, kind)]

    unplug, plug = _unplug_and_plug(sim)
    task = asyncio.create_task(pump())
    try:
        stale = await until(lambda: operator.head, "the phone's form")
        before = await _devids(sim)
        await asyncio.to_thread(unplug)
        await until(lambda: any(isinstance(e, PhoneGone) for e in events), "the supervisor to see the unplug")
        attached = await asyncio.to_thread(plug)
        first = (await until(lambda: of(ReportSaved), "the withdrawn session's report"))[0].report
        assert stale.withdrawn and operator.answer(stale, ANSWERS) is False
        fresh = await until(lambda: operator.head not in (None, stale) and operator.head, "a fresh form")
        assert operator.answer(fresh, ANSWERS) is True
        second = (await until(lambda: of(ReportSaved)[1:], "the new session's report"))[0].report
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    return {"first": first, "second": second, "sessions": len(of(SessionStarted)), "devids": (before, attached)}


async def _devids(sim: SimulatedHub) -> list[int]:
    """usbmuxd's DeviceIDs now, as pymobiledevice3 lists them (none on an Android bench)."""
    if sim.usbmuxd is None or not any(f.ios for f in sim.fixtures):
        return []
    from pymobiledevice3 import usbmux

    return [d.devid for d in await usbmux.list_devices(usbmux_address=sim.usbmux_address)]


@pytest.mark.parametrize("name", ["android/pixel-7.yaml", "ios/iphone-13.yaml"])
def test_unplugged_with_questions_pending_is_incomplete_and_plugged_in_again_is_a_new_session(
    name: str, tmp_path: Path
) -> None:
    fixture = load_fixture(ROOT / name)
    with SimulatedHub([fixture]) as sim:
        out = asyncio.run(_scenario(sim, tmp_path))
    first, second = out["first"], out["second"]
    assert first["session"]["complete"] is False and first["grade"] is None and first["answers"] == {}
    assert first["session"]["incomplete_reason"] == "phone unplugged before its questions were answered"
    assert second["session"]["complete"] is True and second["grade"]["value"] == "B"
    assert second["answers"] == ANSWERS
    assert first["device"]["serial"] == second["device"]["serial"]
    assert first["session"]["slot"] == second["session"]["slot"]
    assert out["sessions"] == 2
    before, attached = out["devids"]
    if fixture.ios is not None:
        assert len(before) == 1 and attached not in before  # the iPhone came back under a new DeviceID
