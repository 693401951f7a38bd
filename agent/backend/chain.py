"""Judging one link of a station's chain against the reports already received.

A report arriving out of order (a gap that is filled later) is normal for a station
that was offline: the gap is flagged when it is seen and cleared when the missing
report arrives, if it links up. A sequence the receiver refused (its reason recorded) is
not a gap: the report after it is judged against the refused one and marked ``explained``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Status = Literal["ok", "gap", "break", "fork", "explained"]


@dataclass(frozen=True)
class Link:
    sequence: int
    previous_digest: str | None
    digest: str  # "sha256:" + hex of this report's payload
    rejected: str | None = None  # the reason, when the receiver refused this report


@dataclass(frozen=True)
class Judgement:
    status: Status
    detail: str | None = None


def judge(new: Link, before: Link | None, same_sequence: Link | None) -> Judgement:
    """``new`` given the stored report one sequence before it and any stored with its own sequence."""
    if same_sequence is not None:
        return Judgement("fork", f"sequence {new.sequence} was already received as another report")
    if new.sequence == 1:
        if new.previous_digest is None:
            return Judgement("ok")
        return Judgement("break", "sequence 1 names a previous report")
    if before is None:
        return Judgement("gap", f"sequence {new.sequence - 1} has not been received")
    if new.previous_digest != before.digest:
        return Judgement("break", f"previous_digest is not the digest of sequence {before.sequence}")
    if before.rejected is not None:
        return Judgement("explained", f"sequence {before.sequence} was rejected: {before.rejected}")
    return Judgement("ok")
