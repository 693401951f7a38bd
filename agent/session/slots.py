"""Bench slots: which numbered place on the bench a phone sits in.

The station config maps USB port paths to slot numbers, so "slot 7" is always the same
socket on the hub. A port that is not mapped, or a phone with no USB path (a network or
simulated phone), gets the lowest free slot that no mapping reserves.
"""

from __future__ import annotations

from collections.abc import Mapping


class SlotMap:
    def __init__(self, mapping: Mapping[str, int] | None = None) -> None:
        self.mapping = dict(mapping or {})
        self.taken: dict[int, str] = {}

    def assign(self, phone_key: str, usb_path: str | None) -> int:
        """The slot for a phone; the same phone keeps its slot until released."""
        for slot, key in self.taken.items():
            if key == phone_key:
                return slot
        mapped = self.mapping.get(usb_path) if usb_path else None
        if mapped is None or mapped in self.taken:
            reserved = set(self.mapping.values())
            mapped = next(n for n in range(1, 10_000) if n not in self.taken and n not in reserved)
        slot = mapped
        self.taken[slot] = phone_key
        return slot

    def release(self, slot: int) -> None:
        self.taken.pop(slot, None)
