"""Showing and keeping strings that came from a phone.

A phone's name, model or serial is untrusted. On a plain terminal a control character
could move the cursor or recolour the screen, and a format character (Unicode category
Cf: U+202E RIGHT-TO-LEFT OVERRIDE, U+2066 LEFT-TO-RIGHT ISOLATE, U+200B ZERO WIDTH SPACE)
could make ``Pixel 7 ... grade F`` read as something else or two names look the same, so
each is shown as an escape instead. And it can be of any length: a 600 kB model name once
made a 3 MB report that the backend refused for ever, so what goes into a report is
capped (``capped``, ``capped_json``).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

_CONTROL = {i: f"\\x{i:02x}" for i in (*range(0x00, 0x20), *range(0x7F, 0xA0)) if i not in (0x09,)}
#: shown as ``\uXXXX``: format characters, line and paragraph separators, lone surrogates
_INVISIBLE = frozenset({"Cf", "Zl", "Zp", "Cs"})


#: the most UTF-8 bytes one string from a phone takes in a report, the cut marker included
CAP_BYTES = 4096
#: the most entries a list or mapping from a phone keeps in a report
CAP_ITEMS = 256
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def capped(text: str, limit: int = CAP_BYTES) -> str:
    """``text``, or its start and a marker saying how many characters were cut, in at most
    ``limit`` UTF-8 bytes. A cut string still says what it was, and that it is not whole."""
    if len(text) * 4 <= limit or len(text.encode("utf-8", "surrogatepass")) <= limit:
        return text
    marker = f"\u2026[cut: {len(text)} characters]"  # the longest marker this text can need
    room = limit - len(marker.encode("utf-8"))
    kept = text.encode("utf-8", "surrogatepass")[:room].decode("utf-8", "ignore")
    return f"{kept}\u2026[cut: {len(text) - len(kept)} characters]"


def capped_json(value: Any, limit: int = CAP_BYTES) -> Any:
    """``value`` (JSON-like: str, list, dict, numbers) with every string in it ``capped`` and
    e-mail addresses masked, and no list or mapping past CAP_ITEMS entries (the rest named by
    a marker): a phone cannot make its report too big to deliver, nor put an account in it."""
    if isinstance(value, str):
        return _EMAIL.sub("<e-mail>", capped(value, limit))
    if isinstance(value, list | tuple):
        kept = [capped_json(v, limit) for v in value[:CAP_ITEMS]]
        return kept + [f"…[cut: {len(value) - CAP_ITEMS} items]"] if len(value) > CAP_ITEMS else kept
    if isinstance(value, dict):
        items = list(value.items())
        out = {capped_json(k, limit) if isinstance(k, str) else k: capped_json(v, limit) for k, v in items[:CAP_ITEMS]}
        if len(items) > CAP_ITEMS:
            out["…"] = f"[cut: {len(items) - CAP_ITEMS} entries]"
        return out
    return value


def inert(text: str) -> str:
    """``text`` with every non-printable character as ``?``: for one-line error messages
    that quote untrusted data, where an escape sequence would only be noise."""
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def printable(value: Any) -> str:
    """``value`` as one line of text with control and format characters escaped."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(printable(v) for v in value) or "-"
    text = str(value).translate(_CONTROL)
    if text.isascii():
        return text
    return "".join(_escaped(ch) if unicodedata.category(ch) in _INVISIBLE else ch for ch in text)


def _escaped(char: str) -> str:
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
