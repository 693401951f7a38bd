"""The locks check: what still ties the phone to its last owner or an organisation, and
signs that its software was tampered with.

A phone held by Find My, an MDM enrolment, a device owner, a signed-in Google or vendor
account (FRP after a reset) or Knox Guard cannot be resold until the lock is released;
a rooted phone or one with an unlocked bootloader may not be sold at all. This check
measures, with each figure's command or lockdown key (checks/locks_android.py,
checks/locks_ios.py); the profile grades.

Platform figures (the report contract):

- iPhone/iPad: ``activation_state``, ``find_my_enabled``, ``supervised``,
  ``mdm_cloud_configuration`` ("present"/"absent") with ``mdm_enrollment_mandatory`` and
  ``mdm_profile_removable``, ``configuration_profiles_count`` (and ``..._locked``),
  ``passcode_set``, ``sim_status``.
- Android: ``google_accounts``, ``vendor_lock_accounts``, ``accounts_by_type`` (counts per
  type; names and e-mails are never kept), ``frp_active``, ``device_owner`` and
  ``profile_owner`` (admin packages, [] for none), ``bootloader_locked``,
  ``verified_boot_state``, ``vbmeta_device_state``, ``root_detected``,
  ``boot_state_trusted``, ``knox_warranty_void``, ``knox_guard_state``, ``sim_state``.

Summaries on both platforms, so one profile rule serves iPhones and Android phones alike
(a platform's figure is simply absent on the other):

- ``locks_found``: the locks seen, from LOCK_KINDS; ``locks_unread``: the locks whose state
  could not be read (a profile sends those to a person, never to a pass). Find My counts as
  unread, whatever IsAssociated says, while the phone is not activated: that reading is
  unreliable there.
- ``tamper_signs`` (root, bootloader_unlocked, knox_warranty_void) and ``tamper_unread``.
  On iOS nothing is looked for (the bootloader cannot be unlocked; lockdown shows no
  jailbreak), and both are empty with that said in the method.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from agent.check import Check, CheckContext, CheckResult, Metric, MetricSpec, declare
from agent.links.base import AndroidLink, IosLink
from checks import locks_android, locks_ios

#: every lock kind ``locks_found`` / ``locks_unread`` can name
LOCK_KINDS = (
    "find_my", "remote_management", "supervised", "configuration_profile",
    "google_account", "vendor_account", "frp", "device_owner", "profile_owner", "knox_guard", "carrier_lock",
)  # fmt: skip
TAMPER_KINDS = ("root", "bootloader_unlocked", "knox_warranty_void")
SUMMARY = "locks"
#: kind -> (metric, test on its value); a None value makes the kind unread unless noted
Probe = tuple[str, Callable[[Any], bool]]
_IOS_LOCKS: Mapping[str, Probe] = {
    "find_my": ("find_my_enabled", lambda v: v is True),
    "remote_management": ("mdm_cloud_configuration", lambda v: v == "present"),
    "supervised": ("supervised", lambda v: v is True),
    "configuration_profile": ("configuration_profiles_count", lambda v: v > 0),
}
_ANDROID_LOCKS: Mapping[str, Probe] = {
    "google_account": ("google_accounts", lambda v: v > 0),
    "vendor_account": ("vendor_lock_accounts", lambda v: v > 0),
    "frp": ("frp_active", lambda v: v is True),
    "device_owner": ("device_owner", bool),
    "profile_owner": ("profile_owner", bool),
}
#: seen when the figure says so, never unread when it is unknown (they show on some phones only)
_OPTIONAL_LOCKS: Mapping[str, Probe] = {
    "knox_guard": ("knox_guard_state", lambda v: v in ("Active", "Locked")),
    "carrier_lock": ("sim_state", lambda v: "NETWORK_LOCKED" in v),
}
_IOS_OPTIONAL: Mapping[str, Probe] = {"carrier_lock": ("sim_status", lambda v: v == "OperatorLocked")}
_TAMPER: Mapping[str, Probe] = {
    "root": ("root_detected", lambda v: v is True),
    "bootloader_unlocked": ("bootloader_locked", lambda v: v is False),
}
_TAMPER_OPTIONAL: Mapping[str, Probe] = {"knox_warranty_void": ("knox_warranty_void", lambda v: v is True)}


class LocksCheck(Check):
    name: ClassVar[str] = "locks"
    title: ClassVar[str] = "Locks"
    #: `dumpsys device_policy` is left out: only Android 10 and older are asked it, and a
    #: recording runs the check itself, so it captures that read where it is made
    reads: ClassVar[Mapping[str, tuple[str, ...]]] = {"android": locks_android.READS, "ios": locks_ios.READS}
    metrics: ClassVar[Mapping[str, MetricSpec]] = declare(
        ("locks_found", None, "the locks holding the phone to someone (find_my, mdm, google_account, frp, ...)"),
        ("locks_unread", None, "the locks whose state could not be read (a reason to review, never to pass)"),
        ("tamper_signs", None, "root, an unlocked bootloader, a blown Knox fuse: what was seen"),
        ("tamper_unread", None, "the tamper signs that could not be read"),
        ("activation_state", None, "lockdown ActivationState (Activated, Unactivated, ...)"),
        ("find_my_enabled", None, "com.apple.fmip IsAssociated (reads false in Setup Assistant although Activation Lock may hold)"),
        ("supervised", None, "com.apple.mobile.chaperone DeviceIsChaperoned"),
        ("mdm_cloud_configuration", None, "an MDM cloud configuration is present (MCInstall GetCloudConfiguration)"),
        ("mdm_enrollment_mandatory", None, "the cloud configuration makes enrollment mandatory"),
        ("mdm_profile_removable", None, "the MDM profile can be removed on the phone"),
        ("configuration_profiles_count", None, "configuration profiles installed (MCInstall GetProfileList)"),
        ("configuration_profiles_locked", None, "how many of them cannot be removed on the phone"),
        ("passcode_set", None, "lockdown PasswordProtected"),
        ("sim_status", None, "lockdown SIMStatus"),
        ("google_accounts", None, "Google accounts signed in (`dumpsys account`: a count, never names)"),
        ("vendor_lock_accounts", None, "vendor accounts that lock a reset phone (Samsung, Xiaomi, ...): a count"),
        ("accounts_by_type", None, "signed-in accounts counted per account type"),
        ("frp_active", None, "Factory Reset Protection is active (settings global secure_frp_mode)"),
        ("device_owner", None, "the device owner admin's package (`dpm list-owners`)"),
        ("profile_owner", None, "the profile owner admin's package"),
        ("bootloader_locked", None, "ro.boot.flash.locked"),
        ("verified_boot_state", None, "ro.boot.verifiedbootstate: green, yellow, orange or red"),
        ("vbmeta_device_state", None, "ro.boot.vbmeta.device_state: locked or unlocked"),
        ("root_detected", None, "root seen from the shell (su on PATH, Magisk or KernelSU traces)"),
        ("boot_state_trusted", None, "false where root can spoof the boot properties above"),
        ("knox_warranty_void", None, "Samsung ro.boot.warranty_bit (the Knox fuse)"),
        ("knox_guard_state", None, "Samsung Knox Guard state from its properties"),
        ("sim_state", None, "gsm.sim.state"),
    )

    async def run(self, ctx: CheckContext) -> CheckResult | Mapping[str, Metric]:
        if isinstance(ctx.link, IosLink):
            figures = await locks_ios.measure(ctx, ctx.link)
            summary = _summary(figures, _IOS_LOCKS, _IOS_OPTIONAL)
            _find_my_unread_before_activation(summary, figures["activation_state"].value)
            summary.update(_ios_tamper())
        elif isinstance(ctx.link, AndroidLink):
            figures = await locks_android.measure(ctx)
            summary = _summary(figures, _ANDROID_LOCKS, _OPTIONAL_LOCKS)
            summary.update(_tamper(figures))
        else:
            return CheckResult("unsupported", {}, detail=f"no lock reads for a {ctx.platform} link")
        metrics = {**summary, **figures}
        if not summary["locks_found"].value and len(summary["locks_unread"].value) == len(_kinds(ctx.link)):
            return CheckResult("error", metrics, detail="no lock state could be read")
        return metrics


def _kinds(link: object) -> Mapping[str, Probe]:
    return _IOS_LOCKS if isinstance(link, IosLink) else _ANDROID_LOCKS


def _sorted_kinds(found: list[str], order: tuple[str, ...]) -> list[str]:
    return [k for k in order if k in found]


def _scan(metrics: Mapping[str, Metric], probes: Mapping[str, Probe],
          optional: Mapping[str, Probe]) -> tuple[list[str], list[str]]:
    found, unread = [], []
    for kind, (name, test) in {**probes, **optional}.items():
        value = metrics[name].value
        if value is None:
            if kind in probes:
                unread.append(kind)
        elif _holds(test, value):
            found.append(kind)
    return found, unread


def _holds(test: Callable[[Any], bool], value: Any) -> bool:
    try:
        return bool(test(value))
    except TypeError:  # a figure of another type than its test reads: not this lock
        return False


def _summary(metrics: Mapping[str, Metric], probes: Mapping[str, Probe],
             optional: Mapping[str, Probe]) -> dict[str, Metric]:
    found, unread = _scan(metrics, probes, optional)
    names = ", ".join(name for name, _ in {**probes, **optional}.values())
    return {
        "locks_found": Metric(_sorted_kinds(found, LOCK_KINDS), SUMMARY, method=f"the locks these figures show: {names}"),
        "locks_unread": Metric(_sorted_kinds(unread, LOCK_KINDS), SUMMARY,
                               method=f"the locks whose figure is unknown: {', '.join(n for n, _ in probes.values())}"),
    }


def _find_my_unread_before_activation(metrics: dict[str, Metric], state: Any) -> None:
    """Before activation IsAssociated can read false under an Activation Lock: unread."""
    found, unread = metrics["locks_found"], metrics["locks_unread"]
    if state == "Activated" or "find_my" in found.value or "find_my" in unread.value:
        return
    why = f"find_my unread: ActivationState is {state or 'unknown'}, where IsAssociated is not reliable"
    kinds = _sorted_kinds([*unread.value, "find_my"], LOCK_KINDS)
    metrics["locks_unread"] = Metric(kinds, unread.source, method=f"{unread.method}; {why}")


def _tamper(metrics: Mapping[str, Metric]) -> dict[str, Metric]:
    found, unread = _scan(metrics, _TAMPER, _TAMPER_OPTIONAL)
    names = ", ".join(name for name, _ in {**_TAMPER, **_TAMPER_OPTIONAL}.values())
    return {
        "tamper_signs": Metric(_sorted_kinds(found, TAMPER_KINDS), SUMMARY, method=f"from {names}"),
        "tamper_unread": Metric(_sorted_kinds(unread, TAMPER_KINDS), SUMMARY,
                                method="root_detected or bootloader_locked unknown"),
    }


def _ios_tamper() -> dict[str, Metric]:
    why = "nothing looked for: an iPhone's bootloader cannot be unlocked, and lockdown shows no jailbreak"
    return {"tamper_signs": Metric([], SUMMARY, method=why), "tamper_unread": Metric([], SUMMARY, method=why)}
