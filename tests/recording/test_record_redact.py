"""Redaction: a recorded file names nobody, and the phone it describes still measures the same."""

from __future__ import annotations

import random
import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from agent.fixtures.format import load_fixture
from agent.fixtures.record import dump_fixture
from agent.fixtures.redact import redact_fixture, replace_in_parcel
from agent.formats.getprop import parse_getprop
from agent.formats.imei import luhn_ok
from agent.formats.parcel import parse_string_reply
from agent.links.replay import replay_link
from checks.commands import GETPROP, IMEI

from .helpers import ROOT, record_doc

MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
PERSONAL = {
    "DeviceName": "Jane Doe's iPhone",
    "PhoneNumber": "+1 (415) 555-0132",
    "IntegratedCircuitCardIdentity": "8901260222174436184",
    "InternationalMobileSubscriberIdentity": "310260123456789",
}


def _ios_doc() -> dict:
    doc = record_doc(replay_link(load_fixture(ROOT / "fixtures/ios/iphone-xr.yaml")))
    doc["ios"]["lockdown"][""].update(PERSONAL)
    doc["ios"]["lockdown"]["com.apple.mobile.battery"]["Owner"] = "jane.doe@example.org"  # an account name
    return doc


def _android_doc() -> dict:
    doc = record_doc(replay_link(load_fixture(ROOT / "fixtures/android/moto-g7.yaml")))
    doc["android"]["commands"]["dumpsys battery"]["stdout"] += "  wlan mac: 3C:28:6D:11:22:33\n"
    return doc


def test_ios_recording_contains_none_of_the_identifiers() -> None:
    doc = _ios_doc()
    root = doc["ios"]["lockdown"][""]
    originals = [doc["ios"]["udid"], root["SerialNumber"], root["InternationalMobileEquipmentIdentity"],
                 root["InternationalMobileEquipmentIdentity2"], root["WiFiAddress"], root["BluetoothAddress"],
                 str(root["UniqueChipID"]), "jane.doe@example.org", *PERSONAL.values()]
    text = dump_fixture(redact_fixture(doc)[0])
    assert [o for o in originals if o.lower() in text.lower()] == []


def test_android_recording_contains_none_of_the_identifiers() -> None:
    doc = _android_doc()
    props = parse_getprop(doc["android"]["commands"][GETPROP]["stdout"])
    imei = parse_string_reply(doc["android"]["commands"][IMEI]["stdout"]).value
    text = dump_fixture(redact_fixture(doc)[0])
    for original in (props["ro.serialno"], imei, "3C:28:6D:11:22:33"):
        assert original and original not in text
    assert "3C:28:6D:" in text  # the vendor prefix stays


def test_placeholders_are_the_same_in_every_output() -> None:
    doc, redactor = redact_fixture(_android_doc(), random.Random(3))
    serial = redactor.replaced["ZY22C0FFEE"]
    props = parse_getprop(doc["android"]["commands"][GETPROP]["stdout"])
    assert doc["android"]["serial"] == props["ro.serialno"] == props["ro.boot.serialno"] == serial
    assert doc["expect"]["metrics"]["identity.serial"] == serial


def test_placeholders_keep_the_format() -> None:
    original = _ios_doc()
    doc, _ = redact_fixture(original, random.Random(5))
    before, after = original["ios"]["lockdown"][""], doc["ios"]["lockdown"][""]
    for key in ("InternationalMobileEquipmentIdentity", "InternationalMobileEquipmentIdentity2"):
        assert luhn_ok(after[key]) and len(after[key]) == 15 and after[key][:8] == before[key][:8]
    assert luhn_ok(after["IntegratedCircuitCardIdentity"])
    serial = after["SerialNumber"]
    assert len(serial) == len(before["SerialNumber"]) and serial.isalnum() and serial.isupper()
    assert re.fullmatch(r"00008020-[0-9A-F]{16}", doc["ios"]["udid"]) and doc["ios"]["udid"] == after["UniqueDeviceID"]
    assert MAC.match(after["WiFiAddress"]) and after["WiFiAddress"][:8] == before["WiFiAddress"][:8]
    assert after["DeviceName"] == "iPhone"
    assert after["PhoneNumber"].startswith("+1 (") and len(after["PhoneNumber"]) == len(PERSONAL["PhoneNumber"])


def test_the_imei_parcel_carries_a_luhn_valid_placeholder() -> None:
    doc, redactor = redact_fixture(_android_doc(), random.Random(11))
    reply = parse_string_reply(doc["android"]["commands"][IMEI]["stdout"])
    assert reply.value is not None and luhn_ok(reply.value)
    assert reply.value in redactor.replaced.values()
    preview = "".join(re.findall(r"'([^']*)'", doc["android"]["commands"][IMEI]["stdout"])).replace(".", "")
    assert preview.strip() == reply.value  # the ASCII column shows the placeholder too


def test_an_imei_of_non_ascii_digits_is_replaced_not_a_crash() -> None:
    odd = "\u00b2" * 15  # str.isdigit() is True for superscript two, int() refuses it
    doc = _ios_doc()
    doc["ios"]["lockdown"][""]["InternationalMobileEquipmentIdentity"] = odd
    redacted, redactor = redact_fixture(doc, random.Random(13))
    assert odd in redactor.replaced
    assert redacted["ios"]["lockdown"][""]["InternationalMobileEquipmentIdentity"] == redactor.replaced[odd]


def test_no_redact_keeps_the_document_as_recorded() -> None:
    doc = _android_doc()
    assert "ZY22C0FFEE" in dump_fixture(doc)


@given(st.text())
def test_parcel_rewriting_never_raises(text: str) -> None:
    replace_in_parcel("Result: Parcel(\n" + text, {"1234": "5678"})


def test_identifiers_in_other_text_keep_their_case(tmp_path: Path) -> None:
    doc = _android_doc()
    doc["android"]["commands"]["dumpsys battery"]["stdout"] += "  serial: zy22c0ffee\n"
    out, redactor = redact_fixture(doc, random.Random(1))
    assert f"serial: {redactor.replaced['ZY22C0FFEE'].lower()}\n" in out["android"]["commands"]["dumpsys battery"]["stdout"]


def test_account_names_and_the_android_users_name_are_redacted_from_a_recorded_accounts_dump() -> None:
    doc = record_doc(replay_link(load_fixture(ROOT / "fixtures/android/google-account-frp.yaml")))
    command = doc["android"]["commands"]["dumpsys account"]
    command["stdout"] = command["stdout"].replace("UserInfo{0:Owner:", "UserInfo{0:Jane Doe:")
    text = dump_fixture(redact_fixture(doc)[0])
    assert "user1@example.com" not in text
    assert "Jane Doe" not in text


def test_the_mdm_organisation_is_redacted_from_a_recorded_iphone() -> None:
    doc = record_doc(replay_link(load_fixture(ROOT / "fixtures/ios/supervised-mdm.yaml")))
    assert "Example Logistics" in dump_fixture(doc)  # the recording captured the MCInstall replies
    text = dump_fixture(redact_fixture(doc)[0])
    assert "Example Logistics" not in text
    assert "example.com" not in text  # the MDM server's URL and the profiles' identifiers name it too
    assert "GetCloudConfiguration" in text and "GetProfileList" in text
