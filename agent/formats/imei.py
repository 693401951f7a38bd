"""IMEIs: fifteen digits whose last is a Luhn check digit over the other fourteen.

A phone that cannot tell its IMEI often says something that looks like one anyway
(fourteen-digit MEIDs, all zeros, a permission message). Only a number that passes the
check goes into a report; anything else is dropped and the reason kept.
"""

from __future__ import annotations

import re

_IMEI = re.compile(r"[0-9]{15}")
#: getprop keys dual-SIM ROMs publish IMEIs under (ro.ril.miui.imei0, ro.ril.oem.imei, ...)
IMEI_PROP = re.compile(r"(?:^|\.)imei[0-9]?\Z")


def luhn_digit(body: str) -> str:
    """The check digit that makes ``body`` + digit Luhn-valid (``body``: ASCII digits)."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def luhn_ok(digits: str) -> bool:
    """True when ``digits`` (ASCII digits only, at least two) pass the Luhn check."""
    if len(digits) < 2 or not digits.isascii() or not digits.isdigit():
        return False
    return luhn_digit(digits[:-1]) == digits[-1]


def imei_problem(candidate: str) -> str | None:
    """None when ``candidate`` is a valid IMEI, else why it is not one."""
    if not _IMEI.fullmatch(candidate):
        digits = sum(ch in "0123456789" for ch in candidate)
        return f"not fifteen digits ({len(candidate)} characters, {digits} of them ASCII digits)"
    if set(candidate) == {"0"}:
        return "all zeros (a placeholder, not an IMEI)"
    if not luhn_ok(candidate):
        need = luhn_digit(candidate[:-1])
        return f"fails the Luhn check (check digit {candidate[-1]}, the other fourteen need {need})"
    return None


def is_imei(candidate: str) -> bool:
    return imei_problem(candidate) is None
