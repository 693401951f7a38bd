"""Identity metrics from real getprop dumps and from lockdown's default domain."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import CAPTURES, read_capture
from hypothesis import given
from hypothesis import strategies as st

from agent.formats.getprop import parse_getprop
from checks.identity import DEVICE_METRICS, android_identity, ios_identity
from checks.ios_models import APPLE_MODELS, apple_marketing_name, device_family

DATA = Path(__file__).parent / "data"
GETPROP_CAPTURES = sorted(p.name for p in CAPTURES.glob("android_getprop_*"))
#: marketing names the dumps state themselves (POCO: ro.product.marketname, in its expect
#: line; OnePlus: ro.display.series); the rest state none
MARKETING = {
    "android_getprop_full_xiaomi_poco_f6_peridot_a15.txt": "POCO F6",
    "android_getprop_full_oneplus_nord_n10_be2028_a11.txt": "OnePlus Nord N10 5G",
}


def _identity(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    expect, body = read_capture(name)
    metrics = android_identity(parse_getprop(body))
    return expect, {key: metric.value for key, metric in metrics.items()}


@pytest.mark.parametrize("name", GETPROP_CAPTURES)
def test_android_identity_matches_the_capture(name: str) -> None:
    expect, got = _identity(name)
    assert got["platform"] == "android"
    assert got["manufacturer"] == expect["ro.product.manufacturer"]
    assert got["brand"] == expect["ro.product.brand"]
    assert got["model"] == expect["ro.product.model"]
    assert got["model_code"] == expect["ro.product.device"]
    assert got["serial"] == expect["ro.serialno"]
    assert got["os_version"] == expect["ro.build.version.release"]
    assert got["sdk_int"] == int(expect["ro.build.version.sdk"])
    assert got["security_patch"] == expect["ro.build.version.security_patch"]
    assert got["marketing_name"] == MARKETING.get(name)
    assert got["emulator"] is False
    slots = [expect[k] for k in ("imei_slot0", "imei_slot1") if k in expect]
    assert got["imei"] == (slots or None)


@pytest.mark.parametrize("name", GETPROP_CAPTURES)
def test_every_unknown_android_metric_has_a_reason_and_a_source(name: str) -> None:
    _, body = read_capture(name)
    metrics = android_identity(parse_getprop(body))
    assert set(DEVICE_METRICS) <= set(metrics)
    for key, metric in metrics.items():
        assert metric.source, key
        if metric.value is None:
            assert metric.reason, key


def test_os_version_comes_from_release_not_the_fingerprint() -> None:
    expect, got = _identity("android_getprop_full_xiaomi_poco_f6_peridot_a15.txt")
    assert ":14/" in expect["ro.build.fingerprint"]
    assert got["os_version"] == "15"
    assert got["fingerprint"] == expect["ro.build.fingerprint"]


def test_missing_serial_is_none_with_a_reason_not_empty_text() -> None:
    _, body = read_capture("android_getprop_full_google_pixel8pro_husky_a16_termux_noserial.txt")
    serial = android_identity(parse_getprop(body))["serial"]
    assert serial.value is None
    assert "ro.serialno" in (serial.reason or "")
    assert android_identity({"ro.serialno": "   "})["serial"].value is None


def test_imei_props_keep_valid_ones_and_note_the_rest() -> None:
    props = {"ro.ril.miui.imei0": "862698020000004", "ro.ril.miui.imei1": "862698020000013", "ro.imei.check": "yes"}
    imei = android_identity(props)["imei"]
    assert imei.value == ["862698020000004"]
    assert imei.source == "getprop ro.ril.miui.imei0"
    assert "ro.ril.miui.imei1: fails the Luhn check" in (imei.method or "")


@pytest.mark.parametrize(
    ("props", "sign"),
    [
        ({"ro.kernel.qemu": "1"}, "ro.kernel.qemu=1"),
        ({"ro.boot.qemu": "1"}, "ro.boot.qemu=1"),
        ({"ro.hardware": "ranchu"}, "ro.hardware=ranchu"),
        ({"ro.hardware": "goldfish"}, "ro.hardware=goldfish"),
        ({"ro.hardware": "vbox86", "ro.product.manufacturer": "Genymotion"}, "Genymotion"),
        ({"ro.product.model": "sdk_gphone64_x86_64"}, "sdk_gphone64_x86_64"),
    ],
)
def test_emulator_signatures_are_named(props: dict[str, str], sign: str) -> None:
    emulator = android_identity(props)["emulator"]
    assert emulator.value is True
    assert sign in (emulator.method or "")


def test_qemu_prop_set_to_zero_is_not_an_emulator() -> None:
    """The Galaxy S25+ dump carries ro.kernel.qemu=0."""
    assert android_identity({"ro.kernel.qemu": "0", "ro.hardware": "qcom"})["emulator"].value is False


IPHONE_13 = {
    "ProductType": "iPhone14,5",
    "ProductVersion": "17.5.1",
    "BuildVersion": "21F90",
    "SerialNumber": "F2LXK0AAAAAA",
    "ModelNumber": "MLPF3",
    "RegionInfo": "LL/A",
    "HardwareModel": "D17AP",
    "UniqueDeviceID": "00008110-000A00000A00001E",
    "InternationalMobileEquipmentIdentity": "351881060000005",
    "InternationalMobileEquipmentIdentity2": "351881060000013",
    "DeviceName": "Jane's iPhone",
}


def test_ios_identity_from_the_default_domain() -> None:
    got = {k: m.value for k, m in ios_identity(IPHONE_13).items()}
    assert got == {
        "platform": "ios", "manufacturer": "Apple", "brand": "Apple", "model": "iPhone14,5",
        "model_code": "MLPF3LL/A", "marketing_name": "iPhone 13", "serial": "F2LXK0AAAAAA",
        "imei": ["351881060000005", "351881060000013"], "os_version": "17.5.1", "build": "21F90", "emulator": False,
        "udid": "00008110-000A00000A00001E", "hardware_model": "D17AP",
    }  # fmt: skip


def test_ios_identity_never_carries_the_device_name() -> None:
    metrics = ios_identity(IPHONE_13)
    assert not any("Jane" in str(m.value) for m in metrics.values())


def test_ios_second_imei_failing_luhn_is_dropped_with_the_reason() -> None:
    imei = ios_identity({**IPHONE_13, "InternationalMobileEquipmentIdentity2": "351881060000014"})["imei"]
    assert imei.value == ["351881060000005"]
    assert "InternationalMobileEquipmentIdentity2: fails the Luhn check" in (imei.method or "")


def test_ios_without_imeis_gives_none_with_reasons() -> None:
    values = {k: v for k, v in IPHONE_13.items() if not k.startswith("International")}
    imei = ios_identity(values)["imei"]
    assert imei.value is None
    assert (imei.source, imei.reason) == ("lockdown:InternationalMobileEquipmentIdentity", "no IMEI key in lockdown")


def test_device_metrics_are_the_reports_device_fields() -> None:
    from agent.session.engine import device_fields
    from checks.identity import IdentityCheck

    DEVICE_FIELDS = device_fields([IdentityCheck()])
    assert DEVICE_METRICS == DEVICE_FIELDS


def test_the_report_schema_has_exactly_the_declared_device_fields() -> None:
    from agent.report.schema import load_schema

    device = load_schema()["properties"]["device"]
    assert tuple(device["properties"]) == (*DEVICE_METRICS, "catalog_key")
    assert tuple(device["required"]) == (*DEVICE_METRICS, "catalog_key")


def test_ios_unknown_product_type_has_no_marketing_name_but_a_reason() -> None:
    metric = ios_identity({**IPHONE_13, "ProductType": "iPhone99,11"})["marketing_name"]
    assert metric.value is None and "iPhone99,11" in (metric.reason or "")


def test_ios_model_code_is_null_without_a_model_number() -> None:
    values = {k: v for k, v in IPHONE_13.items() if k not in ("ModelNumber", "RegionInfo")}
    assert ios_identity(values)["model_code"].value is None


@pytest.mark.parametrize(
    ("product_type", "name"),
    [("iPhone14,5", "iPhone 13"), ("iPhone10,4", "iPhone 8"), ("iPhone11,8", "iPhone XR"),
     ("iPhone7,2", "iPhone 6"), ("iPhone17,3", "iPhone 16"), ("iPhone18,3", "iPhone 17"),
     ("iPhone1,1", "iPhone"), ("iPad4,1", "iPad Air"), ("iPad13,18", "iPad (10th generation)"),
     ("iPad16,4", "iPad Pro 11-inch (M4)"), ("iPad17,3", "iPad Pro 13-inch (M5)"),
     ("iPad8,2", "iPad Pro 11-inch (1st generation)"), ("iPod9,1", "iPod touch (7th generation)")],
)  # fmt: skip
def test_apple_table_names(product_type: str, name: str) -> None:
    assert apple_marketing_name(product_type) == name


#: the independent list's own words for a model, where they differ from Apple's
_THEIR_WORDS = {"iPhone 2G": "iPhone"}
#: what the independent list puts in parentheses that is a variant, not a model
_VARIANT = re.compile(r"WiFi|GSM|CDMA|Global|Cellular|China|US|\d+TB")


def _their_name(display_name: str) -> str:
    """pymobiledevice3's display name without its modem, region and connectivity tags."""
    def keep(match: re.Match[str]) -> str:
        parts = [p for p in match.group(1).split(", ") if not _VARIANT.fullmatch(p)]
        return f" ({', '.join(parts)})" if parts else ""

    name = re.sub(r" \(([^)]*)\)", keep, display_name.removesuffix(" R2 2012")).replace(" gen)", " generation)")
    return _THEIR_WORDS.get(name, name)


def test_apple_table_agrees_with_pymobiledevice3s_device_list() -> None:
    """An independent public list: same names once its variant tags are dropped."""
    from pymobiledevice3.irecv_devices import IRECV_DEVICES

    theirs = {d.product_type: d.display_name for d in IRECV_DEVICES}
    for product_type, name in APPLE_MODELS.items():
        assert _their_name(theirs[product_type]).lower() == name.lower(), product_type


def test_apple_table_names_every_iphone_to_the_17_and_every_ipad_and_ipod() -> None:
    from pymobiledevice3.irecv_devices import IRECV_DEVICES

    wanted = {d.product_type for d in IRECV_DEVICES
              if re.fullmatch(r"iPhone([1-9]|1[0-8]),\d+|iPad\d+,\d+|iPod\d+,\d+", d.product_type)}
    assert wanted <= set(APPLE_MODELS)


def test_device_family_reads_the_product_type_prefix() -> None:
    assert [device_family(t) for t in ("iPad13,18", "iPod9,1", "iPhone14,5", "iPadOS", None)] == [
        "iPad", "iPod", "iPhone", None, None]


def test_real_wifi_ipad_is_named_and_its_missing_imei_key_explained() -> None:
    """An iPad Air (Wi-Fi) on iOS 7 as published: no IMEI key at all, TelephonyCapability 0."""
    values = json.loads((DATA / "ios_lockdown_default_ipad4_1_wifi_ios7.json").read_text("utf-8").split("# ---\n", 1)[1])
    metrics = ios_identity(values)
    assert (metrics["model"].value, metrics["marketing_name"].value) == ("iPad4,1", "iPad Air")
    assert metrics["model_code"].value == "MD786X/A"
    assert metrics["imei"].value is None
    assert metrics["imei"].reason == "no IMEI key (a Wi-Fi-only model?)"
    assert "Bernoulli" not in json.dumps({k: m.to_json() for k, m in metrics.items()})


@pytest.mark.parametrize(
    ("product_type", "reason"),
    [("iPad13,18", "no IMEI key (a Wi-Fi-only model?)"),
     ("iPod9,1", "no IMEI key (an iPod touch has no cellular modem)"),
     ("iPhone14,5", "no IMEI key in lockdown")],
)  # fmt: skip
def test_a_missing_imei_key_is_not_called_a_value_that_is_not_text(product_type: str, reason: str) -> None:
    values = {k: v for k, v in IPHONE_13.items() if not k.startswith("International")}
    imei = ios_identity({**values, "ProductType": product_type})["imei"]
    assert (imei.value, imei.reason) == (None, reason)


def test_an_imei_key_that_is_not_text_says_so() -> None:
    values = {k: v for k, v in IPHONE_13.items() if not k.startswith("International")}
    imei = ios_identity({**values, "InternationalMobileEquipmentIdentity": 351881060000005})["imei"]
    assert imei.value is None and "not given as text" in (imei.reason or "")


@given(st.dictionaries(st.text(max_size=12), st.text(max_size=20), max_size=8))
def test_android_identity_never_raises(props: dict[str, str]) -> None:
    for metric in android_identity(props).values():
        assert metric.value is not None or metric.reason


_LOCKDOWN_VALUE = st.none() | st.booleans() | st.integers() | st.text(max_size=20) | st.binary(max_size=8)


@given(st.dictionaries(st.sampled_from(sorted(IPHONE_13)) | st.text(max_size=8), _LOCKDOWN_VALUE, max_size=10))
def test_ios_identity_never_raises(values: dict[str, Any]) -> None:
    for metric in ios_identity(values).values():
        assert metric.value is not None or metric.reason
