"""Erasing an iPhone or iPad over lockdown, and checking it came back fresh.

Two lockdown services erase (Erase All Content and Settings); which one is agent/erasure/ios_service:

- mobilebackup2's ``EraseDevice`` (a DeviceLink process message; pymobiledevice3
  ``Mobilebackup2Service.erase_device``, its ``backup2 erase-device``) covers more iOS versions:
  libimobiledevice's maintainer dates it to iOS 9.0 (libimobiledevice #463, 2017), a patch adding
  it to idevicebackup2 was reviewed in 2018 (libimobiledevice #723, not merged: "not a backup
  tool's job", and "it can fail if the device is not activated"), and one user reports it working
  on a current iOS with just ``{MessageName: EraseDevice}`` (idevicerestore #665 and #778, 2026).
  It takes no options (pymobiledevice3 #1063: its maintainer knows of no eSIM option for it).
- MCInstall's ``EraseDevice`` (pymobiledevice3 ``MobileConfigService.erase_device``, its
  ``profile erase-device``, pymobiledevice3 #1124; go-ios's ``ios erase`` sends the same request)
  takes ``PreserveDataPlan`` and ``DisallowProximitySetup``, but an iPhone 5c on iOS 10.3.3
  answers it ``Status: CommandFormatError`` and does not erase (go-ios #489, 2024, still open).
  No public source we found says which iOS first accepts it, nor what Apple Configurator sends.

mobilebackup2 is therefore the baseline, and MCInstall is used where it can add the two
options: first on iOS 11 and later, falling back to mobilebackup2 when the phone refuses it. The
certificate names the service that erased and why, and records the options as applied (MCInstall)
or as null with the reason (mobilebackup2), never as applied when they were not.

    IphoneEraser(udid).identify() -> ErasedDevice      lockdown default domain
                      .preflight(force) -> None         Find My (com.apple.fmip IsAssociated)
                      .erase(options) -> ErasureRun     EraseDevice, wait for a new attach, verify

Erasing does not lift Activation Lock: with Find My on, the buyer would get a phone that
asks for the seller's Apple ID, so the preflight refuses unless forced. Both services are
checked the same way afterwards.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from typing import Any

from agent.erasure.certificate import (
    INTERRUPTED_UNCHECKED,
    Checked,
    ErasedDevice,
    ErasureRun,
    Verification,
    check_findings,
    unfinished_verification,
)
from agent.erasure.ios_service import SentErase, sanitization, send_erase, services_for
from agent.erasure.progress import Progress, quiet
from agent.errors import ErasureRefused, LinkError
from agent.links.base import Provenance
from agent.links.ios import PmdIosLink, behind_simulator
from agent.report.build import utc_now
from agent.text import inert

POLL_S = 0.25
#: how long a phone may take to erase and attach again before the erase counts as not verified
RETURN_TIMEOUT_S = 900.0
VERIFY_LEAD = "after a new usbmux attach: "
#: each check's part of the method: what is read and what a freshly erased phone answers
VERIFY_PARTS = ("lockdown ActivationState (Unactivated)", "com.apple.purplebuddy SetupDone (not true)",
                "MCInstall GetProfileList (no configuration profiles)")
VERIFY_METHOD = VERIFY_LEAD + ", ".join(VERIFY_PARTS)

INTERRUPTED_SENT = ("the erase was interrupted (Ctrl-C or a stop signal) after the erase request was sent: the phone "
                    "may be erasing; the result is unknown, check the phone")
INTERRUPTED_SENDING = ("the erase was interrupted (Ctrl-C or a stop signal) while the erase request was being sent: "
                       "whether the phone got it is unknown, check the phone")
NO_IMEI = "the phone reported no InternationalMobileEquipmentIdentity (an iPad or iPod without a modem?)"


@dataclass(frozen=True)
class IosEraseOptions:
    """The EraseDevice options, and how long to wait for the phone to come back."""

    preserve_data_plan: bool = False
    disallow_proximity_setup: bool = False
    return_timeout_s: float = RETURN_TIMEOUT_S


def find_my_on(is_associated: Any) -> bool | None:
    """com.apple.fmip ``IsAssociated``: True (Find My on), False, None (the phone did not say)."""
    return is_associated if isinstance(is_associated, bool) else None


def device_from_lockdown(values: Any) -> ErasedDevice:
    """The default lockdown domain -> what the certificate names the phone by."""
    values = values if isinstance(values, dict) else {}

    def text(key: str) -> str | None:
        value = values.get(key)
        return inert(str(value))[:256] if value not in (None, "") else None

    imei = text("InternationalMobileEquipmentIdentity")
    return ErasedDevice("ios", "Apple", text("ProductType"), text("SerialNumber"), imei, text("ProductVersion"),
                        None if imei else NO_IMEI)


def fresh_findings(activation: Any, setup_done: Any, profiles: list[str]) -> tuple[bool, tuple[str, ...]]:
    """(passed, findings) of the checks on the phone that came back."""
    checks = (activation_check(activation), setup_check(setup_done), profiles_check(profiles))
    return all(c.ok for c in checks), check_findings(checks)


def activation_check(activation: Any) -> Checked:
    return Checked(VERIFY_PARTS[0], activation == "Unactivated", f"lockdown ActivationState: {inert(str(activation))}")


def setup_check(setup_done: Any) -> Checked:
    return Checked(VERIFY_PARTS[1], setup_done is not True, f"com.apple.purplebuddy SetupDone: {inert(str(setup_done))}")


def profiles_check(profiles: list[str]) -> Checked:
    shown = f" ({', '.join(profiles[:5])})" if profiles else ""
    return Checked(VERIFY_PARTS[2], not profiles, f"configuration profiles: {len(profiles)}{shown}")


class IphoneEraser:
    """One iPhone to erase, reached through usbmuxd (``usbmux_address`` as PmdIosLink takes it)."""

    def __init__(self, udid: str, *, usbmux_address: str | None = None, simulated: bool = False) -> None:
        self.udid, self.usbmux_address, self.simulated = udid, usbmux_address, simulated
        self.link = self._link()
        self.started_at = utc_now()
        self.device: ErasedDevice | None = None
        self._forced: str | None = None
        self._request: str | None = None  # None, "sending", "sent": how far the erase request got
        self._sent: SentErase | None = None
        self._provenance: Provenance | None = None
        self._options: IosEraseOptions | None = None
        self._checked: list[Checked] = []  # the verification checks that ran, in order
        #: told each step of the erase (agent/erasure/progress.py)
        self.progress: Progress = quiet

    def _link(self) -> PmdIosLink:
        return PmdIosLink(self.udid, usbmux_address=self.usbmux_address, simulated=self.simulated)

    async def identify(self) -> ErasedDevice:
        """Name the phone; a phone behind phonebench's own simulated usbmuxd is marked
        simulated even without ``simulated=True``, so its certificate stays out of the station's record."""
        if not self.simulated and await behind_simulator(self.usbmux_address):
            self.simulated = self.link.simulated = True
        if await self.link.attachment() is None:
            raise LinkError(f"{inert(self.udid)[:256]}: no iPhone or iPad with this UDID on usbmuxd "
                            "(is it plugged in? usbmuxd lists the phones on this computer's USB)")
        self.device = device_from_lockdown(await self.link.lockdown_value(""))
        return self.device

    async def preflight(self, force: bool = False) -> None:
        """ErasureRefused when Find My is on, or cannot be read, unless ``force``."""
        state = find_my_on(await self.link.lockdown_value("com.apple.fmip", "IsAssociated"))
        if state is False:
            return
        why = ("Find My is on (com.apple.fmip IsAssociated): erasing does not lift Activation Lock, the buyer would "
               "get a locked phone; sign out of the Apple ID on the phone first"
               if state else "the phone does not say whether Find My is on (com.apple.fmip IsAssociated)")
        if not force:
            raise ErasureRefused(f"{self.udid}: {why} (--force erases anyway)")
        self._forced = why

    async def erase(self, options: IosEraseOptions) -> ErasureRun:
        """Send EraseDevice (ios_service picks the service), wait for the phone's next attach, and
        check it is fresh. EraseRequestRefused when the phone refused every EraseDevice: nothing erased."""
        device = self.device or await self.identify()
        provenance = await self.link.provenance()
        before = await self.link.attachment()
        self._provenance, self._options = provenance, options
        self._request = "sending"
        sent = await send_erase(self.link, options, device.os_version)  # MCInstall or mobilebackup2
        self._request, self._sent = "sent", sent
        self.progress("sent", "erase sent: the phone restarts and erases itself")
        if sent.service == "mobilebackup2" and (options.preserve_data_plan or options.disallow_proximity_setup):
            self.progress("options", "note: mobilebackup2 erased this phone and takes no options: --preserve-data-plan "
                                     "and --disallow-proximity-setup were not applied (the certificate says so)")
        verification = await self._verify(before, options.return_timeout_s)
        return ErasureRun(str(uuid.uuid4()), self.started_at, provenance, self.link.describe, device,
                          sanitization(sent, options, self._forced), verification)

    def interrupted_run(self) -> ErasureRun | None:
        """The record of an erase stopped (Ctrl-C, SIGTERM) once its request was on its way:
        ``not_verified``, saying so, its method naming only the checks that ran (null when
        none did); None when nothing was sent (then nothing was erased)."""
        if self._request is None or self.device is None or self._provenance is None or self._options is None:
            return None
        sent = self._sent or SentErase(services_for(self.device.os_version).services[0],
                                       "interrupted while the request was being sent")
        finding = INTERRUPTED_SENT if self._request == "sent" else INTERRUPTED_SENDING
        return ErasureRun(str(uuid.uuid4()), self.started_at, self._provenance, self.link.describe, self.device,
                          sanitization(sent, self._options, self._forced),
                          unfinished_verification((finding,), VERIFY_LEAD, self._checked, INTERRUPTED_UNCHECKED))

    async def close(self) -> None:
        await self.link.close()

    async def _verify(self, before: int | None, timeout_s: float) -> Verification:
        if not await self._came_back(before, timeout_s):
            return unfinished_verification(
                (f"the phone did not attach again within {timeout_s:g} s (unplugged mid-erase?)",), VERIFY_LEAD, (),
                "the phone did not attach again, so nothing could be checked")
        self.link = self._link()  # a new attach: a new lockdown connection, a new pairing
        self.progress("verifying", "verifying: activation state, setup, configuration profiles")
        checked = self._checked  # kept as each check runs, so a stop halfway names only those that ran
        try:
            checked.append(activation_check(await self.link.lockdown_value("", "ActivationState")))
            checked.append(setup_check(await self.link.lockdown_value("com.apple.purplebuddy", "SetupDone")))
            checked.append(profiles_check(await self.link.configuration_profiles()))
        except LinkError as e:
            return unfinished_verification((f"could not check the phone that came back: {e}",), VERIFY_LEAD, checked,
                                           "the phone that came back could not be read over lockdown")
        return Verification(VERIFY_METHOD, "passed" if all(c.ok for c in checked) else "failed", check_findings(checked))

    async def _came_back(self, before: int | None, timeout_s: float) -> bool:
        """Whether usbmuxd lists the phone under a DeviceID other than ``before`` in time."""
        deadline = time.monotonic() + timeout_s
        away = False
        while time.monotonic() < deadline:
            try:
                now = await self.link.attachment()
            except LinkError:
                now = None  # usbmuxd busy or restarting: ask again
            if not away and now != before:
                away = True
                self.progress("away", "the phone left the bench's USB while it erases")
            if now is not None and now != before:
                self.progress("back", "the phone is back on USB")
                return True
            await asyncio.sleep(POLL_S)
        return False

