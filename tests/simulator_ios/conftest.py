"""A fake usbmuxd per test, reached by the real pymobiledevice3 through USBMUXD_SOCKET_ADDRESS,
and small inline fixtures for the phones plugged into it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agent.fixtures.format import Fixture, parse_fixture
from agent.simulator.usbmuxd import UsbmuxdSimulator

UDID = "00008030-001A2B3C4D5E6F01"


def ios_fixture(udid: str = UDID, *, pairing: str = "paired", faults: str = "", delay_ms: int = 0) -> Fixture:
    """A small iPhone: default domain, battery domain, one IORegistry entry."""
    text = f"""
format: phonebench-fixture/1
name: sim-{udid}
platform: ios
source: inline test fixture
ios:
  udid: "{udid}"
  pairing: {pairing}
  delay_ms: {delay_ms}
  lockdown:
    "":
      ProductType: "iPhone12,1"
      ProductVersion: "17.5"
      SerialNumber: F17ZK0ABCDEF
      UniqueDeviceID: "{udid}"
    com.apple.mobile.battery:
      BatteryCurrentCapacity: 87
      BatteryIsCharging: false
      ExternalConnected: true
  ioregistry:
    AppleSmartBattery:
      CycleCount: 412
      DesignCapacity: 3110
      AppleRawMaxCapacity: 2650
      Temperature: 2950
      Voltage: 4123
{faults}
"""
    return parse_fixture(text)


def faults(*pairs: tuple[str, str]) -> str:
    """The `faults:` block for (kind, at) pairs."""
    lines = ["faults:"] + [f'  - {{kind: {kind}, at: "{at}"}}' for kind, at in pairs]
    return "\n".join(lines)


@pytest.fixture
def usbmuxd(monkeypatch: pytest.MonkeyPatch) -> Iterator[UsbmuxdSimulator]:
    sim = UsbmuxdSimulator().start()
    monkeypatch.setenv("USBMUXD_SOCKET_ADDRESS", sim.socket_address)
    try:
        yield sim
    finally:
        sim.stop()
