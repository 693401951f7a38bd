"""The text `service call` prints for a binder reply, read back as the string it carries.

`service call iphonesubinfo 1 ...` prints the reply parcel as a hex dump::

    Result: Parcel(
      0x00000000: 00000000 0000000f 00350033 00380031 '........3.5.1.8.'
      0x00000010: 00310038 00360030 00300032 00300036 '8.1.0.6.2.0.6.0.'
      0x00000020: 00320034 00000039                   '4.2.9...        ')

Each word is 32 bits, printed as a number, of a little-endian parcel: the first is the
exception code (0 when the call succeeded), then a String16: its length in UTF-16 code
units (-1 for null) and the units, two per word, low half first. When the call failed
(Android 10+ refuses device identifiers to the shell) the exception code is negative and
the String16 that follows is the exception's message, which is worth keeping as the
reason. The ASCII column on the right is only a preview and is never read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: the Binder call for the phone's IMEI (slot 1) whose parcel reply this module reads
IMEI = "service call iphonesubinfo 1 s16 com.android.shell"

#: what starts a reply, and what a dump line holds: its offset, then 32-bit hex words
PARCEL_START = "Result: Parcel("
PARCEL_OFFSET = re.compile(r"^\s*0x[0-9a-fA-F]+:")
PARCEL_WORD = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{8}(?![0-9a-fA-F])")
#: reply headers (StrictMode, noted app-ops) that precede the real exception code
_HEADER_CODES = (-127, -128)
_NULL_LENGTH = -1


@dataclass(frozen=True)
class StringReply:
    """A binder call that answers a string: ``value`` when it did, else ``error`` says
    why not (the exception message when the phone sent one)."""

    value: str | None
    error: str | None = None


def parse_string_reply(output: str) -> StringReply:
    """The string in a `service call` reply, or why there is none. Never raises."""
    words = parcel_words(output)
    if words is None:
        first = output.strip().splitlines()[0][:120] if output.strip() else "nothing"
        return StringReply(None, f"no parcel in the reply ({first!r})")
    if not words:
        return StringReply(None, "the reply parcel is empty")
    code = _signed(words[0])
    if code in _HEADER_CODES:
        return StringReply(None, f"the reply starts with a header this reader does not skip ({code})")
    text, problem = _string16(words[1:])
    if code != 0:
        message = text if text else "no message"
        return StringReply(None, f"the phone answered with exception {code}: {message}")
    if problem is not None:
        return StringReply(None, problem)
    return StringReply(text)


def parcel_words(output: str) -> list[int] | None:
    """The 32-bit words of the first parcel in ``output``; None when there is none."""
    start = output.find(PARCEL_START)
    if start < 0:
        return None
    words: list[int] = []
    for line in output[start + len(PARCEL_START):].split("\n"):
        hex_part = PARCEL_OFFSET.sub("", line).split("'", 1)[0]
        words.extend(int(w, 16) for w in PARCEL_WORD.findall(hex_part))
        if line.rstrip().endswith(")"):
            break
    return words


def _string16(words: list[int]) -> tuple[str | None, str | None]:
    """A String16 at the start of ``words``: (text, None) or (None, why not)."""
    if not words:
        return None, "the reply has no string in it"
    length = _signed(words[0])
    if length == _NULL_LENGTH:
        return None, "the phone answered a null string"
    units = [half for word in words[1:] for half in (word & 0xFFFF, word >> 16)]
    if length < 0 or length > len(units):
        return None, f"the string's length ({length}) does not fit the reply ({len(units)} units)"
    data = b"".join(unit.to_bytes(2, "little") for unit in units[:length])
    return data.decode("utf-16-le", errors="replace"), None


def _signed(word: int) -> int:
    return word - (1 << 32) if word & 0x80000000 else word
