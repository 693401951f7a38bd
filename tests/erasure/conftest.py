"""A fake usbmuxd per test with an iPhone whose Find My state the test picks, reached by the
real pymobiledevice3 (USBMUXD_SOCKET_ADDRESS), and ``phonebench`` run in process.

After every erasure test, each certificate it left (the station's record and the side records)
must explain each of its nulls (``unexplained_nulls``): unknown is null with a reason."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from agent import paths
from agent.cli.main import main
from agent.fixtures.format import Fixture, parse_fixture
from agent.report.signing import ERASURE_PAYLOAD_TYPE
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


def unexplained_nulls(doc: Any, where: str = "") -> list[str]:
    """The paths (``device.imei``) of the nulls in a certificate that nothing beside them
    explains. A null ``k`` is explained by a non-empty ``k_reason`` next to it
    (``imei_reason``, ``operator_reason``, ``tool.version_reason``, ``verification.method_reason``,
    ``options["ro.crypto.type_reason"]``); a null option by ``options_not_applied`` (the
    service takes no options); the first certificate's ``chain.previous_digest`` by
    ``sequence`` 1, having nothing before it."""
    found: list[str] = []
    if isinstance(doc, list):
        for i, item in enumerate(doc):  # nothing can stand beside a null in a list to explain it
            found += [f"{where}[{i}]"] if item is None else unexplained_nulls(item, f"{where}[{i}]")
    elif isinstance(doc, dict):
        for key, value in doc.items():
            path = f"{where}.{key}" if where else str(key)
            if value is not None:
                found += unexplained_nulls(value, path)
            elif not _explained(doc, key, path):
                found.append(path)
    return found


def _explained(doc: dict[str, Any], key: str, path: str) -> bool:
    reason = doc.get(f"{key}_reason")
    if isinstance(reason, str) and reason.strip():
        return True
    if path.startswith("sanitization.options.") and isinstance(doc.get("options_not_applied"), str):
        return True
    return path == "chain.previous_digest" and doc.get("sequence") == 1


def kept_certificates() -> dict[str, dict[str, Any]]:
    """Every erasure certificate under the test's data folder (station record, side records), by file."""
    found = {}
    for path in sorted(paths.data_dir().rglob("*.dsse.json")):
        try:
            envelope = json.loads(path.read_text())
        except (ValueError, RecursionError):
            continue  # a test's deliberately malformed report file
        if isinstance(envelope, dict) and envelope.get("payloadType") == ERASURE_PAYLOAD_TYPE:
            found[str(path.relative_to(paths.data_dir()))] = payload(envelope)
    return found


@pytest.fixture(autouse=True)
def every_null_says_why() -> Iterator[None]:
    """Fails an erasure test that left a certificate with a null nothing explains."""
    yield
    unexplained = {name: nulls for name, cert in kept_certificates().items() if (nulls := unexplained_nulls(cert))}
    assert not unexplained, f"certificate nulls without a reason: {unexplained}"
