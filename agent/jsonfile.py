"""JSON that someone else wrote (an envelope handed to ``phonebench verify``, a payload
inside it), read within bounds.

``json.loads`` recurses once per level, so 100,000 ``[`` end in RecursionError; it builds
a 5,000-digit integer with ``int()``, which is slow and refused past 4,300 digits; and it
accepts ``NaN`` and ``Infinity``, which canonical JSON cannot hold. Each of these is a
``ValueError`` here, like any other text that is not JSON, so callers keep one ``except``.
Same limits as the YAML reader (agent/yamlfile.py).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, NoReturn

from agent.errors import DataRefused
from agent.yamlfile import MAX_DEPTH, MAX_DIGITS

#: a whole string (skipped: brackets inside it do not nest), a bracket, or a quote that
#: opens a string never closed (the text is not JSON; json.loads will say where)
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]|"', re.DOTALL)


def load_json(data: bytes | bytearray | str) -> Any:
    """``json.loads`` with nesting, whole numbers and non-finite numbers bounded."""
    text = data.decode(json.detect_encoding(data), "surrogatepass") if isinstance(data, (bytes, bytearray)) else data
    _check_depth(text)
    return json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant)


def _check_depth(text: str) -> None:
    """Refuse nesting past MAX_DEPTH before json.loads recurses into it."""
    depth = 0
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > MAX_DEPTH:
                raise DataRefused(f"nested more than {MAX_DEPTH} levels deep")
        elif token in ("]", "}"):
            depth -= 1
        elif token == '"':
            return


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise DataRefused(f"a whole number of more than {MAX_DIGITS} digits")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        _constant(text)
    return value


def _constant(text: str) -> NoReturn:
    raise DataRefused(f"{text[:40]} is not a finite number")
