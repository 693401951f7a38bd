"""The storage parsers against the legacy df capture and real diskstats outputs."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import read_capture
from hypothesis import given
from hypothesis import strategies as st

from checks.parsers.storage import (
    Usage,
    advertised_tier_gb,
    life_used_percent,
    parse_df,
    parse_diskstats,
    parse_life_codes,
    parse_pre_eol,
)

DATA = Path(__file__).parent / "data"
KIB = 1024


def load(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8").split("# ---\n", 1)[1]


def human(size: str) -> int:
    """A toolbox size ("56G") in bytes, for comparing with the capture's expect line."""
    return int(size[:-1]) * KIB ** "KMG".index(size[-1]) * KIB


def test_legacy_toolbox_df_capture_matches_its_expect_line() -> None:
    expect, body = read_capture("android_df_legacy_toolbox_asus_tf201_a4.0.3_crlf.txt")
    text = body.decode("utf-8")
    data = parse_df(text, expect["data_mount"])
    sizes = (human(expect[k]) for k in ("data_size", "data_free", "data_used"))
    assert data == Usage(*sizes, exact=False)
    system = parse_df(text, "/system")
    assert system is not None
    assert (system.total_bytes, system.used_bytes, system.free_bytes) == tuple(
        human(expect[k]) for k in ("system_size", "system_used", "system_free")
    )
    assert parse_df(text, expect["sdcard_mount"]) is not None


def test_toybox_df_single_row_on_another_mount_is_used() -> None:
    usage = parse_df(load("android_df_toybox_tcl_tv_data_user0.txt"))
    assert usage == Usage(51170024 * KIB, 45111156 * KIB, 5911412 * KIB, exact=True)


def test_toybox_df_picks_the_data_row_among_several() -> None:
    text = ("Filesystem     1K-blocks    Used Available Use% Mounted on\n"
            "/dev/root       3999236 3980000     19236 100% /\n"
            "/dev/block/dm-5 115046320 60311460 54603724  53% /data\n")
    usage = parse_df(text)
    assert usage is not None and usage.total_bytes == 115046320 * KIB


def test_busybox_df_with_a_wrapped_device_name() -> None:
    text = ("Filesystem           1K-blocks      Used Available Use% Mounted on\n"
            "/dev/block/platform/msm_sdcc.1/by-name/userdata\n"
            "                       12603552   4201232   8402320  33% /data\n")
    usage = parse_df(text)
    assert usage is not None and usage.free_bytes == 8402320 * KIB


@pytest.mark.parametrize("text", ["", "df: /data: Permission denied\n", "/system/bin/sh: df: not found\n"])
def test_df_without_a_table_is_none(text: str) -> None:
    assert parse_df(text) is None


@pytest.mark.parametrize(
    ("name", "free_kib", "total_kib"),
    [
        ("android_dumpsys_diskstats_tcl_google_tv.txt", 45111156, 51170024),
        ("android_dumpsys_diskstats_meta_quest.txt", 6264024, 55247244),
        ("android_dumpsys_diskstats_no_category_sizes.txt", 5108980, 6082144),
    ],
)
def test_diskstats_data_line(name: str, free_kib: int, total_kib: int) -> None:
    usage = parse_diskstats(load(name))
    assert usage == Usage(total_kib * KIB, free_kib * KIB, (total_kib - free_kib) * KIB, exact=True)


def test_diskstats_with_free_above_total_is_rejected() -> None:
    assert parse_diskstats("Data-Free: 20K / 10K total = 200% free\n") is None


@pytest.mark.parametrize(
    ("text", "percent"),
    [("0x01 0x02\n", 20), ("0x0A 0x01\n", 100), ("0x0B 0x01\n", 100), ("0x03\n", 30), ("0x00 0x00\n", None),
     ("cat: /sys/block/mmcblk0/device/life_time: Permission denied\n", None)],
)
def test_life_used_percent_is_the_upper_end_of_the_worse_band(text: str, percent: int | None) -> None:
    assert life_used_percent(parse_life_codes(text)) == percent


@pytest.mark.parametrize(("text", "state"), [("0x01\n", "normal"), ("0x02\n", "warning"), ("0x03", "urgent"),
                                            ("0x04\n", None), ("0x01 0x02\n", None), ("", None)])
def test_pre_eol_states(text: str, state: str | None) -> None:
    assert parse_pre_eol(text) == state


@pytest.mark.parametrize(
    ("capacity", "tier"),
    [
        (51170024 * KIB, 64),  # TCL: 52.4 GB of /data on 64 GB of flash
        (6082144 * KIB, 8),
        (31708938240, 32),  # iPad Air TotalDiskCapacity
        (128_000_000_000, 128),
        (128_000_000_001, 256),
        (2_048_000_000_001, None),
        (0, None),
        (None, None),
    ],
)
def test_advertised_tier_is_the_smallest_tier_that_holds_the_capacity(capacity: int | None, tier: int | None) -> None:
    assert advertised_tier_gb(capacity) == tier


_FRAGMENTS = st.sampled_from(
    ["Filesystem", " Size", " 1K-blocks", " Used", "/data", "Data-Free: ", "K / ", "K total", "0x", "0B", " ", "\n",
     "\r", "56G", "1.5M", "99999999999999999999", "-1", "\u00b2", "\u0661\u0662", "Mounted on"]
)


@given(st.one_of(st.text(), st.lists(_FRAGMENTS).map("".join)))
def test_storage_parsers_never_raise(text: str) -> None:
    for usage in (parse_df(text), parse_df(text, "/system"), parse_diskstats(text)):
        assert usage is None or usage.total_bytes > 0
    life_used_percent(parse_life_codes(text))
    parse_pre_eol(text)
