"""Discovery sources, fed by hand: slots, the USB bus view, adb's state words."""

from __future__ import annotations

import asyncio

from agent.discovery.adb import adb_state
from agent.discovery.usb import UsbDevice, UsbSource
from agent.session.slots import SlotMap


def test_mapped_port_gets_its_slot_and_others_get_the_lowest_free_unreserved_one() -> None:
    slots = SlotMap({"1-1.4": 1, "1-1.3": 2})
    assert slots.assign("A", "1-1.3") == 2
    assert slots.assign("B", None) == 3  # 1 and 2 are reserved by the map
    assert slots.assign("C", "9-9") == 4
    assert slots.assign("D", "1-1.4") == 1


def test_same_phone_keeps_its_slot_and_a_released_slot_is_reused() -> None:
    slots = SlotMap()
    assert slots.assign("A", None) == 1
    assert slots.assign("A", None) == 1
    assert slots.assign("B", None) == 2
    slots.release(1)
    assert slots.assign("C", None) == 1


def test_adb_states_map_to_bench_states() -> None:
    assert adb_state("device") == "ready"
    assert adb_state("unauthorized") == "unauthorized"
    assert adb_state("no permissions (user in plugdev group; are your udev rules wrong?)") == "no_permissions"
    assert adb_state("sideload") == "sideload"
    assert adb_state("something new") == "offline"


def _first(source: UsbSource, n: int) -> list:
    async def collect() -> list:
        out = []
        async for s in source.watch():
            out.append(s)
            if len(out) == n:
                break
        return out

    return asyncio.run(asyncio.wait_for(collect(), 5))


def test_usb_source_reports_phone_makers_only_with_a_likely_reason() -> None:
    bus = [
        UsbDevice(0x18D1, 0x4EE7, "1-1.2", "2B151FDH2000AB"),
        UsbDevice(0x046D, 0xC52B, "1-1.3", None),  # a mouse
        UsbDevice(0x05AC, 0x12A8, "1-1.4", "00008030001A2D3E0C12802E"),
    ]
    found = _first(UsbSource(lambda: bus, interval_s=0.01), 2)
    assert [(s.key, s.platform, s.usb_path) for s in found] == [
        ("2B151FDH2000AB", "android", "1-1.2"),
        ("00008030001A2D3E0C12802E", "ios", "1-1.4"),
    ]
    assert "USB debugging" in found[0].guidance()
    assert "Trust" in found[1].guidance()


def test_usb_source_reports_a_phone_leaving() -> None:
    scans = iter([[UsbDevice(0x04E8, 0x6860, "1-2", None)], [], []])
    found = _first(UsbSource(lambda: next(scans), interval_s=0.01), 2)
    assert found[0].present and found[0].key == "1-2"
    assert not found[1].present and found[1].key == "1-2"


def test_usb_source_switches_off_quietly_without_a_bus(caplog) -> None:
    def no_bus() -> list:
        raise RuntimeError("No backend available")

    async def run() -> list:
        return [s async for s in UsbSource(no_bus).watch()]

    with caplog.at_level("INFO"):
        assert asyncio.run(run()) == []
    assert sum("USB-only phone detection is off" in r.message for r in caplog.records) == 1
