"""One erase, from naming the phone to its signed certificate: the one code path that
``phonebench erase`` and the TUI's erase action both run.

    await erase_phone(target, options, front, open_ledger, report_folders) -> StoredReport

The steps, each told to ``front.step(key, text)``: ``identify``; ``preflight`` (the
refusals: Find My on, a Google account or FRP, raised as ErasureRefused, nothing erased);
``front.confirm(device)`` (the last four digits; ErasureRefused when wrong); the signer
(``front.operator()``); the ledger opened (a record that cannot be written stops us before
anything is erased); the eraser's own steps (agent/erasure/progress.py); ``signed``.
Everything blocking (opening the ledger, signing, SQLite) runs in a thread, so a front end
on an event loop stays responsive.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from agent.erasure.certificate import ErasedDevice, ErasureRun, build_certificate, latest_diagnostics_report
from agent.erasure.shift import Signer
from agent.errors import ErasureRefused, UsageError
from agent.report.signing import ERASURE_PAYLOAD_TYPE


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
        run, ready = await _iphone(target, options, front, open_ledger)
    elif target.platform == "android":
        run, ready = await _android(target, options, front, open_ledger)
    else:
        raise UsageError(f"erase: no eraser for platform {target.platform!r}")
    front.step("signing", "signing the certificate")
    stored = await asyncio.to_thread(_save, run, ready, station_id, report_folders)
    front.step("signed", f"certificate {stored.report['report_id']} signed: {stored.report['result']}")
    return stored


@dataclass(frozen=True)
class _Ready:
    """What the erase may start with: where its certificate goes, and who signs it."""

    ledger: Any
    signer: Signer


async def _prepare(eraser: Any, options: EraseOptions, front: FrontEnd, open_ledger: OpenLedger,
                   simulated: Callable[[], Awaitable[bool]]) -> _Ready:
    front.step("identify", "reading the phone's identity")
    device = await eraser.identify()
    front.step("preflight", "checking nothing will lock the erased phone")
    await eraser.preflight(options.force)
    await front.confirm(device)
    signer = await front.operator()
    ledger = await asyncio.to_thread(open_ledger, await simulated())
    eraser.progress = front.step
    return _Ready(ledger, signer)


async def _iphone(target: EraseTarget, options: EraseOptions, front: FrontEnd, open_ledger: OpenLedger) -> tuple[ErasureRun, _Ready]:
    from agent.erasure.ios import RETURN_TIMEOUT_S, IosEraseOptions, IphoneEraser

    ios = IosEraseOptions(options.preserve_data_plan, options.disallow_proximity_setup,
                          RETURN_TIMEOUT_S if options.wait_s is None else options.wait_s)
    eraser = IphoneEraser(target.device_id, usbmux_address=target.usbmux_address, simulated=target.simulated)

    async def simulated() -> bool:
        return eraser.simulated

    try:
        ready = await _prepare(eraser, options, front, open_ledger, simulated)
        return await eraser.erase(ios), ready
    finally:
        await eraser.close()


async def _android(target: EraseTarget, options: EraseOptions, front: FrontEnd, open_ledger: OpenLedger) -> tuple[ErasureRun, _Ready]:
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
        ready = await _prepare(eraser, options, front, open_ledger, simulated)
        return await eraser.erase(RETURN_TIMEOUT_S if options.wait_s is None else options.wait_s, front.ask), ready
    finally:
        await link.close()


def _save(run: ErasureRun, ready: _Ready, station_id: str, folders: Sequence[Path]) -> Any:
    folders = [*folders, ready.ledger.folder]
    certificate = build_certificate(run, station_id=station_id, key_id=ready.ledger.key_id, operator=ready.signer.name,
                                    operator_reason=ready.signer.reason,
                                    diagnostics_report_id=latest_diagnostics_report(folders, run.device.serial))
    return ready.ledger.save(certificate, ERASURE_PAYLOAD_TYPE)
