"""What a label says, from a verified report: never more than the report, never a guessed grade."""

from __future__ import annotations

import copy

import pytest

from agent.report.label import MAX_TEXT, SIZES, label_fields, layout
from agent.report.signing import canonical_json, payload_digest
from tests.label.conftest import FIXTURES, PIXEL_7


def test_a_graded_phone_shows_model_storage_grade_battery_serial_and_report(make_report) -> None:
    saved = make_report(answers={"cosmetic_grade": "B", "screen.visual": []})
    fields = label_fields(saved.report)
    assert fields.model == "Pixel 7" and fields.storage == "128 GB" and fields.colour is None
    assert fields.grade == f"Grade {saved.report['grade']['value']}"
    assert fields.battery == "SoH 91%" and fields.identifier == "SN 2B151FDH2000AB"
    assert fields.report_id == saved.report["report_id"]
    assert fields.digest == payload_digest(canonical_json(saved.report))
    assert fields.qr_data == f"phonebench:{fields.report_id}:{fields.digest}"


def test_an_iphone_is_named_by_its_first_imei(make_report) -> None:
    saved = make_report(FIXTURES / "ios" / "iphone-13.yaml")
    assert label_fields(saved.report).identifier == f"IMEI {saved.report['device']['imei'][0]}"


def test_a_phone_that_went_away_is_incomplete_and_its_unknown_battery_is_a_question_mark(make_report) -> None:
    saved = make_report(FIXTURES / "android" / "disconnect-mid-battery.yaml")
    assert saved.report["grade"] is None
    fields = label_fields(saved.report)
    assert fields.grade == "INCOMPLETE" and fields.battery == "SoH ?"


def test_a_complete_report_without_a_grade_says_no_grade(make_report) -> None:
    report = copy.deepcopy(make_report().report)
    report["grade"] = None
    assert label_fields(report).grade == "no grade"


def test_a_colour_is_printed_only_when_the_report_has_one(make_report) -> None:
    report = copy.deepcopy(make_report().report)
    assert label_fields(report).colour is None
    identity = next(c for c in report["checks"] if c["name"] == "identity")
    identity["metrics"]["colour"] = {"value": "Obsidian", "source": "test"}
    fields = label_fields(report)
    assert fields.colour == "Obsidian"
    assert any("Obsidian" in line.text for line in layout(fields, SIZES["2x1"]).lines)


def test_phone_strings_lose_control_characters_and_are_capped(make_report) -> None:
    report = copy.deepcopy(make_report().report)
    report["device"]["marketing_name"] = "Pixel\x1b[31m 7\n" + "x" * 200
    model = label_fields(report).model
    assert "\x1b" not in model and "\n" not in model and len(model) == MAX_TEXT


@pytest.mark.parametrize("size", sorted(SIZES))
def test_every_line_fits_on_the_label_even_for_a_long_name(make_report, size: str) -> None:
    text = PIXEL_7.read_text().replace("Pixel 7", "W" * 60).replace("panther", "unknown-code")
    stock = SIZES[size]
    lay = layout(label_fields(make_report(text).report), stock)
    assert lay.qr_x + lay.qr_side <= stock.width and lay.qr_y + lay.qr_side <= stock.height
    for line in lay.lines:
        assert line.y + line.height <= stock.height - stock.margin // 2, line
        assert line.x + len(line.text) * line.height * 0.55 <= stock.width, line
    assert "".join(line.text for line in lay.lines).find(lay.qr_data.split(":")[1]) >= 0  # the whole report id
