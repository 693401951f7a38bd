"""The fake com.apple.mobilebackup2, driven by pymobiledevice3's own DeviceLink code: it erases
only on EraseDevice, and answers anything else with an error instead of pretending to back up."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from agent.simulator.usbmuxd import UsbmuxdSimulator
from tests.simulator_ios.conftest import UDID, faults, ios_fixture


async def _lockdown(records: Path) -> Any:
    from pymobiledevice3.lockdown import create_using_usbmux

    return await create_using_usbmux(serial=UDID, pair_timeout=0, pairing_records_cache_folder=records)


def _session(records: Path, folder: Path, message: dict[str, Any]) -> Any:
    """Open a DeviceLink session (version exchange, Hello), send ``message``, return the phone's reply."""
    from pymobiledevice3.services.mobilebackup2 import Mobilebackup2Service

    async def run() -> Any:
        client = await _lockdown(records)
        try:
            async with Mobilebackup2Service(client) as service, service.device_link(folder) as dl:
                await dl.send_process_message(message)
                return await dl.dl_loop()
        finally:
            await client.close()

    return asyncio.run(run())


def test_a_message_other_than_erase_is_answered_with_an_error_and_the_phone_stays(
        usbmuxd: UsbmuxdSimulator, tmp_path: Path) -> None:
    from pymobiledevice3.exceptions import PyMobileDevice3Exception

    usbmuxd.plug(ios_fixture())
    with pytest.raises(PyMobileDevice3Exception, match="only Hello and EraseDevice"):
        _session(tmp_path / "records", tmp_path, {"MessageName": "Backup", "TargetIdentifier": UDID})
    assert usbmuxd.udids == [UDID] and list(tmp_path.iterdir()) == [tmp_path / "records"]


def test_erase_device_through_pymobiledevice3_makes_the_phone_leave_to_come_back_fresh(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from pymobiledevice3.services.mobilebackup2 import Mobilebackup2Service

    usbmuxd = UsbmuxdSimulator(erase_return_s=60).start()  # back long after the test
    monkeypatch.setenv("USBMUXD_SOCKET_ADDRESS", usbmuxd.socket_address)

    folder = tmp_path / "devicelink"
    folder.mkdir()

    async def run() -> None:
        client = await _lockdown(tmp_path / "records")
        try:
            async with Mobilebackup2Service(client) as service:
                await service.erase_device(folder)
        finally:
            await client.close()

    try:
        usbmuxd.plug(ios_fixture())
        asyncio.run(run())
        assert UDID not in usbmuxd.udids and UDID in usbmuxd._returning  # left the bus; a fresh phone on its way
        assert list(folder.iterdir()) == []  # the erase asks the host for no files
    finally:
        usbmuxd.stop()


def test_a_disconnect_fault_at_erase_device_unplugs_without_erasing(
        usbmuxd: UsbmuxdSimulator, tmp_path: Path) -> None:
    from pymobiledevice3.exceptions import ConnectionTerminatedError

    usbmuxd.plug(ios_fixture(faults=faults(("disconnect", "service:com.apple.mobilebackup2/EraseDevice"))))
    try:
        _session(tmp_path, tmp_path, {"MessageName": "EraseDevice", "TargetIdentifier": UDID})
    except ConnectionTerminatedError:
        pass
    assert UDID not in usbmuxd.udids and not usbmuxd._returning  # unplugged, and no fresh phone on its way
