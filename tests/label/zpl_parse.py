"""Reading ZPL back the way a printer would: a command starts at every ^ or ~."""

from __future__ import annotations

import re

#: a command: its prefix and two-letter name (^FD, ^XA, ~JA...), then its parameters up to the next prefix
COMMAND = re.compile(r"([\^~])([A-Z0-9@]{2})([^\^~]*)")


def commands(zpl: str) -> list[tuple[str, str]]:
    """``[(name, parameters)]``, e.g. ``("^FD", "Pixel 7")``; whitespace between commands dropped."""
    return [(m[1] + m[2], m[3].rstrip("\n")) for m in COMMAND.finditer(zpl)]


def labels(zpl: str) -> list[list[tuple[str, str]]]:
    """The formats between each ^XA and the next ^XZ; anything outside one fails the test."""
    out: list[list[tuple[str, str]]] = []
    current: list[tuple[str, str]] | None = None
    for name, params in commands(zpl):
        if name == "^XA":
            assert current is None, "^XA inside a label"
            current = []
        elif name == "^XZ":
            assert current is not None, "^XZ outside a label"
            out.append(current)
            current = None
        else:
            assert current is not None, f"{name} outside a label"
            current.append((name, params))
    assert current is None, "a label without ^XZ"
    return out


def unhex(data: str) -> str:
    """An ^FH field's text: ``_XX`` is the byte XX (UTF-8, as ^CI28 says)."""
    raw = re.sub(rb"_([0-9A-Fa-f]{2})", lambda m: bytes([int(m[1], 16)]), data.encode("ascii"))
    return raw.decode("utf-8")


def texts(label: list[tuple[str, str]]) -> list[str]:
    """Every ^FH^FD text field of a label, decoded."""
    out = []
    for i, (name, params) in enumerate(label):
        if name == "^FD" and i > 0 and label[i - 1][0] == "^FH":
            out.append(unhex(params))
    return out


def qr_data(label: list[tuple[str, str]]) -> str:
    """The data of the label's one ^BQ field (after ``<level>M,B<count>``), its count checked."""
    index = next(i for i, (name, _) in enumerate(label) if name == "^BQ")
    name, params = label[index + 1]
    assert name == "^FD"
    match = re.fullmatch(r"([LMQH])M,B(\d{4})(.*)", params)
    assert match, params
    assert int(match[2]) == len(match[3].encode("utf-8"))
    return match[3]
