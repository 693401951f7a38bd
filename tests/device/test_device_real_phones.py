"""Real phones, when one is attached: a full session over the live links.

Marked ``device``: they are skipped on machines with no phone (CI has no USB). They use
the adb server and usbmuxd already running on the machine and never start one.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from agent.delivery.ledger import SideRecord
from agent.session.engine import run_session
from agent.session.events import ReportSaved
from agent.session.station import open_station

pytestmark = pytest.mark.device


def _android_serial() -> str | None:
    from agent.links.adb import adb_client

    port = int(os.environ.get("ANDROID_ADB_SERVER_PORT", "5037"))
    try:
        devices = adb_client(port, "127.0.0.1", timeout=2.0).list()
    except Exception:
        return None
    ready = [d.serial for d in devices if d.state == "device"]
    return ready[0] if ready else None


def _iphone_udid() -> str | None:
    if not (os.environ.get("USBMUXD_SOCKET_ADDRESS") or Path("/var/run/usbmuxd").exists()):
        return None
    from pymobiledevice3.usbmux import list_devices

    try:
        devices = asyncio.run(asyncio.wait_for(list_devices(), 3))
    except Exception:
        return None
    return devices[0].serial if devices else None


def _session(link, tmp_path: Path) -> dict:  # type: ignore[no-untyped-def]
    bench = open_station("default", record=SideRecord(tmp_path))

    async def run() -> list:
        return [e async for e in run_session(link, bench)]

    events = asyncio.run(run())
    assert isinstance(events[-1], ReportSaved), events[-1]
    return events[-1].report


def test_attached_android_phone_runs_a_complete_session(tmp_path: Path) -> None:
    serial = _android_serial()
    if serial is None:
        pytest.skip("no Android phone attached (adb devices lists none in state 'device')")
    from agent.links.adb import AdbAndroidLink

    report = _session(AdbAndroidLink(serial, port=int(os.environ.get("ANDROID_ADB_SERVER_PORT", "5037"))), tmp_path)
    assert report["session"]["complete"]
    assert report["device"]["model"]
    assert {c["name"]: c["outcome"] for c in report["checks"]}["battery"] == "measured"


def test_attached_iphone_runs_a_complete_session(tmp_path: Path) -> None:
    udid = _iphone_udid()
    if udid is None:
        pytest.skip("no iPhone attached (usbmuxd lists none)")
    from agent.links.ios import PmdIosLink

    report = _session(PmdIosLink(udid), tmp_path)  # pairs on first use: tap Trust if asked
    assert report["session"]["complete"]
    assert report["device"]["platform"] == "ios"
