"""The locks check over the replay link: every bundled phone answers every lock read, the problem
phones show their lock, what cannot be read is unknown with a reason, and no account name or
organisation ever reaches a report."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

import checks.commands as C
from agent.check import CheckContext, CheckResult, Metric
from agent.fixtures.format import Fixture, load_fixture, parse_fixture
from agent.links.replay import replay_link
from checks.locks import LOCK_KINDS, LocksCheck

ROOT = Path(__file__).resolve().parents[2] / "fixtures"
READY = sorted(p for p in [*ROOT.glob("android/*.yaml"), *ROOT.glob("ios/*.yaml")]
               if p.stem not in ("garbage", "disconnect-mid-battery"))


def run(fixture: Fixture) -> CheckResult:
    link = replay_link(fixture)
    out = asyncio.run(LocksCheck().run(CheckContext(link, link.platform)))
    return out if isinstance(out, CheckResult) else CheckResult("measured", dict(out))


def values(result: CheckResult) -> dict[str, Any]:
    return {name: m.value for name, m in result.metrics.items()}


def with_command(fixture: Fixture, command: str, **reply: Any) -> Fixture:
    assert fixture.android is not None
    old = fixture.android.commands[command]
    commands = {**fixture.android.commands, command: dataclasses.replace(old, **reply)}
    return dataclasses.replace(fixture, android=dataclasses.replace(fixture.android, commands=commands))


@pytest.mark.parametrize("path", READY, ids=[f"{p.parent.name}/{p.name}" for p in READY])
def test_every_bundled_phone_gives_every_figure_known_or_unknown_with_a_reason(path: Path) -> None:
    fixture = load_fixture(path)
    result = run(fixture)
    assert result.outcome == "measured"
    for name, metric in result.metrics.items():
        assert isinstance(metric, Metric) and metric.source, name
        assert metric.value is not None or metric.reason, name
    expected = {k.split(".", 1)[1]: v for k, v in fixture.expect["metrics"].items() if k.startswith("locks.")}
    assert expected and {k: values(result)[k] for k in expected} == expected


@pytest.mark.parametrize(("name", "locks"), [
    ("android/google-account-frp.yaml", ["google_account", "vendor_account"]),
    ("android/mdm-device-owner.yaml", ["device_owner"]),
    ("ios/find-my-on.yaml", ["find_my"]),
    ("ios/supervised-mdm.yaml", ["remote_management", "supervised", "configuration_profile"]),
])
def test_the_lock_holding_phones_show_their_lock(name: str, locks: list[str]) -> None:
    got = values(run(load_fixture(ROOT / name)))
    assert got["locks_found"] == locks and got["locks_unread"] == []


def test_the_rooted_phones_boot_figures_say_they_are_not_to_be_trusted() -> None:
    result = run(load_fixture(ROOT / "android/rooted.yaml"))
    assert result.metrics["root_detected"].value is True
    assert "/system/bin/su" in (result.metrics["root_detected"].method or "")
    assert result.metrics["bootloader_locked"].value is True  # what the (spoofed) property says
    for name in ("bootloader_locked", "verified_boot_state", "vbmeta_device_state"):
        assert "not to be trusted" in (result.metrics[name].method or ""), name
    assert result.metrics["boot_state_trusted"].value is False


def test_no_root_seen_still_lists_what_was_looked_at_and_what_cannot_be_seen() -> None:
    method = run(load_fixture(ROOT / "android/pixel-7.yaml")).metrics["root_detected"].method or ""
    assert all(path in method for path in C.SU_PATHS)
    assert "magisk" in method and "cannot be seen" in method


def test_account_names_and_the_organisation_never_reach_the_metrics() -> None:
    android = json.dumps({k: m.to_json() for k, m in run(load_fixture(ROOT / "android/google-account-frp.yaml")).metrics.items()})
    assert "@" not in android and "user1" not in android and "Meet" not in android
    ios = json.dumps({k: m.to_json() for k, m in run(load_fixture(ROOT / "ios/supervised-mdm.yaml")).metrics.items()})
    assert "Example Logistics" not in ios and "0F6C21A4" not in ios and "mdm.example.com" not in ios


def test_frp_mode_1_is_an_active_frp() -> None:
    fixture = with_command(load_fixture(ROOT / "android/pixel-7.yaml"), C.SETTINGS_FRP_MODE, stdout="1\n")
    got = values(run(fixture))
    assert got["frp_active"] is True and got["locks_found"] == ["frp"]


def test_frp_unknown_when_neither_setting_tells() -> None:
    fixture = with_command(load_fixture(ROOT / "android/lg-v60.yaml"), C.SETTINGS_SETUP_COMPLETE, stdout="0\n")
    result = run(fixture)
    assert result.metrics["frp_active"].value is None
    assert "secure_frp_mode" in (result.metrics["frp_active"].reason or "")
    assert values(result)["locks_unread"] == ["frp"]


def test_old_android_reads_the_owners_from_dumpsys_device_policy() -> None:
    fixture = load_fixture(ROOT / "android/moto-g7.yaml")
    policy = ("Current Device Policy Manager state:\n  Device Owner: \n"
              "    admin=ComponentInfo{com.example.mdm/com.example.mdm.AdminReceiver}\n    name=\n"
              "    package=com.example.mdm\n    User ID: 0\n")
    result = run(with_command(fixture, C.DUMPSYS_DEVICE_POLICY, stdout=policy))
    assert result.metrics["device_owner"].value == ["com.example.mdm"]
    assert result.metrics["device_owner"].source == C.DUMPSYS_DEVICE_POLICY
    assert values(result)["locks_found"] == ["device_owner"]


def test_a_failing_accounts_dump_makes_the_account_locks_unread() -> None:
    fixture = with_command(load_fixture(ROOT / "android/pixel-7.yaml"), C.DUMPSYS_ACCOUNT, stdout="",
                           stderr="Permission Denial: can't dump AccountsManager\n", exit_code=0)
    result = run(fixture)
    assert result.metrics["google_accounts"].value is None
    assert "Permission Denial" in (result.metrics["google_accounts"].reason or "")
    assert values(result)["locks_unread"] == ["google_account", "vendor_account"]


def test_garbage_everywhere_is_an_error_not_a_pass() -> None:
    result = run(load_fixture(ROOT / "android/garbage.yaml"))
    assert result.outcome == "error" and result.detail == "no lock state could be read"
    assert result.metrics["locks_found"].value == []


def _iphone(extra_default: str = "", fmip: str = "false", services: str = "") -> Fixture:
    return parse_fixture(f"""
format: phonebench-fixture/1
name: inline iPhone
platform: ios
source: inline test fixture
ios:
  udid: "00008030-001A2B3C4D5E6F01"
  lockdown:
    "":
      ProductType: "iPhone12,1"
{extra_default}
    com.apple.fmip:
      IsAssociated: {fmip}
    com.apple.mobile.chaperone:
      DeviceIsChaperoned: false
{services}
""")


CLEAN_SERVICES = """  services:
    com.apple.mobile.MCInstall:
      GetCloudConfiguration: {Status: Acknowledged, CloudConfiguration: {ConfigurationSource: 0}}
      GetProfileList: {Status: Acknowledged, OrderedIdentifiers: []}
"""


def test_find_my_before_activation_is_unread_whatever_it_says() -> None:
    result = run(_iphone('      ActivationState: "Unactivated"', services=CLEAN_SERVICES))
    assert result.metrics["find_my_enabled"].value is False
    assert "Setup Assistant" in (result.metrics["find_my_enabled"].method or "")
    assert values(result)["locks_unread"] == ["find_my"]
    assert "Unactivated" in (result.metrics["locks_unread"].method or "")


def test_a_fixture_without_the_mobile_config_service_leaves_mdm_unread() -> None:
    result = run(_iphone('      ActivationState: "Activated"'))
    assert result.metrics["mdm_cloud_configuration"].value is None
    assert "fixture lacks `service:com.apple.mobile.MCInstall/GetCloudConfiguration`" in (
        result.metrics["mdm_cloud_configuration"].reason or "")
    assert values(result)["locks_unread"] == ["remote_management", "configuration_profile"]


def test_a_refused_request_is_unknown_with_the_reason() -> None:
    refused = CLEAN_SERVICES.replace("GetProfileList: {Status: Acknowledged", "GetProfileList: {Status: Error")
    result = run(_iphone('      ActivationState: "Activated"', services=refused))
    assert result.metrics["configuration_profiles_count"].value is None
    assert "refused" in (result.metrics["configuration_profiles_count"].reason or "")


def test_every_kind_named_is_a_known_kind() -> None:
    async def run_all() -> list[CheckResult | Any]:  # every phone at once: each waits out its recorded delays
        links = [replay_link(load_fixture(path)) for path in READY]
        return list(await asyncio.gather(*(LocksCheck().run(CheckContext(link, link.platform)) for link in links)))

    for path, out in zip(READY, asyncio.run(run_all()), strict=True):
        got = values(out if isinstance(out, CheckResult) else CheckResult("measured", dict(out)))
        assert set(got["locks_found"]) | set(got["locks_unread"]) <= set(LOCK_KINDS), path.name
