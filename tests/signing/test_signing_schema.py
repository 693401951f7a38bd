"""The report schema: closed where the contract is closed, strict about unknowns."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from signing_helpers import sample_report

from agent.errors import VerificationError
from agent.report.schema import SCHEMA_ID, load_schema, validate_report

KEY_ID = "sha256:" + "cd" * 32
DIGEST = "sha256:" + "ef" * 32


def _report(**changes: Any) -> dict[str, Any]:
    report = sample_report(**{"station.key_id": KEY_ID, **changes})
    report.setdefault("chain", {"sequence": 2, "previous_digest": DIGEST})
    return report


def _rejected(report: Any) -> str:
    with pytest.raises(VerificationError) as caught:
        validate_report(report)
    message = str(caught.value)
    assert message.startswith("report: ") and "\n" not in message
    return message


def test_the_schema_is_valid_draft_2020_12_for_this_schema_id() -> None:
    schema = load_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["properties"]["schema"] == {"const": SCHEMA_ID}


def test_a_report_following_the_contract_is_valid() -> None:
    validate_report(_report())


def test_first_report_of_a_chain_has_no_previous_digest() -> None:
    validate_report(_report(chain={"sequence": 1, "previous_digest": None}))


def test_a_null_metric_without_a_reason_is_rejected_naming_the_metric() -> None:
    report = _report()
    del report["checks"][1]["metrics"]["total_bytes"]["reason"]
    assert _rejected(report) == "report: checks[1].metrics.total_bytes: 'reason' is a required property"


def test_a_null_metric_with_an_empty_reason_is_rejected() -> None:
    report = _report(**{"checks.0.metrics.temperature_c.reason": ""})
    assert "checks[0].metrics.temperature_c.reason" in _rejected(report)


def test_metric_maps_are_open_by_name_but_names_are_snake_case() -> None:
    report = _report()
    report["checks"][0]["metrics"]["voltage_mv"] = {"value": 3850, "source": "cat /sys/x/voltage_now"}
    validate_report(report)
    report["checks"][0]["metrics"]["Voltage mV"] = {"value": 3850, "source": "cat /sys/x/voltage_now"}
    assert "checks[0].metrics" in _rejected(report)


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"extra": 1}, "Additional properties"),
        ({"device.color": "black"}, "device: Additional properties"),
        ({"checks.0.metrics.cycle_count.unit": "cycles"}, "checks[0].metrics.cycle_count: Additional properties"),
        ({"station.owner": "x"}, "station: Additional properties"),
        ({"chain": {"sequence": 2, "previous_digest": DIGEST, "at": 1}}, "chain: Additional properties"),
    ],
)
def test_closed_sections_reject_unknown_fields(change: dict[str, Any], where: str) -> None:
    assert where in _rejected(_report(**change))


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"schema": "phonebench.report/3"}, "schema"),
        ({"report_id": "../../x"}, "report_id"),
        ({"report_id": "0B6F0C1E-0000-4000-8000-000000000000"}, "report_id"),
        ({"started_at": "2026-11-28T16:20:49+02:00"}, "started_at"),
        ({"finished_at": "2026-13-28T16:20:49Z"}, "finished_at"),
        ({"station.key_id": "sha256:" + "AB" * 32}, "station.key_id"),
        ({"profile.digest": "sha256:abc"}, "profile.digest"),
        ({"checks.0.outcome": "passed"}, "checks[0].outcome"),
        ({"checks.0.verdict": "ok"}, "checks[0].verdict"),
        ({"device.imei": "358240051111110"}, "device.imei"),
        ({"device.platform": "symbian"}, "device.platform"),
        ({"answers": {"cosmetic_grade": 3}}, "answers.cosmetic_grade"),
        ({"chain": {"sequence": 0, "previous_digest": None}}, "chain.sequence"),
        ({"chain": {"sequence": 1, "previous_digest": DIGEST}}, "chain.previous_digest"),
        ({"chain": {"sequence": 2, "previous_digest": None}}, "chain.previous_digest"),
    ],
)
def test_malformed_fields_are_rejected_naming_where(change: dict[str, Any], where: str) -> None:
    assert _rejected(_report(**change)).startswith(f"report: {where}")


def test_an_incomplete_session_needs_a_reason_and_has_no_grade() -> None:
    incomplete = {"session.complete": False, "session.incomplete_reason": "phone disconnected"}
    validate_report(_report(**incomplete, grade=None))
    assert _rejected(_report(**incomplete)).startswith("report: grade")
    assert _rejected(_report(**{**incomplete, "session.incomplete_reason": None}, grade=None)).startswith(
        "report: session.incomplete_reason"
    )


def test_a_complete_session_has_no_incomplete_reason() -> None:
    assert _rejected(_report(**{"session.incomplete_reason": "why"})).startswith("report: session.incomplete_reason")


def test_unknown_device_fields_may_be_null() -> None:
    nulls = {f"device.{name}": None for name in sample_report()["device"]}
    validate_report(_report(**nulls))


def test_a_phone_given_metric_name_cannot_break_the_message_onto_two_lines() -> None:
    report = _report()
    report["checks"][0]["metrics"]["evil\nline\x1b[2J"] = {"value": 1, "source": None}
    assert "\x1b" not in _rejected(report)


def test_a_document_that_is_not_an_object_is_rejected() -> None:
    assert "is not of type 'object'" in _rejected([1, 2])


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=25,
)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(sample_report())), _json)
def test_any_value_in_any_field_is_valid_or_a_one_line_error(field: str, value: Any) -> None:
    report = _report(**{field: value})
    try:
        validate_report(report)
    except VerificationError as e:
        assert str(e).startswith("report: ") and "\n" not in str(e)


def test_a_report_written_before_v2_still_validates_against_v1() -> None:
    report = _report()
    report["schema"] = "phonebench.report/1"
    for key in ("provenance", "transport_id"):
        del report["session"][key]
    validate_report(report)


@pytest.mark.parametrize("missing", ["provenance", "transport_id"])
def test_a_v2_report_must_say_where_its_phone_came_from(missing: str) -> None:
    report = _report()
    del report["session"][missing]
    assert _rejected(report).startswith("report: session")


def test_provenance_is_one_of_the_four_kinds() -> None:
    assert _rejected(_report(**{"session.provenance": "bluetooth"})).startswith("report: session.provenance")


def test_the_port_in_session_is_optional_and_closed() -> None:
    """Reports from before the port was recorded still validate; a port says path, name and location only."""
    old = _report()
    old["session"].pop("port", None)
    validate_report(old)
    with_port = _report()
    with_port["session"]["port"] = {"path": "1-1.3", "name": "left 3", "usbmux_location": "0x0001000e"}
    validate_report(with_port)
    with_port["session"]["port"] = None
    validate_report(with_port)
    with_port["session"]["port"] = {"path": "1-1.3", "name": None, "usbmux_location": "1-1.3"}
    assert "usbmux_location" in _rejected(with_port)
    with_port["session"]["port"] = {"path": "1-1.3", "name": None, "usbmux_location": None, "owner": "x"}
    assert "owner" in _rejected(with_port)
