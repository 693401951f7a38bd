"""The identity check end to end, over replay links built from small inline fixtures."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from agent.check import CheckContext, CheckResult, Metric
from agent.errors import LinkDisconnected, LinkTimeout
from agent.fixtures.format import parse_fixture
from agent.links.base import DEFAULT_TIMEOUT_S, ShellResult
from agent.links.replay import ReplayAndroidLink, ReplayIosLink
from checks.commands import GETPROP, IMEI
from checks.identity import DEVICE_METRICS, IdentityCheck

GETPROP_OK = """\
[ro.product.manufacturer]: [Google]
[ro.product.brand]: [google]
[ro.product.model]: [Pixel 7]
[ro.product.device]: [panther]
[ro.serialno]: [2B151FDH2000AB]
[ro.build.version.release]: [14]
[ro.build.version.sdk]: [34]
[ro.build.id]: [UQ1A.240205.004]
[ro.hardware]: [panther]
"""
#: the (masked) Galaxy S5 reply in tests/identity/data
PARCEL_OK = """\
Result: Parcel(
  0x00000000: 00000000 0000000f 00350033 00380031 '........3.5.1.8.'
  0x00000010: 00310038 00360030 00300030 00300030 '8.1.0.6.0.0.0.0.'
  0x00000020: 00300030 00000035                   '0.0.5...        ')
"""
#: the head of an Android 10+ refusal (see the Redmi 10X reply in tests/identity/data)
PARCEL_REFUSED = """\
Result: Parcel(
  0x00000000: ffffffff 00000008 00650067 00440074 '........g.e.t.D.'
  0x00000010: 00760065 00630069 00000000          'e.v.i.c.....    ')
"""


Faults = Sequence[tuple[str, str]]


def _android(getprop: str, imei: str | None = PARCEL_OK, faults: Faults = ()) -> ReplayAndroidLink:
    commands = {GETPROP: {"stdout": getprop}}
    if imei is not None:
        commands[IMEI] = {"stdout": imei}
    doc = {
        "format": "phonebench-fixture/1", "name": "test", "platform": "android", "source": "inline",
        "android": {"serial": "R5CY743GDFY", "commands": commands},
        "faults": [{"kind": kind, "at": at} for kind, at in faults],
    }  # fmt: skip
    return ReplayAndroidLink(parse_fixture(yaml.safe_dump(doc)))


def _ios(values: Mapping[str, Any], faults: Faults = ()) -> ReplayIosLink:
    doc = {
        "format": "phonebench-fixture/1", "name": "test", "platform": "ios", "source": "inline",
        "ios": {"udid": "00008110-000A00000A00001E", "lockdown": {"": dict(values)}},
        "faults": [{"kind": kind, "at": at} for kind, at in faults],
    }  # fmt: skip
    return ReplayIosLink(parse_fixture(yaml.safe_dump(doc)))


def _run(link: Any, timeout: float = DEFAULT_TIMEOUT_S) -> CheckResult | Mapping[str, Metric]:
    return asyncio.run(IdentityCheck().run(CheckContext(link, link.platform, timeout_s=timeout)))


def _values(out: CheckResult | Mapping[str, Metric]) -> dict[str, Any]:
    assert not isinstance(out, CheckResult), out
    return {name: metric.value for name, metric in out.items()}


def test_check_is_registered_under_its_contract_name() -> None:
    assert (IdentityCheck.name, IdentityCheck.title) == ("identity", "Identity")
    assert IdentityCheck.reads["android"] == (GETPROP, IMEI)
    assert IdentityCheck.reads["ios"] == ("lockdown:",)


def test_android_phone_is_identified_with_the_imei_from_service_call() -> None:
    out = _values(_run(_android(GETPROP_OK)))
    assert {k: out[k] for k in DEVICE_METRICS} == {
        "platform": "android", "manufacturer": "Google", "brand": "google", "model": "Pixel 7",
        "model_code": "panther", "marketing_name": None, "serial": "2B151FDH2000AB",
        "imei": ["351881060000005"], "os_version": "14", "build": "UQ1A.240205.004", "emulator": False,
    }  # fmt: skip
    assert out["sdk_int"] == 34


def test_metrics_serialise_with_sources_and_reasons() -> None:
    out = _run(_android(GETPROP_OK))
    assert not isinstance(out, CheckResult)
    assert out["imei"].source == IMEI
    assert out["model"].source == "getprop ro.product.model"
    doc = json.loads(json.dumps({name: m.to_json() for name, m in out.items()}))
    assert doc["marketing_name"]["value"] is None and doc["marketing_name"]["reason"]


def test_android10_refusal_leaves_imei_null_with_the_phones_message() -> None:
    imei = _run(_android(GETPROP_OK, PARCEL_REFUSED))["imei"]  # type: ignore[index]
    assert imei.value is None
    assert "exception -1: getDevic" in (imei.reason or "")


def test_refused_service_call_falls_back_to_imei_props() -> None:
    props = GETPROP_OK + "[ro.ril.miui.imei0]: [862698020000004]\n[ro.ril.miui.imei1]: [862698020000012]\n"
    imei = _run(_android(props, PARCEL_REFUSED))["imei"]  # type: ignore[index]
    assert imei.value == ["862698020000004", "862698020000012"]
    assert "exception -1" in (imei.method or "")


def test_missing_imei_command_is_a_reason_not_an_error() -> None:
    imei = _run(_android(GETPROP_OK, imei=None))["imei"]  # type: ignore[index]
    assert imei.value is None
    assert "exit 127" in (imei.reason or "") and "fixture lacks" in (imei.reason or "")


def test_garbage_getprop_is_an_error_with_every_device_metric_unknown() -> None:
    out = _run(_android(GETPROP_OK, faults=[("garbage", GETPROP)]))
    assert isinstance(out, CheckResult) and out.outcome == "error"
    assert out.detail and "getprop" in out.detail
    assert set(DEVICE_METRICS) <= set(out.metrics)
    for name, metric in out.metrics.items():
        if name != "platform":
            assert metric.value is None and metric.reason, name
    assert out.metrics["platform"].value == "android"


def test_phone_data_stays_literal_text() -> None:
    props = GETPROP_OK.replace("2B151FDH2000AB", "../../x").replace("[Pixel 7]", "[[bold]x]")
    out = _values(_run(_android(props)))
    assert out["serial"] == "../../x"
    assert out["model"] == "[bold]x"


def test_disconnect_during_getprop_propagates() -> None:
    with pytest.raises(LinkDisconnected):
        _run(_android(GETPROP_OK, faults=[("disconnect", GETPROP)]))


def test_hang_on_the_imei_call_propagates_as_a_timeout() -> None:
    with pytest.raises(LinkTimeout):
        _run(_android(GETPROP_OK, faults=[("hang", IMEI)]), timeout=0.01)


def test_android_check_sends_only_what_it_declares_in_reads() -> None:
    link = _android(GETPROP_OK)
    sent: list[str] = []
    shell = link.shell

    async def recording(command: str, timeout: float = DEFAULT_TIMEOUT_S) -> ShellResult:
        sent.append(command)
        return await shell(command, timeout)

    link.shell = recording  # type: ignore[method-assign]
    _run(link)
    assert sent and set(sent) <= set(IdentityCheck.reads["android"])


IPHONE = {
    "ProductType": "iPhone10,4", "ProductVersion": "16.7.8", "BuildVersion": "20H343",
    "SerialNumber": "../../x", "ModelNumber": "MQ6K2", "RegionInfo": "LL/A", "HardwareModel": "D201AP",
    "UniqueDeviceID": "0123456789abcdef0123456789abcdef01234567", "DeviceName": "[bold]Jane's iPhone",
    "InternationalMobileEquipmentIdentity": "351881060000005",
}  # fmt: skip


def test_iphone_is_identified_from_lockdown() -> None:
    out = _values(_run(_ios(IPHONE)))
    assert {k: out[k] for k in DEVICE_METRICS} == {
        "platform": "ios", "manufacturer": "Apple", "brand": "Apple", "model": "iPhone10,4",
        "model_code": "MQ6K2LL/A", "marketing_name": "iPhone 8", "serial": "../../x",
        "imei": ["351881060000005"], "os_version": "16.7.8", "build": "20H343", "emulator": False,
    }  # fmt: skip
    assert "Jane" not in json.dumps(out)


def test_garbage_lockdown_is_an_error_with_every_device_metric_unknown() -> None:
    out = _run(_ios(IPHONE, faults=[("garbage", "lockdown:")]))
    assert isinstance(out, CheckResult) and out.outcome == "error"
    assert out.detail and "lockdown" in out.detail
    assert all(m.value is None for n, m in out.metrics.items() if n != "platform")


def test_iphone_disconnect_propagates() -> None:
    with pytest.raises(LinkDisconnected):
        _run(_ios(IPHONE, faults=[("disconnect", "*")]))


def _data(name: str) -> str:
    return (Path(__file__).parent / "data" / name).read_text("utf-8").split("# ---\n", 1)[1]


def _android_reply(stdout: str, stderr: str, exit_code: int) -> ReplayAndroidLink:
    doc = {
        "format": "phonebench-fixture/1", "name": "test", "platform": "android", "source": "inline",
        "android": {"serial": "R5CY743GDFY", "commands": {
            GETPROP: {"stdout": GETPROP_OK}, IMEI: {"stdout": stdout, "stderr": stderr, "exit_code": exit_code}}},
    }  # fmt: skip
    return ReplayAndroidLink(parse_fixture(yaml.safe_dump(doc)))


@pytest.mark.parametrize("exit_code", [0, 1, 10])
def test_a_missing_telephony_service_reaches_the_reason_whatever_the_exit_code(exit_code: int) -> None:
    message = _data("iphonesubinfo_service_missing_stderr_exit0.txt")
    imei = _run(_android_reply("", message, exit_code))["imei"]  # type: ignore[index]
    assert imei.value is None
    assert "service: Service iphonesubinfo does not exist" in (imei.reason or "")
    assert imei.reason and imei.reason.startswith(f"{IMEI}: ")


def test_a_null_imei_on_one_line_keeps_the_phones_stderr_words() -> None:
    imei = _run(_android_reply(_data("iphonesubinfo_null_string_one_line.txt"), "warning: no SIM\n", 0))["imei"]  # type: ignore[index]
    assert imei.value is None
    assert "null string" in (imei.reason or "") and "the phone said: warning: no SIM" in (imei.reason or "")
