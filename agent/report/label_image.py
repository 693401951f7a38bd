"""A label as PNG (Pillow) or PDF (fpdf2), for office printers and label sheets.

Both draw ``label.layout``, computed in dots at 203 dpi, scaled to their own units: the PNG
at ``PNG_DPI`` pixels an inch, the PDF in points on a page the size of the label (one page a
label). The QR code is segno's own PNG, never drawn module by module here, at a whole number
of pixels a module so it stays sharp.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

from agent.report.label import DPI, Layout

#: an office printer's resolution: a 2x1 in label is 600x300 pixels
PNG_DPI = 300
_POINTS = 72


def png_label(lay: Layout, dpi: int = PNG_DPI) -> bytes:
    """The label as PNG bytes, ``dpi`` pixels an inch, black on white, the dpi in its header."""
    scale = dpi / DPI
    image = Image.new("L", (round(lay.size.width * scale), round(lay.size.height * scale)), 255)
    qr = _qr_image(lay, max(1, int(lay.module * scale)))
    image.paste(qr, (round(lay.qr_x * scale), round(lay.qr_y * scale)))
    draw = ImageDraw.Draw(image)
    for line in lay.lines:
        font = ImageFont.load_default(size=max(8, round(line.height * scale)))
        draw.text((round(line.x * scale), round(line.y * scale)), line.text, fill=0, font=font)
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(dpi, dpi))
    return out.getvalue()


def pdf_labels(layouts: Sequence[Layout]) -> bytes:
    """One PDF, one page a label, each page the size of its label."""
    pdf = FPDF(unit="pt")
    pdf.set_auto_page_break(False)
    pdf.set_creator("phonebench")
    for lay in layouts:
        _pdf_page(pdf, lay)
    return bytes(pdf.output())


def _pdf_page(pdf: FPDF, lay: Layout) -> None:
    pt = _POINTS / DPI
    pdf.add_page(format=(lay.size.width * pt, lay.size.height * pt))
    qr = io.BytesIO()
    _qr_image(lay, 8).save(qr, format="PNG")
    side = lay.qr_side * pt
    pdf.image(qr, x=lay.qr_x * pt, y=lay.qr_y * pt, w=side, h=side)
    for line in lay.lines:
        size = line.height * pt
        pdf.set_font("helvetica", size=size)
        # text() puts the baseline at y; a line's y is its top, and capitals are ~0.75 em tall
        pdf.text(line.x * pt, line.y * pt + size * 0.8, _latin1(line.text))


def _qr_image(lay: Layout, module_px: int) -> Image.Image:
    """segno's PNG of the layout's QR code, ``module_px`` pixels a module, no quiet zone."""
    out = io.BytesIO()
    lay.qr.save(out, kind="png", scale=module_px, border=0)
    out.seek(0)
    return Image.open(out).convert("L")


def _latin1(text: str) -> str:
    """The PDF's built-in Helvetica has only Latin-1: anything else shows as ``?``."""
    return text.encode("latin-1", "replace").decode("latin-1")
