"""The fake lockdownd and diagnostics relay, driven by the real pymobiledevice3."""

from __future__ import annotations

import asyncio
import plistlib
from pathlib import Path
from typing import Any

import pytest

from agent.simulator.usbmuxd import UsbmuxdSimulator
from tests.simulator_ios.conftest import UDID, ios_fixture


async def _lockdown(records: Path, **kwargs: Any) -> Any:
    from pymobiledevice3.lockdown import create_using_usbmux

    return await create_using_usbmux(serial=UDID, pair_timeout=0, pairing_records_cache_folder=records, **kwargs)


def test_first_connection_pairs_and_saves_the_pair_record(usbmuxd: UsbmuxdSimulator, tmp_path: Path) -> None:
    from pymobiledevice3.pair_records import get_usbmux_pairing_record

    usbmuxd.plug(ios_fixture())

    async def run() -> tuple[bool, dict[str, Any] | None]:
        client = await _lockdown(tmp_path)
        await client.close()
        return client.paired, await get_usbmux_pairing_record(UDID)

    paired, in_usbmuxd = asyncio.run(run())
    on_disk = plistlib.loads((tmp_path / f"{UDID}.plist").read_bytes())
    assert paired
    assert {"HostID", "HostCertificate", "HostPrivateKey", "DeviceCertificate", "RootCertificate"} <= set(on_disk)
    assert in_usbmuxd is not None and in_usbmuxd["HostID"] == on_disk["HostID"]


def test_the_session_runs_over_tls(usbmuxd: UsbmuxdSimulator, tmp_path: Path) -> None:
    usbmuxd.plug(ios_fixture())

    async def run() -> tuple[object, str | None]:
        client = await _lockdown(tmp_path)
        try:
            return client.service.writer.get_extra_info("ssl_object"), client.session_id
        finally:
            await client.close()

    ssl_object, session_id = asyncio.run(run())
    assert ssl_object is not None
    assert session_id


def test_a_second_connection_reuses_the_pair_record(usbmuxd: UsbmuxdSimulator, tmp_path: Path) -> None:
    usbmuxd.plug(ios_fixture())

    async def connect() -> None:
        await (await _lockdown(tmp_path)).close()

    asyncio.run(connect())
    first = (tmp_path / f"{UDID}.plist").read_bytes()
    asyncio.run(connect())
    assert (tmp_path / f"{UDID}.plist").read_bytes() == first


def test_get_value_answers_the_fixture_domains(usbmuxd: UsbmuxdSimulator, tmp_path: Path) -> None:
    fixture = ios_fixture()
    usbmuxd.plug(fixture)

    async def run() -> tuple[Any, Any, Any]:
        client = await _lockdown(tmp_path)
        try:
            return (
                await client.get_value(),
                await client.get_value("com.apple.mobile.battery"),
                await client.get_value(None, "ProductType"),
            )
        finally:
            await client.close()

    default, battery, product = asyncio.run(run())
    assert fixture.ios is not None
    assert default == fixture.ios.lockdown[""]
    assert battery == fixture.ios.lockdown["com.apple.mobile.battery"]
    assert product == "iPhone12,1"


def test_other_domains_need_a_session(usbmuxd: UsbmuxdSimulator, tmp_path: Path) -> None:
    from pymobiledevice3.exceptions import GetProhibitedError

    usbmuxd.plug(ios_fixture())

    async def run() -> None:
        client = await _lockdown(tmp_path, autopair=False)
        try:
            await client.get_value("com.apple.mobile.battery")
        finally:
            await client.close()

    with pytest.raises(GetProhibitedError):
        asyncio.run(run())


def test_diagnostics_relay_answers_ioregistry_entries_by_name(usbmuxd: UsbmuxdSimulator, tmp_path: Path) -> None:
    from pymobiledevice3.services.diagnostics import DiagnosticsService

    fixture = ios_fixture()
    usbmuxd.plug(fixture)

    async def run() -> tuple[Any, Any]:
        client = await _lockdown(tmp_path)
        try:
            async with DiagnosticsService(client) as diagnostics:
                return await diagnostics.ioregistry(name="AppleSmartBattery"), await diagnostics.ioregistry(name="Nope")
        finally:
            await client.close()

    battery, missing = asyncio.run(run())
    assert fixture.ios is not None
    assert battery == fixture.ios.ioregistry["AppleSmartBattery"]
    assert missing is None
