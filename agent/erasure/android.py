"""The software-directed factory reset of an Android phone, watched and verified over adb.

adb alone cannot start a factory reset without privileges, so this is the workflow R2v3
allows where no software erase exists: the agent checks nothing will lock the phone,
reboots it into recovery (``adb reboot recovery``), the technician picks "Wipe data/factory
reset" there, and the agent watches the phone reach recovery, leave, and come back::

    AndroidEraser(link).identify() -> ErasedDevice    getprop, the IMEI parcel
                       .preflight(force) -> None       Google accounts, FRP
                       .erase(wait_s, ask) -> ErasureRun     ask: async question -> answer | None

Back in state ``device`` (USB debugging allowed again), the agent verifies: setup not
complete, no accounts, the shared storage near empty. When it cannot (the phone did not
come back where adb sees it), ``ask`` puts the question to the technician and the
certificate says "verified by the technician" with the answer; without ``ask`` it says
``not_verified``. A phone with file-based encryption (``ro.crypto.type=file``) is purged
by the reset (its keys are destroyed: a cryptographic erase); any other is cleared, and one
that does not list ``ro.crypto.type`` has it null in ``sanitization.options`` with
``ro.crypto.type_reason`` saying so.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Awaitable, Callable

from agent.erasure.certificate import (
    INTERRUPTED_UNCHECKED,
    Checked,
    ErasedDevice,
    ErasureRun,
    Sanitization,
    Verification,
    check_findings,
    unfinished_verification,
)
from agent.erasure.progress import Progress, quiet
from agent.errors import ErasureRefused, LinkError, NoAnswer, NotReady
from agent.formats.getprop import parse_getprop
from agent.formats.imei import is_imei
from agent.formats.parcel import parse_string_reply
from agent.links.adb import AdbAndroidLink
from agent.links.base import Provenance
from agent.report.build import utc_now
from agent.text import inert

POLL_S = 0.25
RETURN_TIMEOUT_S = 1800.0
ACCOUNTS = "dumpsys account"
FRP = "settings get global secure_frp_mode"
SETUP = "settings get secure user_setup_complete"
SHARED_STORAGE = "du -sk /sdcard/"
IMEI = "service call iphonesubinfo 1 s16 com.android.shell"
#: what is left in shared storage after a reset (empty folders, media indexes) before it is "not empty"
NEAR_EMPTY_KB = 64 * 1024
VERIFY_LEAD = "over adb once the phone is back in state device: "
#: each check's part of the method: the command and what a freshly reset phone answers
VERIFY_PARTS = {SETUP: f"`{SETUP}` (0)", ACCOUNTS: f"`{ACCOUNTS}` (no accounts)",
                SHARED_STORAGE: f"`{SHARED_STORAGE}` (under {NEAR_EMPTY_KB // 1024} MiB)"}
VERIFY_METHOD = VERIFY_LEAD + ", ".join(VERIFY_PARTS.values())
TECHNICIAN_METHOD = "the technician saw the phone start the setup wizard (Welcome screen) after the reset"
TECHNICIAN_QUESTION = ("Did the phone show the wipe finished and reboot to setup (the setup wizard's Welcome screen)? "
                       "[y/N] ")
PURGE_REASON = ("ro.crypto.type=file: file-based encryption; the factory reset destroys the keys that protect "
                "user data, a cryptographic erase (SP 800-88 Rev. 1 section 2.6), which counts as Purge")
CLEAR_REASON = ("no file-based encryption reported (ro.crypto.type is not file): the factory reset formats the "
                "userdata partition, a logical technique that counts as Clear (SP 800-88 Rev. 1 Appendix A)")

NO_IMEI = ("no IMEI read: `service call iphonesubinfo 1` gave none (Android 10 and later keep it from adb "
           "without privileges, and a phone without a modem has none)")
NO_BUILD = "the phone did not report ro.build.id, the firmware build its recovery belongs to"
NO_CRYPTO_TYPE = ("the phone's `getprop` did not list ro.crypto.type, so file-based encryption is not known: "
                  "the reset counts as Clear")
NO_PROPERTIES = "the phone's `getprop` listed no properties, so file-based encryption is not known: the reset counts as Clear"
INTERRUPTED_SENT = ("the erase was interrupted (Ctrl-C or a stop signal) after the phone was sent to recovery: the "
                    "technician may have wiped it; the result is unknown, check the phone")
INTERRUPTED_SENDING = ("the erase was interrupted (Ctrl-C or a stop signal) while the phone was being sent to "
                       "recovery: the result is unknown, check the phone")



#: the technician's answer to a question, None when there is nobody to ask; NoAnswer when
#: asked and the input ended
Ask = Callable[[str], Awaitable[str | None]]
#: what the watch tells a front end at each phase it sees
PHASES = {"recovery": "the phone is in recovery: wipe it there (Wipe data/factory reset), then Reboot system now",
          "left": "the phone left recovery: it wipes and restarts",
          "back": "the phone is back on adb"}


def count_accounts(dumpsys: str) -> tuple[int | None, int]:
    """``dumpsys account`` -> (accounts, Google accounts); the first is None when the
    output has no ``Accounts: N`` line. Account names are never kept."""
    total = re.search(r"^\s*Accounts:\s*(\d+)", dumpsys, re.MULTILINE)
    google = len(re.findall(r"Account \{name=.*?, type=com\.google\}", dumpsys))
    return (int(total.group(1)) if total else None), google


def frp_active(value: str) -> bool | None:
    """``settings get global secure_frp_mode`` -> True (FRP on), False, None (unknown)."""
    word = value.strip()
    return {"1": True, "0": False}.get(word)


def storage_kb(du: str) -> int | None:
    """``du -sk /sdcard/`` -> kilobytes, None when it is not that shape."""
    match = re.match(r"^\s*(\d+)\s", du)
    return int(match.group(1)) if match else None


def sanitization(crypto_type: str | None, forced_reason: str | None, build_id: str | None = None,
                 crypto_reason: str = NO_CRYPTO_TYPE) -> Sanitization:
    """The certificate's sanitization block. The tool is the phone's own recovery, part of
    its firmware build: its version is that build (``ro.build.id``), null with the reason
    when the phone did not say it; ``options`` holds ``ro.crypto.type``, null with
    ``ro.crypto.type_reason`` (``crypto_reason``) when the phone did not say it."""
    purge = crypto_type == "file"
    options: dict[str, str | None] = {"ro.crypto.type": crypto_type}
    if crypto_type is None:
        options["ro.crypto.type_reason"] = crypto_reason
    return Sanitization(
        method="purge" if purge else "clear",
        technique="factory reset from recovery (Wipe data/factory reset)" + (", cryptographic erase" if purge else ""),
        reason=PURGE_REASON if purge else CLEAR_REASON,
        tool="Android recovery, started by adb", tool_version=build_id,
        tool_version_reason=None if build_id else NO_BUILD,
        command="adb reboot recovery; the technician selects Wipe data/factory reset",
        options=options,
        forced=forced_reason is not None, forced_reason=forced_reason,
    )


class AndroidEraser:
    """One Android phone to reset, as the adb server lists it."""

    def __init__(self, link: AdbAndroidLink) -> None:
        self.link = link
        self.started_at = utc_now()
        self.device: ErasedDevice | None = None
        self.crypto_type: str | None = None
        self.crypto_reason = NO_CRYPTO_TYPE  # why crypto_type is None, when it is
        self._forced: str | None = None
        self.build_id: str | None = None
        self._request: str | None = None  # None, "sending", "sent": how far the reboot into recovery got
        self._provenance: Provenance | None = None
        self._checked: list[Checked] = []  # the verification checks that ran, in order
        self._problem: str | None = None  # why the agent could not verify, once it knows
        #: told each step of the erase (agent/erasure/progress.py)
        self.progress: Progress = quiet

    async def identify(self) -> ErasedDevice:
        """Name the phone. LinkError (NotReady) when the adb server does not list it, or
        lists it in a state other than ``device``, saying which and what to do."""
        await self._ready()
        props = parse_getprop((await self.link.shell("getprop")).stdout)
        imei = parse_string_reply((await self.link.shell(IMEI)).stdout).value
        self.crypto_type = inert(props["ro.crypto.type"])[:64] if props.get("ro.crypto.type") else None
        self.crypto_reason = NO_CRYPTO_TYPE if props else NO_PROPERTIES
        self.build_id = inert(props["ro.build.id"])[:64] if props.get("ro.build.id") else None

        def prop(name: str) -> str | None:
            return inert(props[name])[:256] if props.get(name) else None

        self.device = ErasedDevice("android", prop("ro.product.manufacturer"), prop("ro.product.model"),
                                   prop("ro.serialno") or inert(self.link.device_id)[:256],
                                   imei if imei and is_imei(imei) else None, prop("ro.build.version.release"),
                                   None if imei and is_imei(imei) else NO_IMEI)
        return self.device

    async def _ready(self) -> None:
        state = await self.link.state()
        name = inert(self.link.device_id)[:256]
        if state is None:
            raise LinkError(f"{name}: no phone with this serial on this adb server (`adb devices` lists the ones it sees)")
        if state == "unauthorized":
            raise NotReady(state, f"{name}: the phone has not allowed USB debugging from this station: unlock it and "
                                  "allow USB debugging in the dialog it shows (\"Always allow from this computer\")")
        if state != "device":
            raise NotReady(state, f"{name}: the adb server lists the phone as {inert(state)[:32]}, not device: "
                                  "start it normally, with USB debugging on, and erase it then")

    async def preflight(self, force: bool = False) -> None:
        """ErasureRefused when a Google account or FRP would lock the reset phone, unless ``force``."""
        _, google = count_accounts((await self.link.shell(ACCOUNTS)).stdout)
        frp = frp_active((await self.link.shell(FRP)).stdout)
        if google:
            why = (f"{google} Google account(s) on the phone: after a reset, Factory Reset Protection asks for "
                   "that account; remove it in Settings > Accounts first")
        elif frp:
            why = ("Factory Reset Protection is active (secure_frp_mode 1): the reset phone would ask for its owner's "
                   "account; have the owner remove their Google account in Settings > Accounts first")
        else:
            return
        if not force:
            raise ErasureRefused(f"{self.link.device_id}: {why} (--force resets anyway)")
        self._forced = why

    async def erase(self, wait_s: float = RETURN_TIMEOUT_S, ask: Ask | None = None) -> ErasureRun:
        device = self.device or await self.identify()
        provenance = self._provenance = await self.link.provenance()
        self._request = "sending"
        await self.link.reboot("recovery")
        self._request = "sent"
        self.progress("rebooting", "rebooting into recovery")
        seen = await self._watch(wait_s)
        verification = await self._verify(seen, wait_s, ask)
        return ErasureRun(str(uuid.uuid4()), self.started_at, provenance, self.link.describe, device,
                          sanitization(self.crypto_type, self._forced, self.build_id, self.crypto_reason), verification)

    def interrupted_run(self) -> ErasureRun | None:
        """The record of an erase stopped (Ctrl-C, SIGTERM) once the reboot into recovery was
        asked for: ``not_verified``, saying so, its method naming only the checks that ran
        (null when none did); None when nothing was asked of the phone."""
        if self._request is None or self.device is None or self._provenance is None:
            return None
        finding = INTERRUPTED_SENT if self._request == "sent" else INTERRUPTED_SENDING
        return ErasureRun(str(uuid.uuid4()), self.started_at, self._provenance, self.link.describe, self.device,
                          sanitization(self.crypto_type, self._forced, self.build_id, self.crypto_reason),
                          unfinished_verification((finding, *filter(None, [self._problem])), VERIFY_LEAD,
                                                  self._checked, INTERRUPTED_UNCHECKED))

    async def _watch(self, wait_s: float) -> list[str]:
        """The phases seen, in order: ``recovery`` (reached it), ``left``, ``back`` (in state device)."""
        seen: list[str] = []
        told = 0
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline and "back" not in seen:
            try:
                state = await self.link.state()
            except LinkError:
                state = "?"
            if not seen and state == "recovery":
                seen.append("recovery")
            elif seen == ["recovery"] and state != "recovery":
                seen.append("left")
            if seen[-1:] == ["left"] and state == "device":
                seen.append("back")
            if len(seen) > told:
                for phase in seen[told:]:
                    self.progress(phase, PHASES[phase])
                told = len(seen)
            await asyncio.sleep(POLL_S)
        return seen

    async def _verify(self, seen: list[str], wait_s: float, ask: Ask | None) -> Verification:
        if seen == ["recovery", "left", "back"]:
            try:
                self.progress("verifying", "verifying: setup not complete, no accounts, user data near empty")
                return await self._verify_over_adb()
            except LinkError as e:
                problem = self._problem = f"could not check the phone that came back: {e}"
                unchecked = "the phone that came back could not be checked over adb"
        else:
            problem = self._problem = not_seen_back(seen, wait_s)
            unchecked = "the phone did not come back where the agent can check it (on adb, in state device)"
        try:
            answer = None if ask is None else await ask(TECHNICIAN_QUESTION)
        except NoAnswer as e:
            return unfinished_verification((problem, f"the technician question: {e}"), VERIFY_LEAD, self._checked,
                                           unchecked)
        if answer is None:
            return unfinished_verification((problem,), VERIFY_LEAD, self._checked, unchecked)
        answer = answer.strip()
        passed = answer.lower() in ("y", "yes")
        return Verification(TECHNICIAN_METHOD, "passed" if passed else "failed", (problem,), by="technician",
                            technician_answer=inert(answer)[:512] or "(no answer)")

    async def _verify_over_adb(self) -> Verification:
        """Each check is kept as it runs, so a stop halfway names only those that ran."""
        checked = self._checked
        setup = (await self.link.shell(SETUP)).stdout.strip()
        checked.append(Checked(VERIFY_PARTS[SETUP], setup == "0", f"`{SETUP}`: {inert(setup)[:64] or 'nothing'}"))
        accounts, _ = count_accounts((await self.link.shell(ACCOUNTS)).stdout)
        checked.append(Checked(VERIFY_PARTS[ACCOUNTS], accounts == 0,
                               f"`{ACCOUNTS}`: {'unreadable' if accounts is None else accounts} account(s)"))
        used = storage_kb((await self.link.shell(SHARED_STORAGE)).stdout)
        checked.append(Checked(VERIFY_PARTS[SHARED_STORAGE], used is not None and used < NEAR_EMPTY_KB,
                               f"`{SHARED_STORAGE}`: {used if used is not None else '?'} KiB used"))
        return Verification(VERIFY_METHOD, "passed" if all(c.ok for c in checked) else "failed", check_findings(checked))


def not_seen_back(seen: list[str], wait_s: float) -> str:
    """The finding when the watch did not see the phone reach recovery, leave it and come back
    (``seen`` as ``_watch`` gives it), as the technician reads it: what the agent saw, and
    what that means for the phone."""
    if not seen:
        return (f"the phone was not seen in recovery within {wait_s:g} s: it may not have restarted into "
                "recovery, so it may not have been wiped")
    if seen == ["recovery"]:
        return (f"the phone reached recovery but was still there after {wait_s:g} s: the wipe and the restart "
                "(\"Reboot system now\") were not seen, so it may not have been wiped")
    return (f"the phone reached recovery and left it, but was not back on adb within {wait_s:g} s (a reset turns "
            "USB debugging off until it is allowed again): it probably wiped and restarted, but the agent could not "
            "check it")
