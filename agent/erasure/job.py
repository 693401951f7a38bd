"""One erase, from naming the phone to its signed certificate: the one code path that
``phonebench erase`` and the TUI's erase action both run.

    await erase_phone(target, options, front, open_ledger, report_folders) -> StoredReport

The steps, each told to ``front.step(key, text)``: ``identify``; ``preflight`` (the
refusals: Find My on, a Google account or FRP, raised as ErasureRefused, nothing erased);
``front.confirm(device)`` (the last four digits; ErasureRefused when wrong); the signer
(``front.operator()``); the ledger opened (a record that cannot be written stops us before
anything is erased) and the phone's latest diagnostics report looked up (never fails: a bad
report file is skipped); ``front.started(device)`` when the front end has it; the eraser's own
steps (agent/erasure/progress.py); ``signed``. Stopped (the task cancelled, Ctrl-C) once the
erase request went out, the job signs the eraser's ``interrupted_run()`` (``not_verified``),
hands it to ``front.interrupted(stored)`` when the front end has it, and the stop goes on.
Everything blocking (opening the ledger, signing, SQLite) runs in a thread, so a front end
on an event loop stays responsive.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from agent.erasure.certificate import ErasedDevice, ErasureRun, build_certificate, latest_diagnostics_report
from agent.erasure.shift import Signer
from agent.errors import ErasureRefused, UsageError
from agent.report.signing import ERASURE_PAYLOAD_TYPE

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EraseTarget:
    """The phone to erase and where its link goes: ``device_id`` is the UDID (ios) or the
    adb serial (android); ``simulated`` marks a protocol simulator's phone."""

    platform: str
    device_id: str
    simulated: bool = False
    usbmux_address: str | None = None
    adb_host: str | None = None
    adb_port: int | None = None


@dataclass(frozen=True)
class EraseOptions:
    """``wait_s`` None: the platform's own return timeout (iPhone 900 s, Android 1800 s)."""

    force: bool = False
    preserve_data_plan: bool = False
    disallow_proximity_setup: bool = False
    wait_s: float | None = None


class FrontEnd(Protocol):
    """Who watches the erase: a terminal (agent/cli/erase.py) or the TUI's erase dialog."""

    def step(self, key: str, text: str) -> None: ...

    async def confirm(self, device: ErasedDevice) -> None:
        """Return to go on; raise ErasureRefused to stop before anything is erased."""

    async def ask(self, question: str) -> str | None:
        """The technician's answer, None when there is nobody to ask."""

    async def operator(self) -> Signer: ...

    # optional: ``started(device)``, told when everything is ready and the erase starts;
    # ``interrupted(stored)``, told the StoredReport of an interrupted erase's certificate


OpenLedger = Callable[[bool], Any]  # (simulated) -> agent.delivery.ledger.Ledger


def confirm_digits(device: ErasedDevice, answer: str | None) -> None:
    """ErasureRefused unless ``answer`` is the last four digits of the phone's IMEI or serial:
    the guard against erasing the phone in the next port."""
    wanted = {v[-4:].upper() for v in (device.serial, device.imei) if v and len(v) >= 4}
    if not wanted:
        raise ErasureRefused("the phone gives no serial or IMEI to confirm with; erase --yes skips the question")
    if (answer or "").strip().upper() not in wanted:
        raise ErasureRefused("the digits typed are not this phone's last four IMEI or serial digits; nothing was erased")


async def erase_phone(target: EraseTarget, options: EraseOptions, front: FrontEnd, open_ledger: OpenLedger,
                      station_id: str, report_folders: Sequence[Path] = ()) -> Any:
    """Erase ``target`` and sign its certificate; the StoredReport (``report``, ``envelope``,
    ``path``). ErasureRefused before anything is erased; a link error before the erase
    request went out is raised as it is (LinkError). ``report_folders`` (and the ledger's
    own folder) are searched for the phone's latest diagnostics report."""
    if target.platform == "ios":
        run, ready = await _iphone(target, options, front, open_ledger, report_folders, station_id)
    elif target.platform == "android":
        run, ready = await _android(target, options, front, open_ledger, report_folders, station_id)
    else:
        raise UsageError(f"erase: no eraser for platform {target.platform!r}")
    front.step("signing", "signing the certificate")
    stored = await asyncio.to_thread(_save, run, ready, station_id)
    front.step("signed", f"certificate {stored.report['report_id']} signed: {stored.report['result']}")
    return stored


async def _erase_or_record(eraser: Any, ready: _Ready, front: FrontEnd, station_id: str,
                           erase: Awaitable[ErasureRun]) -> ErasureRun:
    """Await ``erase``; when it is stopped (Ctrl-C, SIGTERM: the task is cancelled, or
    KeyboardInterrupt/SystemExit come through) after the erase request went out, sign a
    ``not_verified`` certificate saying so before the stop goes on: the phone may be
    erasing, and the record must say so. Saved in this thread, at once: a second
    cancellation must not lose it. ``front.interrupted(stored)``, when the front end has it,
    gets the certificate as a finished erase's caller does."""
    try:
        return await erase
    except (asyncio.CancelledError, KeyboardInterrupt, SystemExit):
        run = eraser.interrupted_run()
        if run is not None:
            try:
                stored = _save(run, ready, station_id)
            except Exception as e:  # the stop goes on as it was asked; say what could not be kept
                log.error("interrupted: the certificate could not be saved: %s", e)
            else:
                front.step("signed", f"interrupted: certificate {stored.report['report_id']} signed: "
                                     f"{stored.report['result']} ({stored.path})")
                told = getattr(front, "interrupted", None)
                if told is not None:
                    told(stored)
        raise


@dataclass(frozen=True)
class _Ready:
    """What the erase may start with: where its certificate goes, and who signs it."""

    ledger: Any
    signer: Signer
    #: the phone's latest diagnostics report (looked up before the erase), or None and why
    diagnostics_report_id: str | None = None
    diagnostics_reason: str | None = None


async def _prepare(eraser: Any, options: EraseOptions, front: FrontEnd, open_ledger: OpenLedger,
                   simulated: Callable[[], Awaitable[bool]], folders: Sequence[Path]) -> _Ready:
    front.step("identify", "reading the phone's identity")
    device = await eraser.identify()
    front.step("preflight", "checking nothing will lock the erased phone")
    await eraser.preflight(options.force)
    await front.confirm(device)
    signer = await front.operator()
    ledger = await asyncio.to_thread(open_ledger, await simulated())
    report_id, reason = await asyncio.to_thread(_diagnostics, [*folders, ledger.folder], device.serial)
    eraser.progress = front.step
    started = getattr(front, "started", None)
    if started is not None:
        started(device)
    return _Ready(ledger, signer, report_id, reason)


def _diagnostics(folders: list[Path], serial: str | None) -> tuple[str | None, str | None]:
    """The phone's latest diagnostics report id, or None and why. Never raises: a report
    folder in any state must not cost an erased phone its certificate."""
    if not serial:
        return None, "the phone gave no serial to find its diagnostics report by"
    try:
        found = latest_diagnostics_report(folders, serial)
    except Exception as e:  # a folder we cannot read is no report, never a lost certificate
        log.warning("looking for the phone's diagnostics report failed: %s", e)
        return None, f"the diagnostics reports could not be searched ({type(e).__name__})"
    if found is None:
        return None, "no diagnostics report of this serial in the station's report folders"
    return found, None


async def _iphone(target: EraseTarget, options: EraseOptions, front: FrontEnd, open_ledger: OpenLedger,
                  folders: Sequence[Path], station_id: str) -> tuple[ErasureRun, _Ready]:
    from agent.erasure.ios import RETURN_TIMEOUT_S, IosEraseOptions, IphoneEraser

    ios = IosEraseOptions(options.preserve_data_plan, options.disallow_proximity_setup,
                          RETURN_TIMEOUT_S if options.wait_s is None else options.wait_s)
    eraser = IphoneEraser(target.device_id, usbmux_address=target.usbmux_address, simulated=target.simulated)

    async def simulated() -> bool:
        return eraser.simulated

    try:
        ready = await _prepare(eraser, options, front, open_ledger, simulated, folders)
        return await _erase_or_record(eraser, ready, front, station_id, eraser.erase(ios)), ready
    finally:
        await eraser.close()


async def _android(target: EraseTarget, options: EraseOptions, front: FrontEnd, open_ledger: OpenLedger,
                   folders: Sequence[Path], station_id: str) -> tuple[ErasureRun, _Ready]:
    from agent.erasure.android import RETURN_TIMEOUT_S, AndroidEraser
    from agent.links.adb import AdbAndroidLink, running_adb_server

    if options.preserve_data_plan or options.disallow_proximity_setup:
        raise UsageError("erase: --preserve-data-plan and --disallow-proximity-setup are iPhone options")
    host, port = target.adb_host, target.adb_port
    if host is None or port is None:
        server = running_adb_server()
        host, port = server.host, server.port
    link = AdbAndroidLink(target.device_id, host, port, simulated=target.simulated)
    eraser = AndroidEraser(link)

    async def simulated() -> bool:
        return target.simulated or (await link.provenance()).kind == "simulated"

    try:
        ready = await _prepare(eraser, options, front, open_ledger, simulated, folders)
        wait_s = RETURN_TIMEOUT_S if options.wait_s is None else options.wait_s
        return await _erase_or_record(eraser, ready, front, station_id, eraser.erase(wait_s, front.ask)), ready
    finally:
        await link.close()


def _save(run: ErasureRun, ready: _Ready, station_id: str) -> Any:
    certificate = build_certificate(run, station_id=station_id, key_id=ready.ledger.key_id, operator=ready.signer.name,
                                    operator_reason=ready.signer.reason,
                                    diagnostics_report_id=ready.diagnostics_report_id,
                                    diagnostics_reason=ready.diagnostics_reason)
    return ready.ledger.save(certificate, ERASURE_PAYLOAD_TYPE)
