"""A label of a phone that is not a real one (a replay, a simulated or demo phone) says so in
every format, so it cannot be taken for a real phone's label; a real phone's label does not."""

from __future__ import annotations

import copy
import io
import re
import zlib
from typing import Any

import pytest
import zxingcpp
from PIL import Image

from agent.report.label import SIZES, label_fields, layout
from agent.report.label_image import PNG_DPI, pdf_labels, png_label
from agent.report.label_zpl import zpl_label
from tests.label.zpl_parse import labels, texts

MARKS = {"replay": "** REPLAY **", "simulated": "** SIMULATED **", "demo": "** SIMULATED **"}


def _as(report: dict[str, Any], provenance: str) -> dict[str, Any]:
    other = copy.deepcopy(report)
    other["session"]["provenance"] = provenance
    return other


def _pdf_text(pdf: bytes) -> bytes:
    """Every content stream of the PDF, inflated when fpdf2 compressed it. Each stream is
    inflated from its start to the end of its zlib data (whatever bytes it holds, an image's
    may end in a carriage return), else taken as it is up to ``endstream``."""
    out = b""
    for match in re.finditer(rb"(?<!end)stream\r?\n", pdf):
        start = match.end()
        try:
            out += zlib.decompressobj().decompress(pdf[start:])
        except zlib.error:
            end = pdf.find(b"endstream", start)
            out += pdf[start:end if end >= 0 else len(pdf)]
    return out


@pytest.mark.parametrize("provenance", sorted(MARKS))
@pytest.mark.parametrize("size", sorted(SIZES))
def test_a_label_of_a_phone_that_is_not_real_says_so_in_zpl_pdf_and_png(make_report, provenance: str, size: str) -> None:
    report = _as(make_report().report, provenance)
    fields = label_fields(report)
    lay = layout(fields, SIZES[size])
    mark = MARKS[provenance]
    assert lay.lines[0].text == mark
    (zpl,) = labels(zpl_label(lay))
    assert texts(zpl)[0] == mark
    assert f"({mark})".encode() in _pdf_text(pdf_labels([lay]))
    png = png_label(lay)
    assert [c.text for c in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)), formats=zxingcpp.BarcodeFormat.QRCode)] == [fields.qr_data]
    # the mark's line is drawn: ink where the first line sits
    scale = PNG_DPI / 203
    line = lay.lines[0]
    box = tuple(round(v * scale) for v in (line.x, line.y, SIZES[size].width - SIZES[size].margin, line.y + line.height))
    assert Image.open(io.BytesIO(png)).crop(box).getextrema()[0] < 128


@pytest.mark.parametrize("provenance", ["usb", "network"])
def test_a_real_phone_s_label_carries_no_mark(make_report, provenance: str) -> None:
    report = _as(make_report().report, provenance)
    fields = label_fields(report)
    assert fields.mark is None
    for size in SIZES.values():
        lay = layout(fields, size)
        (zpl,) = labels(zpl_label(lay))
        assert not any("SIMULATED" in t or "REPLAY" in t for t in texts(zpl))
        assert b"SIMULATED" not in _pdf_text(pdf_labels([lay])) and b"REPLAY" not in _pdf_text(pdf_labels([lay]))
