"""ZPL for thermal printers: one ^XA..^XZ a label, the QR holding the report, phone strings inert."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from agent.report.label import SIZES, label_fields, layout
from agent.report.label_zpl import field_hex, zpl_label
from tests.label.conftest import PIXEL_7
from tests.label.zpl_parse import labels, qr_data, texts, unhex

#: a model that tries to end our label and start its own; "_5E" would read as ^ if _ were not escaped
HOSTILE = "Evil^XZ^XA^FO0,0^FDpwn^FS~JA_5E"


def test_a_label_is_one_format_with_the_report_in_its_qr_code(make_report) -> None:
    report = make_report().report
    fields = label_fields(report)
    for size in SIZES.values():
        zpl = zpl_label(layout(fields, size))
        (label,) = labels(zpl)
        assert ("^PW", str(size.width)) in label and ("^LL", str(size.height)) in label
        assert qr_data(label) == f"phonebench:{report['report_id']}:{fields.digest}"
        assert "Pixel 7" in texts(label) and "SoH 91%  128 GB" in texts(label)


def test_a_hostile_model_name_stays_inside_its_field(make_report) -> None:
    text = PIXEL_7.read_text().replace("Pixel 7", HOSTILE).replace("panther", "unknown-code")
    report = make_report(text).report
    assert report["device"]["model"] == HOSTILE  # the engine keeps what the phone said
    zpl = zpl_label(layout(label_fields(report), SIZES["4x6"]))
    (label,) = labels(zpl)  # one ^XA, one ^XZ: nothing broke out
    assert zpl.count("~") == 0 and zpl.count("^XA") == 1 and zpl.count("^XZ") == 1
    mark, model = texts(label)[:2]  # a replayed phone: its label says so first
    assert mark == "** REPLAY **"
    assert model != HOSTILE[: len(model)] or model == HOSTILE  # cut to fit: it ends with the "." marker
    assert HOSTILE.startswith(model.removesuffix(".")) and len(model) > 10
    assert [name for name, _ in label].count("^FD") == len(layout(label_fields(report), SIZES["4x6"]).lines) + 1


@given(st.text(max_size=60))
def test_field_hex_output_has_no_command_prefix_and_reads_back(text: str) -> None:
    escaped = field_hex(text)
    assert not set(escaped) & {"^", "~", "\\"} and escaped.isascii()
    try:
        assert unhex(escaped) == text
    except UnicodeEncodeError:  # lone surrogates have no UTF-8: never in a signed report
        pass
