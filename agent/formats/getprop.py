"""`getprop` output: ``[key]: [value]`` lines, into a mapping of property to value.

Real dumps are messier than the format suggests: values span lines
(``persist.sys.boot.reason.history``), files saved on Windows have CRLF endings, and a
dump redirected by PowerShell 5 is UTF-16LE with a byte-order mark. Everything here
takes whatever the phone (or a file) gave and never raises.
"""

from __future__ import annotations

import codecs
import re

#: the command whose listing this module reads (fixtures key its output by it)
GETPROP = "getprop"

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
#: the start of one property: ``[ro.product.model]: [`` (names are ASCII, no spaces)
_ENTRY = re.compile(r"\[([A-Za-z0-9_.:@\-]+)\]: \[(.*)\Z", re.DOTALL)


def decode_text(raw: bytes) -> str:
    """Text from bytes a phone or a file gave: by byte-order mark when there is one,
    as BOM-less UTF-16LE when every other byte is NUL, else UTF-8 with bad bytes
    replaced. Line endings are left alone."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            return raw[len(bom):].decode(encoding, errors="replace")
    if _looks_utf16le(raw):
        return raw.decode("utf-16-le", errors="replace")
    return raw.decode("utf-8", errors="replace")


def parse_getprop(output: str | bytes) -> dict[str, str]:
    """Every property in a `getprop` dump; the last one wins when a name repeats.

    A value that does not close on its line runs on to the line that ends with ``]``
    (joined with ``\\n``), unless a new ``[key]: [`` line starts first. Lines that are
    neither are skipped: a dump with a banner or a shell prompt still parses."""
    text = decode_text(output) if isinstance(output, bytes) else _clean(output)
    props: dict[str, str] = {}
    key: str | None = None
    parts: list[str] = []
    for line in text.split("\n"):
        line = line.rstrip("\r")
        entry = _ENTRY.match(line)
        if entry is not None:
            key, parts = entry.group(1), [entry.group(2)]
        elif key is not None:
            parts.append(line)
        else:
            continue
        if parts[-1].endswith("]"):
            parts[-1] = parts[-1][:-1]
            props[key] = "\n".join(parts)
            key, parts = None, []
    return props


def _clean(text: str) -> str:
    """Undo what a wrong decoding upstream leaves in a str: a BOM (or its replacement
    characters) in front, and the NULs of UTF-16LE read as if it were 8-bit text."""
    text = text.lstrip("\ufeff\ufffe\ufffd")
    if text.count("\x00") * 3 > len(text):
        text = text.replace("\x00", "")
    return text


def _looks_utf16le(raw: bytes) -> bool:
    sample = raw[:512]
    odd = sample[1::2]
    return len(sample) >= 4 and odd.count(0) == len(odd) and sample[0::2].count(0) == 0
