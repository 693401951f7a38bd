"""What goes on a phone's bag or tray label, and where on the label it goes.

A label is built only from a report that verified: ``label_fields`` reads the signed report,
``layout`` places its lines and the QR code on one of the label sizes benches use. The
renderers (``label_zpl`` for thermal printers, ``label_image`` for PDF and PNG) draw the same
layout, so the three outputs cannot drift apart.

The QR code carries ``phonebench:<report id>:<payload digest>``: the digest is the one the chain
uses (sha256 of the canonical report), so a scanner at the next station finds the report and can
tell it is this report and not another one with the same id. Every string that came from the
phone is data: non-printable characters become ``?`` and lengths are capped here, and each
renderer escapes what its own format treats as commands.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import segno

from agent.report.signing import canonical_json, payload_digest
from agent.text import inert

#: the resolution layouts are computed in: thermal label printers print 203 dpi (8 dots/mm)
DPI = 203
#: the longest phone-given string kept on a label, before a renderer fits it to its width
MAX_TEXT = 40
QR_PREFIX = "phonebench"


@dataclass(frozen=True)
class LabelFields:
    """One label's text, ready to print: every value already cleaned and capped.

    ``storage`` ("128 GB") and ``colour`` are None when the report does not say; ``grade`` is
    the report's grade, or "INCOMPLETE"/"no grade" when it has none (never an invented one);
    ``battery`` is "SoH 91%" or "SoH ?"; ``identifier`` is "IMEI ..." or "SN ...";
    ``digest`` is "sha256:<hex>" of the canonical report.
    """

    model: str
    storage: str | None
    colour: str | None
    grade: str
    battery: str
    identifier: str
    report_id: str
    digest: str
    #: "Data erased (Purge) 2026-11-30" when a verified erasure certificate of this phone
    #: came after the report; None otherwise
    erased: str | None = None
    #: "** SIMULATED **" or "** REPLAY **" for a phone that is not a real one (``session.provenance``
    #: not usb/network), printed first so the label cannot pass for a real phone's; None otherwise
    mark: str | None = None

    @property
    def qr_data(self) -> str:
        """What the QR code holds: ``phonebench:<report id>:sha256:<hex>`` (ASCII only)."""
        return f"{QR_PREFIX}:{self.report_id}:{self.digest}"


@dataclass(frozen=True)
class LabelSize:
    """A label stock: its size in inches and, in dots at ``DPI``, its margin and font heights.

    ``qr_error`` is the QR error-correction level: the small label needs big modules more than
    redundancy (a 4-dot module is what a 203 dpi printer draws cleanly), the large one has both.
    """

    name: str
    width_in: float
    height_in: float
    margin: int
    title_h: int
    body_h: int
    small_h: int
    qr_error: str

    @property
    def width(self) -> int:
        return round(self.width_in * DPI)

    @property
    def height(self) -> int:
        return round(self.height_in * DPI)


SIZES: dict[str, LabelSize] = {
    "2x1": LabelSize("2x1", 2.0, 1.0, margin=12, title_h=24, body_h=18, small_h=14, qr_error="L"),
    "4x6": LabelSize("4x6", 4.0, 6.0, margin=40, title_h=64, body_h=46, small_h=30, qr_error="Q"),
}


@dataclass(frozen=True)
class TextLine:
    """One line of text: top-left corner and font height in dots."""

    x: int
    y: int
    height: int
    text: str


@dataclass(frozen=True)
class Layout:
    """A label laid out in dots at ``DPI``: the QR code's top-left corner, its module size in
    dots (``module``) and its width in modules (``modules``, no quiet zone: the margin and the
    white around it are one), then the text lines."""

    size: LabelSize
    qr: segno.QRCode
    qr_data: str
    qr_x: int
    qr_y: int
    module: int
    modules: int
    lines: tuple[TextLine, ...]

    @property
    def qr_side(self) -> int:
        return self.module * self.modules


def label_fields(report: dict[str, Any], erasure: dict[str, Any] | None = None) -> LabelFields:
    """The label of a verified report (its payload as signed, a ``phonebench.report/2`` dict);
    ``erasure``, a verified certificate (``erasure_for``), adds the "data erased" line."""
    device = report.get("device") or {}
    return LabelFields(
        model=_clean(device.get("marketing_name") or device.get("model")) or "unknown model",
        storage=_storage(report),
        colour=_clean(_colour(report)),
        grade=_grade(report),
        battery=_battery(report),
        identifier=_identifier(device),
        report_id=str(report["report_id"]),
        digest=payload_digest(canonical_json(report)),
        erased=erased_line(erasure),
        mark=not_real_mark(report),
    )


#: provenances of real phones (agent.links.base.Provenance): their labels carry no mark
REAL = frozenset({"usb", "network"})


def not_real_mark(report: dict[str, Any]) -> str | None:
    """"** REPLAY **" for a replayed recording, "** SIMULATED **" for any other provenance that
    is not a real phone's (simulated, demo); None for usb/network and for v1 reports, which
    have no provenance (only stations made them)."""
    provenance = (report.get("session") or {}).get("provenance")
    if provenance is None or provenance in REAL:
        return None
    return "** REPLAY **" if provenance == "replay" else "** SIMULATED **"


def erasure_for(report: dict[str, Any], certificates: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The newest certificate that says ``erased`` for the report's phone (same serial) and
    was made after the report finished; None when there is none."""
    serial = (report.get("device") or {}).get("serial")
    after = [c for c in certificates if serial and c["device"].get("serial") == serial
             and c["result"] == "erased" and c["finished_at"] >= str(report.get("finished_at", ""))]
    return max(after, key=lambda c: c["finished_at"]) if after else None


def erased_line(certificate: dict[str, Any] | None) -> str | None:
    """"Data erased (Purge) 2026-11-30" for a certificate that says ``erased``, else None. The
    layout puts the date on a line of its own where the whole does not fit (the 2x1 label)."""
    if certificate is None or certificate.get("result") != "erased":
        return None
    method = (_clean(certificate["sanitization"]["method"], 8) or "?").capitalize()
    return f"Data erased ({method}) {str(certificate['finished_at'])[:10]}"


def layout(fields: LabelFields, size: LabelSize) -> Layout:
    """Where everything goes: on a wide label the QR code on the left and the text beside it,
    on a tall one the QR code on top and the text under it."""
    qr = segno.make(fields.qr_data, error=size.qr_error, mode="byte", micro=False, boost_error=False)
    modules = int(qr.symbol_size(border=0)[0])
    m = size.margin
    if size.width > size.height:
        module = min(10, (size.height - 2 * m) // modules)
        qr_x, qr_y = m, (size.height - module * modules) // 2
        text_x, text_y = qr_x + module * modules + m, m
    else:
        module = min(10, min(size.width - 2 * m, size.height // 2) // modules)
        qr_x, qr_y = (size.width - module * modules) // 2, m
        text_x, text_y = m, qr_y + module * modules + m
    lines = _text_lines(fields, size, text_x, text_y, size.width - m - text_x)
    return Layout(size, qr, fields.qr_data, qr_x, qr_y, module, modules, lines)


def _text_lines(fields: LabelFields, size: LabelSize, x: int, y: int, width: int) -> tuple[TextLine, ...]:
    """The lines in the order a person reads a tray: what it is, how good, which one."""
    wanted = [(size.body_h, fields.mark)] if fields.mark else []
    wanted += [(size.title_h, fields.model), (size.title_h, fields.grade),
              (size.body_h, f"{fields.battery}  {fields.storage or '? GB'}")]
    wanted += [(size.body_h, fields.colour)] if fields.colour else []
    wanted += [(size.body_h, fields.identifier)]
    if fields.erased:
        wanted += [(size.body_h, part) for part in _wrap_words(fields.erased, _chars(width, size.body_h))]
    wanted += [(size.small_h, part) for part in _wrap(fields.report_id, _chars(width, size.small_h))]
    lines = []
    for height, text in wanted:
        lines.append(TextLine(x, y, height, _fit(text, _chars(width, height))))
        y += height + max(2, height // 4)
    return tuple(lines)


def _chars(width: int, height: int) -> int:
    """How many characters of a font ``height`` dots tall fit in ``width`` dots (a guess on the
    wide side for Zebra's condensed font 0, Helvetica and Pillow's default font)."""
    return max(1, width // math.ceil(height * 0.55))


def _fit(text: str, chars: int) -> str:
    """``text`` cut to ``chars``, a "." marking the cut (ASCII: every renderer can draw it)."""
    return text if len(text) <= chars else text[: max(1, chars - 1)] + "."


def _wrap_words(text: str, chars: int) -> list[str]:
    """``text`` on as few lines of ``chars`` as its words allow (a word longer than a line is
    cut by ``_fit``): the erased line keeps its date whole on a narrow label."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= chars:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def _wrap(text: str, chars: int) -> list[str]:
    return [text[i : i + chars] for i in range(0, len(text), chars)] or [""]


def _clean(value: Any, cap: int = MAX_TEXT) -> str | None:
    """A phone-given value as one short printable line, or None when there is nothing."""
    if value is None:
        return None
    text = " ".join(inert(str(value)).split())
    return text[:cap] or None


def _metric(report: dict[str, Any], check: str, name: str) -> Any:
    for entry in report.get("checks") or ():
        if entry.get("name") == check:
            metric = (entry.get("metrics") or {}).get(name) or {}
            return metric.get("value")
    return None


def _storage(report: dict[str, Any]) -> str | None:
    gb = _metric(report, "storage", "advertised_gb")
    return f"{gb:g} GB" if isinstance(gb, int | float) and not isinstance(gb, bool) else None


def _colour(report: dict[str, Any]) -> Any:
    """No check measures a colour today: print one only when some check's metrics have it."""
    for entry in report.get("checks") or ():
        for name in ("colour", "color"):
            value = ((entry.get("metrics") or {}).get(name) or {}).get("value")
            if isinstance(value, str):
                return value
    return None


def _grade(report: dict[str, Any]) -> str:
    grade = report.get("grade")
    if grade and grade.get("value"):
        return f"Grade {_clean(grade['value'], 12)}"
    complete = (report.get("session") or {}).get("complete")
    return "no grade" if complete else "INCOMPLETE"


def _battery(report: dict[str, Any]) -> str:
    soh = _metric(report, "battery", "state_of_health_percent")
    if isinstance(soh, int | float) and not isinstance(soh, bool):
        return f"SoH {soh:.0f}%"
    return "SoH ?"


def _identifier(device: dict[str, Any]) -> str:
    imeis = device.get("imei") or []
    imei = _clean(imeis[0], 20) if imeis else None
    if imei:
        return f"IMEI {imei}"
    return f"SN {_clean(device.get('serial'), 32) or '?'}"
