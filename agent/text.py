"""Showing strings that came from a phone.

A phone's name, model or serial is untrusted. On a plain terminal a control character
could move the cursor or recolour the screen, so it is shown as an escape instead.
"""

from __future__ import annotations

from typing import Any

_CONTROL = {i: f"\\x{i:02x}" for i in (*range(0x00, 0x20), *range(0x7F, 0xA0)) if i not in (0x09,)}


def inert(text: str) -> str:
    """``text`` with every non-printable character as ``?``: for one-line error messages
    that quote untrusted data, where an escape sequence would only be noise."""
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def printable(value: Any) -> str:
    """``value`` as one line of text with control characters escaped."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(printable(v) for v in value) or "-"
    return str(value).translate(_CONTROL)
