"""Storage figures from `df`, `dumpsys diskstats` and the flash chip's wear registers.

`df` comes in two shapes. toybox (Android 6+) and busybox print exact 1 KiB blocks
("Filesystem 1K-blocks Used Available Use% Mounted on"); the old toolbox `df`
(Android <= 5) prints the mount point first and sizes rounded to a K/M/G suffix
("Filesystem Size Used Free Blksize"). `dumpsys diskstats` prints the same statfs
figures for /data in KiB ("Data-Free: 41293828K / 110765700K total = 37% free").

Wear comes from JEDEC registers the kernel exposes: eMMC `life_time` ("0x01 0x02": the
type A and type B estimates) and UFS `life_time_estimation_a`, both in 10 % steps
(0x01 = 0-10 % of the rated life used ... 0x0A = 90-100 %, 0x0B = exceeded), and eMMC
`pre_eol_info` (0x01 normal, 0x02 warning: 80 % of reserved blocks used, 0x03 urgent).
None of these functions raises on any text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KIB = 1024
_SUFFIX = {"": 1, "K": KIB, "M": KIB**2, "G": KIB**3, "T": KIB**4}
_LEGACY_SIZE = re.compile(r"^(\d{1,12}(?:\.\d{1,3})?)([KMGT]?)$", re.ASCII)
_DISKSTATS_DATA = re.compile(r"^\s*Data-Free:\s*(\d{1,15})K\s*/\s*(\d{1,15})K total", re.MULTILINE | re.ASCII)
_HEX_CODE = re.compile(r"^(?:0x)?([0-9a-fA-F]{1,2})$")
#: marketing capacities in decimal GB, smallest first
TIERS_GB: tuple[int, ...] = (8, 16, 32, 64, 128, 256, 512, 1024, 2048)
PRE_EOL = {1: "normal", 2: "warning", 3: "urgent"}
LIFE_EXCEEDED = 0x0B


@dataclass(frozen=True)
class Usage:
    """One filesystem's size. ``exact`` is False when the figures were rounded by the
    phone (old toolbox `df` prints "56G")."""

    total_bytes: int
    free_bytes: int
    used_bytes: int
    exact: bool


def parse_df(text: str, mount: str = "/data") -> Usage | None:
    """The row of ``mount`` in either `df` format, or None when there is none."""
    lines = [ln.split() for ln in _clean(text).splitlines() if ln.strip()]
    if not lines:
        return None
    header = lines[0]
    if "1K-blocks" in header or "1k-blocks" in header:
        return _toybox_row(_join_wrapped(lines[1:]), mount)
    if header[:2] == ["Filesystem", "Size"]:
        return _legacy_row(lines[1:], mount)
    return None


def _join_wrapped(rows: list[list[str]]) -> list[list[str]]:
    """busybox puts a long device name alone on its line and the figures on the next."""
    out: list[list[str]] = []
    for row in rows:
        if out and len(out[-1]) == 1:
            out[-1] = out[-1] + row
        else:
            out.append(row)
    return out


def _toybox_row(rows: list[list[str]], mount: str) -> Usage | None:
    usable = [r for r in rows if len(r) >= 6 and all(x.isascii() and x.isdigit() for x in r[1:4])]
    row = next((r for r in usable if r[-1] == mount), usable[0] if len(usable) == 1 else None)
    if row is None or int(row[1]) == 0:
        return None
    total, used, free = (int(x) * KIB for x in row[1:4])
    return Usage(total, free, used, exact=True)


def _legacy_row(rows: list[list[str]], mount: str) -> Usage | None:
    row = next((r for r in rows if len(r) >= 4 and r[0] == mount), None)
    if row is None:
        return None
    total, used, free = (_legacy_bytes(x) for x in row[1:4])
    if total is None or used is None or free is None or total == 0:
        return None
    return Usage(total, free, used, exact=False)


def _legacy_bytes(value: str) -> int | None:
    match = _LEGACY_SIZE.match(value)
    if match is None:
        return None
    return int(float(match.group(1)) * _SUFFIX[match.group(2) or "K"])


def parse_diskstats(text: str) -> Usage | None:
    """/data from the "Data-Free:" line (exact KiB, the same statfs as `df`)."""
    match = _DISKSTATS_DATA.search(_clean(text))
    if match is None or int(match.group(2)) == 0:
        return None
    free, total = int(match.group(1)) * KIB, int(match.group(2)) * KIB
    if free > total:
        return None
    return Usage(total, free, total - free, exact=True)


def parse_life_codes(text: str) -> tuple[int, ...]:
    """The JEDEC codes in a wear register: "0x01 0x02" -> (1, 2); () when unreadable."""
    codes = []
    for token in _clean(text).split():
        match = _HEX_CODE.match(token)
        if match is None:
            return ()
        codes.append(int(match.group(1), 16))
    return tuple(codes)


def life_used_percent(codes: tuple[int, ...]) -> int | None:
    """The upper end of the worst 10 % band (0x03 -> 30); 100 once the rated life is
    exceeded (0x0B); None when no code is a defined estimate (0x00 = not defined)."""
    defined = [c for c in codes if 1 <= c <= LIFE_EXCEEDED]
    if not defined:
        return None
    return min(max(defined), 10) * 10


def parse_pre_eol(text: str) -> str | None:
    codes = parse_life_codes(text)
    return PRE_EOL.get(codes[0]) if len(codes) == 1 else None


def advertised_tier_gb(capacity_bytes: int | None) -> int | None:
    """The marketing capacity a phone of ``capacity_bytes`` is sold as: the smallest
    tier (decimal GB) that holds it. Flash is sold in decimal GB and the OS sees less
    than the chip holds (firmware, system partitions), so the usable /data size of a
    "128 GB" phone (~110 GB) still lands on 128: the rule only ever rounds up. It
    would misread only a phone whose system partitions take more than half the flash
    (a 16 GB phone with 7.9 GB of /data would read as 8), which no phone of the last
    decade does. None above the largest tier or for a non-positive capacity."""
    if capacity_bytes is None or capacity_bytes <= 0:
        return None
    return next((t for t in TIERS_GB if t * 1_000_000_000 >= capacity_bytes), None)


def _clean(text: str) -> str:
    return text.replace("\r", "") if isinstance(text, str) else ""
