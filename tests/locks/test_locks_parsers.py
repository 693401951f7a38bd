"""The locks parsers on real-shaped outputs: account counts without names, device and profile
owners from both `dpm list-owners` layouts and `dumpsys device_policy`, su paths and root apps,
the mobile-config replies.

Data: ``dumpsys_account_samsung_a14_30_accounts_masked.txt`` keeps the structure and the account
types of a public Samsung Android 14 `dumpsys account` (30 accounts, history, an active session,
the authenticator cache, the visibility table, a Secure Folder user) with every name replaced by a
placeholder; the owner lines follow AOSP DevicePolicyManagerServiceShellCommand.runListOwners and
Owners.dump; the su lines are toybox `ls` and Magisk's ``su -> ./magisk`` symlink.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.formats.accounts import (
    GOOGLE,
    ODD_TYPE,
    account_names,
    parse_dumpsys_account,
)
from checks.commands import SU_PATHS
from checks.parsers.mdm import read_cloud_configuration, read_profile_list
from checks.parsers.owners import (
    list_owners_unsupported,
    parse_device_policy,
    parse_list_owners,
)
from checks.parsers.root import parse_ls, parse_packages

DATA = Path(__file__).parent / "data"
SAMSUNG = (DATA / "dumpsys_account_samsung_a14_30_accounts_masked.txt").read_text()
MISSING = "".join(f"ls: {p}: No such file or directory\n" for p in SU_PATHS)


def test_accounts_are_counted_per_type_from_the_accounts_block_only() -> None:
    counts = parse_dumpsys_account(SAMSUNG)
    assert counts is not None
    assert counts.count(GOOGLE) == 6
    assert counts.by_type["com.google.android.apps.tachyon"] == 2
    assert counts.by_type["com.facebook.auth.login"] == 2
    assert sum(counts.by_type.values()) == 30  # the session and visibility lines are not accounts
    assert counts.users == 2 and not counts.short
    assert counts.vendor_locks == {}


def test_no_account_name_survives_parsing() -> None:
    counts = parse_dumpsys_account(SAMSUNG)
    assert counts is not None
    text = repr(counts)
    assert "@" not in text and "Placeholder" not in text and "Duo" not in text


def test_a_name_holding_type_text_cannot_pass_for_another_type() -> None:
    counts = parse_dumpsys_account("User UserInfo{0:Owner:c13}:\n  Accounts: 1\n"
                                   "    Account {name=x, type=com.google, type=com.example.chat}\n")
    assert counts is not None and counts.by_type == {"com.example.chat": 1}


def test_an_odd_type_is_counted_as_unreadable_not_copied() -> None:
    counts = parse_dumpsys_account("  Accounts: 1\n    Account {name=a, type=<b>evil</b>}\n")
    assert counts is not None and counts.by_type == {ODD_TYPE: 1}


def test_a_dump_cut_short_says_so() -> None:
    counts = parse_dumpsys_account("User UserInfo{0:Owner:c13}:\n  Accounts: 2\n"
                                   "    Account {name=a@example.com, type=com.google}\n")
    assert counts is not None and counts.short and counts.count(GOOGLE) == 1


@pytest.mark.parametrize("text", ["", "Can't find service: account\n", "garbage\x1b[]"])
def test_anything_without_an_accounts_line_is_no_reading(text: str) -> None:
    assert parse_dumpsys_account(text) is None


def test_vendor_lock_accounts_are_the_samsung_xiaomi_huawei_ones() -> None:
    dump = ("User UserInfo{0:Owner:4c13}:\n  Accounts: 4\n"
            "    Account {name=a@example.com, type=com.osp.app.signin}\n"
            "    Account {name=a@example.com, type=com.samsung.android.mobileservice}\n"
            "    Account {name=2807***558, type=com.xiaomi}\n"
            "    Account {name=+15551234567, type=com.whatsapp}\n")
    counts = parse_dumpsys_account(dump)
    assert counts is not None and counts.vendor_locks == {"com.osp.app.signin": 1, "com.xiaomi": 1}


def test_account_names_lists_every_name_for_a_redactor() -> None:
    names = account_names(SAMSUNG)
    assert "user1@example.com" in names and "Name 9, Placeholder" in names and "Duo" in names
    assert "user23@example.com" in names  # the session line and the visibility table are covered too
    assert not [n for n in names if n.startswith("com.")]


@pytest.mark.parametrize(("text", "device", "profiles"), [
    ("no owners\n", None, ()),                                            # Android 12 on
    ("none\n", None, ()),                                                 # Android 11
    ("1 owner:\nUser  0: admin=com.google.android.apps.work.clouddpc/.receivers.CloudDeviceAdminReceiver,DeviceOwner\n",
     "com.google.android.apps.work.clouddpc", ()),
    (("2 owners:\nUser  0: admin=com.example.mdm/.Admin,DeviceOwner,Affiliated\n"
      "User 10: admin=com.example.work/.Admin,ProfileOwner,ManagedProfileOwner(parentUserId=0)\n"),
     "com.example.mdm", ("com.example.work",)),
])
def test_list_owners_names_the_admin_packages(text: str, device: str | None, profiles: tuple[str, ...]) -> None:
    owners = parse_list_owners(text)
    assert owners is not None and owners.device_owner == device and owners.profile_owners == profiles


@pytest.mark.parametrize("text", ["", "2 owners:\nUser  0: admin=com.a.b/.R,DeviceOwner\n",
                                  "1 owner:\nUser  0: admin=not a package/.R,DeviceOwner\n", "\x1b[0m garbage"])
def test_list_owners_output_that_is_not_the_listing_is_no_reading(text: str) -> None:
    assert parse_list_owners(text) is None


def test_old_dpm_without_list_owners_is_recognised() -> None:
    assert list_owners_unsupported("", "usage: dpm [subcommand] [options]\n\nError: unknown command 'list-owners'\n")
    assert not list_owners_unsupported("no owners\n", "")


def test_device_policy_dump_gives_the_owners() -> None:
    dump = ("Current Device Policy Manager state:\n  Device Owner: \n"
            "    admin=ComponentInfo{com.example.mdm/com.example.mdm.AdminReceiver}\n    name=\n"
            "    package=com.example.mdm\n    User ID: 0\n\n  Profile Owner (User 10): \n"
            "    admin=ComponentInfo{com.example.work/com.example.work.R}\n    name=Work\n    package=com.example.work\n\n"
            "  Enabled Device Admins (User 0, provisioningState: 3):\n"
            "    com.google.android.gms/.mdm.receivers.MdmDeviceAdminReceiver:\n")
    owners = parse_device_policy(dump)
    assert owners is not None and owners.device_owner == "com.example.mdm" and owners.profile_owners == ("com.example.work",)


def test_an_enabled_admin_is_not_an_owner() -> None:
    dump = ("Current Device Policy Manager state:\n  Enabled Device Admins (User 0, provisioningState: 3):\n"
            "    com.google.android.gms/.mdm.receivers.MdmDeviceAdminReceiver:\n      uid=10016\n")
    owners = parse_device_policy(dump)
    assert owners is not None and owners.device_owner is None and owners.profile_owners == ()
    assert parse_device_policy("Can't find service: device_policy\n") is None


def test_ls_sorts_each_su_path() -> None:
    magisk = "lrwxrwxrwx 1 root root 7 2009-01-01 08:00 /system/bin/su -> ./magisk\n"
    rest = "".join(f"ls: {p}: No such file or directory\n" for p in SU_PATHS[1:])
    paths = parse_ls(magisk, rest, SU_PATHS)
    assert paths is not None and paths.found == ("/system/bin/su",) and len(paths.absent) == len(SU_PATHS) - 1
    clean = parse_ls("", MISSING, SU_PATHS)
    assert clean is not None and clean.found == () and clean.absent == SU_PATHS


def test_ls_over_shell_v1_reads_the_merged_stream() -> None:
    paths = parse_ls("-rwsr-x--- 1 root shell 11424 2009-01-01 08:00 /system/xbin/su\n" + MISSING.replace(
        "ls: /system/xbin/su: No such file or directory\n", ""), "", SU_PATHS)
    assert paths is not None and paths.found == ("/system/xbin/su",)


def test_ls_that_cannot_tell_is_unclear_and_an_unrelated_answer_is_no_reading() -> None:
    denied = MISSING.replace("/system/bin/su: No such file or directory", "/system/bin/su: Permission denied")
    paths = parse_ls("", denied, SU_PATHS)
    assert paths is not None and paths.unclear == ("/system/bin/su",)
    assert parse_ls("/system/bin/sh: ls: inaccessible or not found\n", "", SU_PATHS) is None


def test_root_packages_are_read_from_pm_lines_only() -> None:
    assert parse_packages("package:com.topjohnwu.magisk\npackage:me.weishu.kernelsu\n") == (
        "com.topjohnwu.magisk", "me.weishu.kernelsu")
    assert parse_packages("") == ()
    assert parse_packages("Error: no such command\n") is None


UNMANAGED = {"CloudConfiguration": {"AllowPairing": True, "CloudConfigurationUIComplete": True,
                                    "ConfigurationSource": 0, "IsSupervised": False, "PostSetupProfileWasInstalled": True}}


def test_setup_assistants_own_cloud_configuration_is_no_organisation() -> None:
    config = read_cloud_configuration(UNMANAGED)
    assert config is not None and not config.present and config.signals == ()
    assert read_cloud_configuration({}) is not None and not read_cloud_configuration({}).present


def test_an_organisations_cloud_configuration_is_present_without_its_name() -> None:
    config = read_cloud_configuration({"CloudConfiguration": {
        "ConfigurationSource": 2, "IsMandatory": True, "IsMDMUnremovable": True, "IsSupervised": True,
        "OrganizationName": "Example Logistics Ltd", "OrganizationMagic": "0F6C21A4"}})
    assert config is not None and config.present and config.mandatory and config.unremovable and config.supervised
    assert "Example Logistics" not in repr(config) and "0F6C21A4" not in repr(config)
    assert "OrganizationName" in config.signals and "ConfigurationSource 2" in config.signals


@pytest.mark.parametrize("reply", [{"CloudConfiguration": "garbage"}, {"?": "garbage"}])
def test_a_cloud_configuration_of_the_wrong_shape_is_no_reading(reply: dict) -> None:
    assert read_cloud_configuration(reply) is None


def test_profile_list_counts_profiles_and_those_refusing_removal() -> None:
    reply = {"OrderedIdentifiers": ["a", "b"], "ProfileMetadata": {
        "a": {"PayloadDisplayName": "MDM", "PayloadRemovalDisallowed": True}, "b": {"PayloadDisplayName": "Wi-Fi"}}}
    listing = read_profile_list(reply)
    assert listing is not None and (listing.count, listing.removal_disallowed) == (2, 1)
    assert read_profile_list({"OrderedIdentifiers": [], "ProfileManifest": {}, "ProfileMetadata": {}}).count == 0
    assert read_profile_list({"?": "garbage"}) is None


def test_the_checks_and_the_links_spell_the_mobile_config_service_alike() -> None:
    from agent.links.base import MCINSTALL
    from checks.commands import MCINSTALL as CHECKS_MCINSTALL

    assert CHECKS_MCINSTALL == MCINSTALL == "com.apple.mobile.MCInstall"
