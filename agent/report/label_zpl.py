"""A label as ZPL II, for the thermal printers benches use (Zebra and their clones, 203 dpi).

One label is one ``^XA ... ^XZ`` format. ``^`` and ``~`` start ZPL commands anywhere in a
stream, so a model name holding ``^XZ^XA`` would end our label and start one of its own: every
text field goes through ``^FH`` (field hex) and any character that is not plain ASCII, or is
one of ``^ ~ _ \\``, is written as ``_XX`` hex escapes of its UTF-8 bytes (``^CI28``). The QR
code's data is our own ASCII (``LabelFields.qr_data``) and is checked to stay so.
"""

from __future__ import annotations

import re

from agent.errors import VerificationError
from agent.report.label import Layout, TextLine

#: characters written as they are inside an ^FH field: printable ASCII but the command
#: prefixes (^ ~), the ^FH escape (_) and the backslash some firmware reads as an escape too
_PLAIN = frozenset(chr(c) for c in range(0x20, 0x7F)) - set("^~_\\")
#: what QR data may hold to go into ^FD unescaped (^FH does not apply to ^BQ's mode switches)
_QR_SAFE = re.compile(r"[A-Za-z0-9:._-]{1,512}")


def zpl_label(lay: Layout) -> str:
    """One label: ``^XA``, print width and length in dots, the QR code, the text, ``^XZ``."""
    parts = ["^XA", "^CI28", f"^PW{lay.size.width}", f"^LL{lay.size.height}", "^LH0,0", _qr(lay)]
    parts += [_text(line) for line in lay.lines]
    parts.append("^XZ")
    return "\n".join(parts) + "\n"


def field_hex(text: str) -> str:
    """``text`` for an ``^FH^FD`` field: nothing in it can start a ZPL command."""
    return "".join(ch if ch in _PLAIN else "".join(f"_{b:02X}" for b in ch.encode("utf-8")) for ch in text)


def _qr(lay: Layout) -> str:
    data = _qr_data(lay)
    error = lay.size.qr_error
    # ^BQ orientation N, model 2, magnification (dots a module), error level; in ^FD: the error
    # level again, M(anual input), B(yte mode) with a 4-digit count, then the data
    return f"^FO{lay.qr_x},{lay.qr_y}^BQN,2,{lay.module},{error}^FD{error}M,B{len(data):04d}{data}^FS"


def _qr_data(lay: Layout) -> str:
    data = lay.qr_data
    if not _QR_SAFE.fullmatch(data):
        raise VerificationError(f"QR data is not plain ASCII: {data[:40]!r}")
    return data


def _text(line: TextLine) -> str:
    """A line in the printer's scalable font 0, ``height`` dots tall."""
    return f"^FO{line.x},{line.y}^A0N,{line.height},{line.height}^FH^FD{field_hex(line.text)}^FS"
