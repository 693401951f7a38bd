"""Which lockdown service erases an iPhone, and what the certificate then says about it.

Two services take an ``EraseDevice`` request (sources in agent/erasure/ios.py):

- ``com.apple.mobilebackup2`` (DeviceLink ``EraseDevice`` process message): there since iOS 9.0
  and still answered by current iOS: the one that covers more versions, so the baseline. No options.
- ``com.apple.mobile.MCInstall`` (``RequestType: EraseDevice``): the only one that takes
  ``PreserveDataPlan`` and ``DisallowProximitySetup``, but refused (``CommandFormatError``) by
  iOS 10.3.3; the first iOS that accepts it is not documented.

So: iOS 11 and later (and a phone that does not say its version) get MCInstall first, with
the options, and mobilebackup2 when MCInstall refuses; iOS 9 and 10 get mobilebackup2 at once;
before iOS 9 neither is known to exist and the erase is refused before anything is sent. Only
a refusal (the phone's error reply: nothing erased) moves on to the next service; a phone that
went silent or away after a request may be erasing, and only the verification can tell.

    services_for("10.3.3") -> Plan(("mobilebackup2",), why)       ErasureRefused before iOS 9
    await send_erase(link, options, "17.5") -> SentErase(service, why, refusals)
    sanitization(sent, options, forced_reason) -> Sanitization       for the certificate
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import metadata
from typing import Literal, Protocol

from agent.erasure.certificate import Sanitization
from agent.errors import EraseRequestRefused, ErasureRefused, LinkDisconnected, LinkTimeout

Service = Literal["mcinstall", "mobilebackup2"]
MCINSTALL_FROM = (11,)
MOBILEBACKUP2_FROM = (9,)
OPTION_NAMES = ("PreserveDataPlan", "DisallowProximitySetup")
COMMANDS: dict[Service, str] = {
    "mcinstall": "lockdown com.apple.mobile.MCInstall EraseDevice",
    "mobilebackup2": "lockdown com.apple.mobilebackup2 DeviceLink process message EraseDevice",
}
TECHNIQUE = "cryptographic erase (Erase All Content and Settings)"
PURGE_REASON = ("iOS keeps all user data encrypted under keys wrapped by a key in effaceable storage; Erase All "
                "Content and Settings destroys that key, a cryptographic erase (SP 800-88 Rev. 1 section 2.6, "
                "Appendix A mobile devices: Apple iOS), which counts as Purge")
_WHY_MCINSTALL = "MCInstall first: the only EraseDevice that takes PreserveDataPlan and DisallowProximitySetup"
_WHY_UNKNOWN = "the phone did not say its iOS version: MCInstall first, mobilebackup2 if it refuses"
_WHY_OLD = ("iOS {v}: MCInstall refuses EraseDevice before iOS 11 (CommandFormatError on 10.3.3, go-ios #489), "
            "mobilebackup2's EraseDevice exists from iOS 9")


class EraseOptions(Protocol):
    @property
    def preserve_data_plan(self) -> bool: ...

    @property
    def disallow_proximity_setup(self) -> bool: ...


class EraseLink(Protocol):
    async def erase_device(self, *, preserve_data_plan: bool, disallow_proximity_setup: bool) -> None: ...

    async def erase_device_by_backup(self) -> None: ...


@dataclass(frozen=True)
class Plan:
    """The services to try, in order, and why that order."""

    services: tuple[Service, ...]
    why: str


@dataclass(frozen=True)
class SentErase:
    """The service whose EraseDevice was sent last (the one that erased, if any did), why
    it was chosen, and the refusals of the ones tried before it."""

    service: Service
    why: str
    refusals: tuple[str, ...] = ()


def ios_version(product_version: str | None) -> tuple[int, ...] | None:
    """lockdown ``ProductVersion`` ("10.3.3") -> (10, 3, 3); None when absent or not a version."""
    match = re.fullmatch(r"(\d{1,3})(?:\.(\d{1,3}))?(?:\.(\d{1,3}))?", (product_version or "").strip())
    return tuple(int(part) for part in match.groups() if part is not None) if match else None


def services_for(product_version: str | None) -> Plan:
    """The services to try on a phone reporting ``product_version``; ErasureRefused before iOS 9."""
    version = ios_version(product_version)
    if version is None:
        return Plan(("mcinstall", "mobilebackup2"), _WHY_UNKNOWN)
    shown = ".".join(map(str, version))
    if version < MOBILEBACKUP2_FROM:
        raise ErasureRefused(f"iOS {shown}: no EraseDevice over lockdown is known before iOS 9 (mobilebackup2's came "
                             "with 9.0); erase it on the phone (Settings > General > Reset) or restore it with Finder")
    if version < MCINSTALL_FROM:
        return Plan(("mobilebackup2",), _WHY_OLD.format(v=shown))
    return Plan(("mcinstall", "mobilebackup2"), f"iOS {shown}: {_WHY_MCINSTALL}")


async def send_erase(link: EraseLink, options: EraseOptions, product_version: str | None) -> SentErase:
    """Send EraseDevice by the first service of the plan that does not refuse it.
    EraseRequestRefused when every one refused (nothing was erased); a request that went
    unanswered (the phone left, or said nothing in time) counts as sent."""
    plan = services_for(product_version)
    refusals: list[str] = []  # what the phone said, for the certificate
    errors: list[str] = []  # the same with the phone and the service named, for the technician
    for service in plan.services:
        why = plan.why if not refusals else f"{plan.why}; the phone refused it: {refusals[-1]}"
        try:
            if service == "mcinstall":
                await link.erase_device(preserve_data_plan=options.preserve_data_plan,
                                        disallow_proximity_setup=options.disallow_proximity_setup)
            else:
                await link.erase_device_by_backup()
        except EraseRequestRefused as e:
            refusals.append(e.reply)
            errors.append(str(e))
            continue
        except (LinkDisconnected, LinkTimeout):
            pass  # the request may have reached the phone: whether it erased, only the verification tells
        return SentErase(service, why, tuple(refusals))
    raise EraseRequestRefused("; ".join(errors), refusals[-1])


def sanitization(sent: SentErase, options: EraseOptions, forced_reason: str | None) -> Sanitization:
    """The certificate's sanitization block: the service that erased and why, and the options
    as applied (MCInstall) or null with the reason (mobilebackup2 takes none)."""
    requested = {"PreserveDataPlan": options.preserve_data_plan,
                 "DisallowProximitySetup": options.disallow_proximity_setup}
    if sent.service == "mcinstall":
        applied: dict[str, bool | str | None] = dict(requested)
    else:
        asked = ", ".join(f"{k}={str(v).lower()}" for k, v in requested.items())
        applied = {name: None for name in OPTION_NAMES}
        applied["options_not_applied"] = f"mobilebackup2 EraseDevice takes no options (requested: {asked})"
    return Sanitization(
        method="purge",
        technique=f"{TECHNIQUE} by {sent.service} EraseDevice ({sent.why})"[:480],
        reason=PURGE_REASON,
        tool="pymobiledevice3",
        tool_version=(version := _version("pymobiledevice3")),
        tool_version_reason=None if version else "pymobiledevice3's package metadata (its version) is not installed",
        command=COMMANDS[sent.service],
        options=applied,
        forced=forced_reason is not None,
        forced_reason=forced_reason,
    )


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None
