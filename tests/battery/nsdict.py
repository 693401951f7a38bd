"""Apple's old NSDictionary description text, ``{ Key = value; ... }``, as Python values (test support:
the published iOS 9 IOKit capture is in this format; the agent itself reads plists).

Published IOKit/ioreg dumps (and old `NSLog` output) use this format. It is read
leniently because the dumps people publish are hand-edited: values redacted, blobs cut
to ``<...`` without their closing ``>``, a ``;`` missing before ``}``. Whatever parses
is kept; the parser stops at what it cannot read, and never raises.

Values: ``{...}`` -> dict, ``(...)`` -> list, ``"..."`` -> str, ``<hex>`` -> bytes
(other ``<...>`` text stays a str), bare whole numbers -> int, other bare words -> str.
"""

from __future__ import annotations

import re
from typing import Any

MAX_DEPTH = 64
_BARE = re.compile(r"[^\s;=,(){}<>\"]+")
_NUMBER = re.compile(r"^-?\d+$")
_HEX = re.compile(r"^[0-9a-fA-F\s]*$")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def parse_nsdict(text: str) -> dict[str, Any] | None:
    """The top-level dictionary in ``text``, or None when there is none."""
    start = text.find("{")
    if start < 0:
        return None
    parser = _Parser(text, start)
    result = parser.value(0)
    return result if isinstance(result, dict) else None


class _Parser:
    def __init__(self, text: str, pos: int) -> None:
        self.text = text
        self.pos = pos

    def peek(self) -> str:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def value(self, depth: int) -> Any:
        """One value at the cursor; None (consuming nothing) when there is none."""
        if depth > MAX_DEPTH:
            return None
        char = self.peek()
        if char == "{":
            return self.dictionary(depth)
        if char == "(":
            return self.array(depth)
        if char == '"':
            return self.quoted()
        if char == "<":
            return self.data()
        match = _BARE.match(self.text, self.pos)
        if match is None:
            return None
        self.pos = match.end()
        word = match.group()
        return int(word) if _NUMBER.match(word) else word

    def dictionary(self, depth: int) -> dict[str, Any]:
        self.pos += 1
        out: dict[str, Any] = {}
        while True:
            char = self.peek()
            if char in ("}", ""):
                self.pos += 1 if char else 0
                return out
            key = self.key()
            if key is None or self.peek() != "=":
                return out
            self.pos += 1
            out[key] = self.value(depth + 1)
            if self.peek() == ";":
                self.pos += 1

    def key(self) -> str | None:
        """A key is a quoted string or a bare word, never a container."""
        if self.peek() == '"':
            return self.quoted()
        match = _BARE.match(self.text, self.pos)
        if match is None:
            return None
        self.pos = match.end()
        return match.group()

    def array(self, depth: int) -> list[Any]:
        self.pos += 1
        out: list[Any] = []
        while True:
            char = self.peek()
            if char in (")", ""):
                self.pos += 1 if char else 0
                return out
            before = self.pos
            out.append(self.value(depth + 1))
            if self.peek() == ",":
                self.pos += 1
            elif self.pos == before:
                return out

    def quoted(self) -> str:
        self.pos += 1
        chars: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            self.pos += 1
            if char == '"':
                break
            if char == "\\" and self.pos < len(self.text):
                char = _ESCAPES.get(self.text[self.pos], self.text[self.pos])
                self.pos += 1
            chars.append(char)
        return "".join(chars)

    def data(self) -> bytes | str:
        """``<hex>``; a blob cut short (``<...``) ends at the next ``;``, ``}`` or line end."""
        end = self.pos + 1
        while end < len(self.text) and self.text[end] not in ">;}\n":
            end += 1
        body = self.text[self.pos + 1:end]
        self.pos = end + 1 if end < len(self.text) and self.text[end] == ">" else end
        compact = "".join(body.split())
        if _HEX.match(body) and len(compact) % 2 == 0:
            return bytes.fromhex(compact)
        return f"<{body}>"
