"""PNG and PDF labels for office printers: the QR code reads back, one PDF page a report."""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from PIL import Image

from agent.report.label import SIZES, label_fields, layout
from agent.report.label_image import PNG_DPI, pdf_labels, png_label
from tests.label.conftest import FIXTURES

#: a page object in a PDF (not the /Pages tree node)
PAGE = re.compile(rb"/Type\s*/Page(?!s)")


def decoded(png: bytes) -> list[str]:
    return [code.text for code in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)), formats=zxingcpp.BarcodeFormat.QRCode)]


@pytest.mark.parametrize("size", sorted(SIZES))
def test_a_png_label_s_qr_code_reads_back_as_report_id_and_digest(make_report, size: str) -> None:
    report = make_report().report
    fields = label_fields(report)
    png = png_label(layout(fields, SIZES[size]))
    image = Image.open(io.BytesIO(png))
    assert image.size == (round(SIZES[size].width_in * PNG_DPI), round(SIZES[size].height_in * PNG_DPI))
    assert decoded(png) == [f"phonebench:{report['report_id']}:{fields.digest}"]


def test_a_pdf_has_one_label_sized_page_a_report(make_report, tmp_path) -> None:
    folder = tmp_path / "reports"
    reports = [make_report(FIXTURES / "android" / name, folder).report for name in ("pixel-7.yaml", "moto-g7.yaml")]
    reports.append(make_report(FIXTURES / "ios" / "iphone-13.yaml", folder).report)
    pdf = pdf_labels([layout(label_fields(r), SIZES["2x1"]) for r in reports])
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert len(PAGE.findall(pdf)) == 3
    assert len(re.findall(rb"/MediaBox \[0 0 144(\.0+)? 72(\.0+)?\]", pdf)) == 3  # 2x1 in, in points
