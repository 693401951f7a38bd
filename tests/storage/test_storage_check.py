"""The storage check end to end over replayed phones (inline fixtures)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import read_capture

from agent.check import CheckContext, CheckResult
from agent.errors import LinkDisconnected
from agent.fixtures.format import parse_fixture
from agent.links.replay import replay_link
from checks.commands import DF_DATA, DUMPSYS_DISKSTATS, LOCKDOWN_DISK, MMC_LIFE_TIME, MMC_PRE_EOL, UFS_LIFE_TIME
from checks.storage import StorageCheck

DATA = Path(__file__).parent / "data"
KIB = 1024


def load(name: str) -> str:
    return (DATA / name).read_text("utf-8").split("# ---\n", 1)[1]


@dataclass(frozen=True)
class FakeModel:
    marketing_name: str
    screen_px: tuple[int, int]
    storage_gb: tuple[int, ...]
    battery_design_mah: int | None = None


SIXTY_FOUR = FakeModel("Phone 64", (1080, 2400), (64,))
BIG_ONLY = FakeModel("Phone Pro", (1080, 2400), (128, 256))
IPAD_AIR = FakeModel("iPad Air", (1536, 2048), (16, 32, 64, 128))

DENIED = "cat: {}: Permission denied\n"


def reply(out: str | tuple[str, str, int]) -> dict[str, Any]:
    if isinstance(out, tuple):
        return {"stdout": out[0], "stderr": out[1], "exit_code": out[2]}
    return {"stdout": out}


def android(commands: dict[str, Any], faults: list[dict[str, str]] | None = None) -> Any:
    doc = {
        "format": "phonebench-fixture/1", "name": "test", "platform": "android", "source": "inline test",
        "android": {"serial": "TEST0001", "commands": {cmd: reply(out) for cmd, out in commands.items()}},
        "faults": faults or [],
    }
    return replay_link(parse_fixture(yaml.safe_dump(doc)))


def ios(lockdown: dict[str, dict[str, Any]]) -> Any:
    doc = {
        "format": "phonebench-fixture/1", "name": "test", "platform": "ios", "source": "inline test",
        "ios": {"udid": "00008030-TEST", "lockdown": {"": {"ProductType": "iPad4,1"}, **lockdown}},
    }
    return replay_link(parse_fixture(yaml.safe_dump(doc)))


def run(link: Any, model: Any = SIXTY_FOUR) -> CheckResult:
    ctx = CheckContext(link=link, platform=link.platform, model=model, timeout_s=5.0)
    out = asyncio.run(StorageCheck().run(ctx))
    return out if isinstance(out, CheckResult) else CheckResult("measured", out)


def denied(command: str) -> tuple[str, str, int]:
    return ("", DENIED.format(command.split()[-1]), 1)


TCL = {
    DF_DATA: load("android_df_toybox_tcl_tv_data_user0.txt"),
    DUMPSYS_DISKSTATS: load("android_dumpsys_diskstats_tcl_google_tv.txt"),
    MMC_LIFE_TIME: denied(MMC_LIFE_TIME),
    MMC_PRE_EOL: denied(MMC_PRE_EOL),
    UFS_LIFE_TIME: ("", f"cat: {UFS_LIFE_TIME.split()[-1]}: No such file or directory\n", 1),
}


def test_capacity_from_df_and_the_tier_it_implies() -> None:
    result = run(android(TCL))
    m = result.metrics
    assert result.outcome == "measured"
    assert (m["total_bytes"].value, m["free_bytes"].value) == (51170024 * KIB, 45111156 * KIB)
    assert m["total_bytes"].source == DF_DATA
    assert m["advertised_gb"].value == 64
    assert m["model_storage_tiers_gb"].value == [64]
    assert m["storage_matches_model"].value is True


def test_swapped_storage_outside_the_models_tiers_is_flagged() -> None:
    m = run(android(TCL), model=BIG_ONLY).metrics
    assert m["advertised_gb"].value == 64
    assert m["storage_matches_model"].value is False


def test_wear_hidden_from_the_shell_is_null_with_the_phones_words() -> None:
    m = run(android(TCL)).metrics
    assert m["life_used_percent"].value is None
    assert "Permission denied" in (m["life_used_percent"].reason or "")
    assert "No such file" in (m["life_used_percent"].reason or "")
    assert m["pre_eol"].value is None and "Permission denied" in (m["pre_eol"].reason or "")


def test_emmc_wear_and_pre_eol_when_readable() -> None:
    m = run(android(dict(TCL, **{MMC_LIFE_TIME: "0x02 0x03\n", MMC_PRE_EOL: "0x01\n"}))).metrics
    assert (m["life_used_percent"].value, m["life_used_percent"].source) == (30, MMC_LIFE_TIME)
    assert m["pre_eol"].value == "normal"


def test_ufs_wear_when_there_is_no_emmc() -> None:
    no_emmc = ("", "cat: life_time: No such file or directory\n", 1)
    commands = dict(TCL, **{MMC_LIFE_TIME: no_emmc, UFS_LIFE_TIME: "0x01\n"})
    m = run(android(commands)).metrics
    assert (m["life_used_percent"].value, m["life_used_percent"].source) == (10, UFS_LIFE_TIME)


def test_diskstats_stands_in_when_df_fails() -> None:
    commands = dict(TCL, **{DF_DATA: ("", "df: /data: Permission denied\n", 1)})
    m = run(android(commands)).metrics
    assert m["total_bytes"].source == DUMPSYS_DISKSTATS
    assert m["total_bytes"].value == 51170024 * KIB


def test_exact_diskstats_beats_the_rounded_old_toolbox_df() -> None:
    _, body = read_capture("android_df_legacy_toolbox_asus_tf201_a4.0.3_crlf.txt")
    commands = dict(TCL, **{DF_DATA: body.decode("utf-8")})
    m = run(android(commands)).metrics
    assert m["total_bytes"].source == DUMPSYS_DISKSTATS


def test_old_toolbox_df_alone_is_used_and_marked_rounded() -> None:
    _, body = read_capture("android_df_legacy_toolbox_asus_tf201_a4.0.3_crlf.txt")
    commands = dict(TCL, **{DF_DATA: body.decode("utf-8"), DUMPSYS_DISKSTATS: "Can't find service: diskstats\n"})
    m = run(android(commands)).metrics
    assert (m["total_bytes"].value, m["total_bytes"].source) == (56 * KIB**3, DF_DATA)
    assert "rounded" in (m["total_bytes"].method or "")
    assert m["advertised_gb"].value == 64


def test_garbage_everywhere_is_an_error_with_reasons() -> None:
    result = run(android(TCL, faults=[{"kind": "garbage", "at": "*"}]))
    assert result.outcome == "error"
    for name in ("total_bytes", "free_bytes", "used_bytes", "advertised_gb", "storage_matches_model"):
        assert result.metrics[name].value is None
        assert result.metrics[name].to_json()["reason"]
    assert result.metrics["life_used_percent"].value is None


def test_the_phones_words_reach_the_report_without_control_characters() -> None:
    hostile = ("", "\x1b[31mcat: life_time: Permission denied\x1b[0m\x07\n", 1)
    m = run(android(dict(TCL, **{MMC_LIFE_TIME: hostile}))).metrics
    reason = m["life_used_percent"].reason or ""
    assert "Permission denied" in reason
    assert not any(ord(ch) < 32 or ord(ch) == 127 for ch in reason)


def test_unknown_model_leaves_the_tier_comparison_open() -> None:
    m = run(android(TCL), model=None).metrics
    assert m["model_storage_tiers_gb"].reason == "model not in catalog"
    assert m["storage_matches_model"].value is None
    assert m["advertised_gb"].value == 64


def test_a_phone_that_goes_away_ends_the_check() -> None:
    with pytest.raises(LinkDisconnected):
        run(android(TCL, faults=[{"kind": "disconnect", "at": DUMPSYS_DISKSTATS}]))


IPAD_DISK = json.loads(load("ios_lockdown_disk_usage_ipad4_1_ios7.json"))


def test_iphone_capacity_from_lockdown_disk_usage() -> None:
    result = run(ios({LOCKDOWN_DISK: IPAD_DISK}), model=IPAD_AIR)
    m = result.metrics
    assert result.outcome == "measured"
    assert (m["total_bytes"].value, m["free_bytes"].value) == (29481025536, 4294914048)
    assert m["free_bytes"].source == "lockdown:com.apple.disk_usage/AmountDataAvailable"
    assert m["used_bytes"].value == 29481025536 - 4294914048
    assert m["advertised_gb"].value == 32
    assert m["advertised_gb"].source == "lockdown:com.apple.disk_usage/TotalDiskCapacity"
    assert m["storage_matches_model"].value is True
    assert m["life_used_percent"].value is None and m["life_used_percent"].reason


def test_iphone_without_the_disk_usage_domain_is_an_error() -> None:
    result = run(ios({}), model=IPAD_AIR)
    assert result.outcome == "error"
    assert "com.apple.disk_usage" in (result.metrics["total_bytes"].reason or "")
