"""The fake usbmuxd as the real pymobiledevice3 sees it: devices, events, lifecycle."""

from __future__ import annotations

import asyncio
import os
import threading

import pytest

from agent.errors import UsageError
from agent.fixtures.format import parse_fixture
from agent.simulator.usbmuxd import UsbmuxdSimulator
from tests.simulator_ios.conftest import UDID, ios_fixture


def test_list_devices_shows_the_plugged_phone_over_usb(usbmuxd: UsbmuxdSimulator) -> None:
    from pymobiledevice3 import usbmux

    usbmuxd.plug(ios_fixture())
    devices = asyncio.run(usbmux.list_devices())
    assert [(d.serial, d.connection_type) for d in devices] == [(UDID, "USB")]


def test_listen_reports_phones_plugged_and_unplugged_at_run_time(usbmuxd: UsbmuxdSimulator) -> None:
    from pymobiledevice3 import usbmux

    other = "00008101-000A1B2C3D4E5F60"
    usbmuxd.plug(ios_fixture())

    async def watch() -> list[list[str]]:
        mux = await usbmux.create_mux()
        try:
            await mux.listen()
            await mux.receive_device_state_update()
            seen = [[d.serial for d in mux.devices]]
            await asyncio.to_thread(usbmuxd.plug, ios_fixture(other))
            await mux.receive_device_state_update()
            seen.append([d.serial for d in mux.devices])
            await asyncio.to_thread(usbmuxd.unplug, UDID)
            await mux.receive_device_state_update()
            seen.append([d.serial for d in mux.devices])
            return seen
        finally:
            await mux.close()

    assert asyncio.run(asyncio.wait_for(watch(), 10)) == [[UDID], [UDID, other], [other]]


def test_connect_to_a_phone_that_is_not_plugged_in_is_a_bad_device(usbmuxd: UsbmuxdSimulator) -> None:
    from pymobiledevice3 import usbmux
    from pymobiledevice3.exceptions import BadDevError

    async def connect() -> None:
        await usbmux.MuxDevice(devid=42, serial=UDID, connection_type="USB").connect(62078)

    with pytest.raises(BadDevError):
        asyncio.run(connect())


def test_a_udid_cannot_be_plugged_in_twice(usbmuxd: UsbmuxdSimulator) -> None:
    usbmuxd.plug(ios_fixture())
    with pytest.raises(UsageError, match="already plugged in"):
        usbmuxd.plug(ios_fixture())


def test_android_fixtures_are_refused(usbmuxd: UsbmuxdSimulator) -> None:
    android = parse_fixture(
        "format: phonebench-fixture/1\nname: a\nplatform: android\nsource: t\nandroid:\n  serial: emu-1\n"
    )
    with pytest.raises(UsageError, match="iPhones only"):
        usbmuxd.plug(android)


def test_actions_on_an_unknown_udid_name_it(usbmuxd: UsbmuxdSimulator) -> None:
    with pytest.raises(UsageError, match="no simulated phone nope"):
        usbmuxd.trust("nope")


def test_stop_removes_the_socket_and_ends_the_thread() -> None:
    sim = UsbmuxdSimulator().start()
    sim.plug(ios_fixture())
    address = sim.socket_address
    assert os.path.exists(address)
    sim.stop()
    sim.stop()  # twice is fine
    assert not os.path.exists(address)
    assert not any(t.name == "usbmuxd-simulator" and t.is_alive() for t in threading.enumerate())
