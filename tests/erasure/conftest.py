"""A fake usbmuxd per test with an iPhone whose Find My state the test picks, reached by the
real pymobiledevice3 (USBMUXD_SOCKET_ADDRESS), and ``phonebench`` run in process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from agent.cli.main import main
from agent.fixtures.format import Fixture, parse_fixture
from agent.simulator.usbmuxd import UsbmuxdSimulator

UDID = "00008030-00E4A5C61D3A802E"
SERIAL = "F17ZK0ERASE1"
IMEI = "356789104512346"


def iphone(find_my: bool | None = False, udid: str = UDID) -> Fixture:
    """An activated, set-up iPhone; ``find_my`` None leaves com.apple.fmip out."""
    fmip = "" if find_my is None else f"""
    com.apple.fmip:
      IsAssociated: {str(find_my).lower()}"""
    return parse_fixture(f"""
format: phonebench-fixture/1
name: erase-{udid}
platform: ios
source: inline test fixture
ios:
  udid: "{udid}"
  pairing: paired
  lockdown:
    "":
      ProductType: "iPhone14,5"
      ProductVersion: "17.5"
      SerialNumber: {SERIAL}
      InternationalMobileEquipmentIdentity: "{IMEI}"
      ActivationState: Activated
      UniqueDeviceID: "{udid}"
    com.apple.purplebuddy:
      SetupDone: true{fmip}
  ioregistry: {{}}
""")


def usbmuxd_with(monkeypatch: pytest.MonkeyPatch, erase_return_s: float | None) -> UsbmuxdSimulator:
    sim = UsbmuxdSimulator(erase_return_s=erase_return_s).start()
    monkeypatch.setenv("USBMUXD_SOCKET_ADDRESS", sim.socket_address)
    return sim


@pytest.fixture
def usbmuxd(monkeypatch: pytest.MonkeyPatch) -> Iterator[UsbmuxdSimulator]:
    """Erased phones come back after a short while."""
    sim = usbmuxd_with(monkeypatch, 0.3)
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture
def usbmuxd_no_return(monkeypatch: pytest.MonkeyPatch) -> Iterator[UsbmuxdSimulator]:
    """Erased phones never come back: the cable was pulled mid-erase."""
    sim = usbmuxd_with(monkeypatch, None)
    try:
        yield sim
    finally:
        sim.stop()


def erase(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["erase", *args])
    out, err = capsys.readouterr()
    return code, out, err


def payload(envelope: dict[str, Any]) -> dict[str, Any]:
    import base64

    return json.loads(base64.b64decode(envelope["payload"]))
