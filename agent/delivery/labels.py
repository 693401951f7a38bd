"""A phone's bag or tray label, printed or kept as a file: what ``phonebench label --print``
and the TUI's ``p`` share.

With a printer in the station config the label goes there as ZPL (agent.delivery.printer);
without one it is written as a PDF (one page the size of the label, for any office printer)
into a folder, named by the report id, which the engine made (a UUID), never by anything a
phone said. Blocking (a socket, ``lp``, a file): the TUI calls it off its event loop.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.errors import OutboxError

if TYPE_CHECKING:
    from agent.config import Printer
    from agent.report.label import Layout

DEFAULT_SIZE = "2x1"


@dataclass(frozen=True)
class LabelDone:
    """What happened: ``printer`` (shown) when it was sent, else the ``file`` written."""

    printer: str | None = None
    file: Path | None = None

    def line(self) -> str:
        return f"label sent to the printer ({self.printer})" if self.printer else f"label written to {self.file}"


def zpl_bytes(layouts: Sequence[Layout]) -> bytes:
    """Labels as one ZPL job (every phone string already escaped by label_zpl)."""
    from agent.report.label_zpl import zpl_label

    return "".join(zpl_label(lay) for lay in layouts).encode("ascii")


def report_layout(report: dict[str, Any], size: str = DEFAULT_SIZE,
                  certificates: Sequence[dict[str, Any]] = ()) -> Layout:
    """``report``'s label; a "Data erased" line when one of ``certificates`` says its phone
    was erased after the report (agent.report.label.erasure_for)."""
    from agent.report.label import SIZES, erasure_for, label_fields, layout

    return layout(label_fields(report, erasure_for(report, list(certificates))), SIZES[size])


def label_report(report: dict[str, Any], printer: Printer | None, folder: Path, size: str = DEFAULT_SIZE,
                 certificates: Sequence[dict[str, Any]] = ()) -> LabelDone:
    """Print ``report``'s label on ``printer``, or write ``<folder>/<report id>.label.pdf``;
    ``certificates`` as for ``report_layout``.
    Raises PrinterError (the printer), OutboxError (the folder, a report id that is not a UUID)."""
    lay = report_layout(report, size, certificates)
    if printer is not None:
        from agent.delivery.printer import send_labels

        send_labels(zpl_bytes([lay]), printer)
        return LabelDone(printer=printer.show())
    from agent.files import write_atomic
    from agent.report.label_image import pdf_labels

    target = folder.expanduser().absolute() / f"{_report_id(report)}.label.pdf"
    try:
        write_atomic(target, pdf_labels([lay]))
    except OSError as e:
        raise OutboxError(f"{target}: cannot write the label ({e.strerror or e})") from e
    return LabelDone(file=target)


def _report_id(report: dict[str, Any]) -> str:
    raw = report.get("report_id")
    try:
        canonical = str(uuid.UUID(str(raw)))
    except ValueError as e:
        raise OutboxError(f"report id {raw!r} is not a UUID: not naming a file after it") from e
    if canonical != raw:
        raise OutboxError(f"report id {raw!r} is not a UUID: not naming a file after it")
    return canonical
