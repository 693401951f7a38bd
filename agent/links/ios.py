"""The live iOS link: lockdown values, IORegistry entries and the mobile-config service's
read-only replies (GetCloudConfiguration, GetProfileList) through usbmuxd, by pymobiledevice3.

The link connects on first use (or on ``connect()``), pairing if the station has no pair
record for the phone yet. Pair records live in the station's own folder
(``<data dir>/pair_records``), not pymobiledevice3's shared one, so a station's trust is
its own. Pairing never waits for the technician: a pending Trust dialog is an error with
the guidance to show, and the next call simply tries again.

Every call is bounded by its timeout. pymobiledevice3 exceptions stop here and come out as
LinkError subclasses (agent/errors.py), one line each:

    LinkError
    ├── LinkTimeout         the phone did not answer in time
    ├── LinkDisconnected    the phone went away (unplugged, usbmuxd lost it, connection reset)
    ├── TrustPending        the Trust dialog is up on the phone
    ├── TrustDenied         the technician tapped Don't Trust
    ├── PhoneLocked         the phone has a passcode and is locked
    └── NotPaired           pairing failed, or the phone forgot this station

After any failure the connection is dropped and the next call reconnects, so one bad read
never poisons the next. pymobiledevice3 is imported lazily: it is slow to import and the
TUI's cold start matters.
"""

from __future__ import annotations

import asyncio
import contextlib
import plistlib
import tempfile
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from agent import paths
from agent.errors import (
    EraseRequestRefused,
    LinkDisconnected,
    LinkError,
    LinkTimeout,
    NotPaired,
    PhoneLocked,
    TrustDenied,
    TrustPending,
)
from agent.links.base import (
    DEFAULT_TIMEOUT_S,
    MCINSTALL,
    SIMULATOR_USBMUX_BUID,
    IosLink,
    Provenance,
    ioregistry_read_key,
    lockdown_read_key,
    service_read_key,
)
from agent.text import inert

if TYPE_CHECKING:
    from pymobiledevice3.lockdown import LockdownClient
    from pymobiledevice3.services.diagnostics import DiagnosticsService

T = TypeVar("T")
CLOSE_TIMEOUT_S = 2.0
#: the MCInstall requests that only read (never SetCloudConfiguration, InstallProfile, ...)
_MOBILE_CONFIG_READS = ("GetCloudConfiguration", "GetProfileList")


def pair_records_dir() -> Path:
    """Where this station keeps its pair records."""
    return paths.data_dir() / "pair_records"


class PmdIosLink(IosLink):
    """One iPhone reached through usbmuxd: ``usbmux_address`` (``HOST:PORT`` or a socket
    path, as pymobiledevice3 takes it), else the ``USBMUXD_SOCKET_ADDRESS`` one, else the
    system's."""

    def __init__(
        self, udid: str, *, pair_records: Path | None = None, usbmux_address: str | None = None, simulated: bool = False
    ) -> None:
        self.device_id = udid
        self.describe = f"usbmux:{udid}"
        self.usbmux_address = usbmux_address
        self.simulated = simulated
        self._pair_records = pair_records or pair_records_dir()
        self._lockdown: LockdownClient | None = None
        self._diagnostics: DiagnosticsService | None = None
        self._lock = asyncio.Lock()

    async def connect(self, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        """Connect (and pair) now rather than at the first read, so trust problems show
        before any check runs."""
        await self._bounded("lockdown", timeout, self._client)

    async def lockdown_value(self, domain: str = "", key: str | None = None, timeout: float = DEFAULT_TIMEOUT_S) -> Any:
        async def read() -> Any:
            from pymobiledevice3.exceptions import MissingValueError

            client = await self._client()
            try:
                return await client.get_value(domain or None, key)
            except MissingValueError:
                return None

        return await self._bounded(lockdown_read_key(domain), timeout, read)

    async def ioregistry(self, name: str, timeout: float = DEFAULT_TIMEOUT_S) -> Mapping[str, Any] | None:
        what = ioregistry_read_key(name)

        async def read() -> Mapping[str, Any] | None:
            entry = await (await self._diagnostics_service()).ioregistry(name=name)
            if entry is None:
                return None
            if not isinstance(entry, Mapping):
                raise LinkError(f"{self.device_id}: `{what}` answered a {type(entry).__name__}, not a dictionary")
            return dict(entry)

        return await self._bounded(what, timeout, read)

    async def erase_device(
        self, *, preserve_data_plan: bool, disallow_proximity_setup: bool, timeout: float = DEFAULT_TIMEOUT_S
    ) -> None:
        """Erase All Content and Settings, by MCInstall's ``EraseDevice`` (pymobiledevice3's
        ``MobileConfigService.erase_device``). The phone acknowledges and leaves the bus; the
        link's connection is dropped afterwards, and the next call reconnects. A reply other
        than ``Acknowledged`` (iOS 10.3.3 answers ``CommandFormatError``) is EraseRequestRefused."""
        from pymobiledevice3.exceptions import ProfileError

        async def erase() -> None:
            try:
                await self._mcinstall(lambda s: s.erase_device(preserve_data_plan, disallow_proximity_setup))
            except ProfileError as e:
                said = _one_line(e)
                raise EraseRequestRefused(f"{self.device_id}: MCInstall EraseDevice refused: {said}", said) from e

        try:
            await self._bounded("MCInstall EraseDevice", timeout, erase)
        finally:
            await self._drop()

    async def erase_device_by_backup(self, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        """Erase All Content and Settings by mobilebackup2's ``EraseDevice`` DeviceLink message
        (pymobiledevice3's ``Mobilebackup2Service.erase_device``, what ``backup2 erase-device``
        sends): no options. The DeviceLink session gets a private empty folder, never the
        user's; an error the phone reports instead of erasing is EraseRequestRefused."""
        from pymobiledevice3.exceptions import PyMobileDevice3Exception
        from pymobiledevice3.services.mobilebackup2 import Mobilebackup2Service

        async def erase() -> None:
            with tempfile.TemporaryDirectory(prefix="phonebench-mobilebackup2-") as folder:
                try:
                    async with Mobilebackup2Service(await self._client()) as service:
                        await service.erase_device(folder)
                except PyMobileDevice3Exception as e:
                    if type(e) is not PyMobileDevice3Exception:  # DeviceLink.dl_loop raises the base class
                        raise  # for the phone's own error reply; subclasses mean something else
                    said = _one_line(Exception(*e.args))  # without pymobiledevice3's "please report it"
                    raise EraseRequestRefused(f"{self.device_id}: mobilebackup2 EraseDevice refused: {said}",
                                              said) from e

        try:
            await self._bounded("mobilebackup2 EraseDevice", timeout, erase)
        finally:
            await self._drop()

    async def configuration_profiles(self, timeout: float = DEFAULT_TIMEOUT_S) -> list[str]:
        """The identifiers of the installed configuration profiles (MCInstall ``GetProfileList``:
        ``OrderedIdentifiers``, else the keys of ``ProfileMetadata``)."""

        async def read() -> list[str]:
            answer = await self._mcinstall(lambda service: service.get_profile_list())
            return profile_identifiers(answer)

        return await self._bounded("MCInstall GetProfileList", timeout, read)

    async def _mcinstall(self, call: Callable[[Any], Awaitable[T]]) -> T:
        from pymobiledevice3.services.mobile_config import MobileConfigService

        service = MobileConfigService(await self._client())
        try:
            return await call(service)
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(service.close(), CLOSE_TIMEOUT_S)

    async def provenance(self, timeout: float = DEFAULT_TIMEOUT_S) -> Provenance:
        """``usb`` or ``network`` as usbmuxd lists the phone's connection, with usbmuxd's
        device id; ``simulated`` for a link the simulated bench opened."""
        from pymobiledevice3 import usbmux

        if self.simulated:
            return Provenance("simulated", f"usbmux:{self.device_id}")
        try:
            devices = await asyncio.wait_for(usbmux.list_devices(usbmux_address=self.usbmux_address), timeout)
        except Exception as e:
            raise wrap_error(e, self.device_id, "usbmux ListDevices") from e
        device = next((d for d in devices if d.serial == self.device_id), None)
        if device is None:
            raise LinkDisconnected(f"{self.device_id}: usbmuxd no longer lists the phone")
        if await behind_simulator(self.usbmux_address, timeout):
            return Provenance("simulated", f"usbmux:{self.device_id}")
        return Provenance("usb" if device.is_usb else "network", f"usbmux:devid {device.devid}")

    async def attachment(self, timeout: float = DEFAULT_TIMEOUT_S) -> int | None:
        """usbmuxd's DeviceID for the phone (a new one at each attach), None while it is not
        listed; LinkError when usbmuxd cannot be asked."""
        from pymobiledevice3 import usbmux

        try:
            devices = await asyncio.wait_for(usbmux.list_devices(usbmux_address=self.usbmux_address), timeout)
        except Exception as e:
            raise wrap_error(e, self.device_id, "usbmux ListDevices") from e
        return next((d.devid for d in devices if d.serial == self.device_id), None)

    async def present(self, timeout: float = DEFAULT_TIMEOUT_S) -> bool | None:
        from pymobiledevice3 import usbmux

        try:
            devices = await asyncio.wait_for(usbmux.list_devices(usbmux_address=self.usbmux_address), timeout)
        except Exception:  # usbmuxd itself is unreachable or said something odd: cannot tell
            return None
        return any(d.serial == self.device_id for d in devices)
    async def mobile_config(self, request: str, timeout: float = DEFAULT_TIMEOUT_S) -> Mapping[str, Any]:
        """Through pymobiledevice3's MobileConfigService, one service connection per request."""
        what = service_read_key(MCINSTALL, request)
        if request not in _MOBILE_CONFIG_READS:
            raise LinkError(f"{self.device_id}: `{what}` is not a read this link makes")

        async def read() -> Mapping[str, Any]:
            from pymobiledevice3.services.mobile_config import MobileConfigService

            async with MobileConfigService(await self._client()) as service:
                if request == "GetCloudConfiguration":
                    config = await service.get_cloud_configuration()
                    return {} if config is None else {"CloudConfiguration": config}
                reply = await service.get_profile_list()
                return {k: v for k, v in reply.items() if k != "Status"}

        return await self._bounded(what, timeout, read)

    async def close(self) -> None:
        await self._drop()

    async def _bounded(self, what: str, timeout: float, call: Callable[[], Awaitable[T]]) -> T:
        try:
            return await asyncio.wait_for(call(), timeout)
        except TimeoutError as e:
            await self._drop()
            raise LinkTimeout(f"{self.device_id}: `{what}` did not answer within {timeout:g} s") from e
        except LinkError:
            await self._drop()
            raise
        except Exception as e:
            await self._drop()
            raise wrap_error(e, self.device_id, what) from e

    async def _client(self) -> LockdownClient:
        async with self._lock:
            if self._lockdown is None:
                from pymobiledevice3.lockdown import create_using_usbmux

                client = await create_using_usbmux(
                    serial=self.device_id,
                    autopair=False,
                    pairing_records_cache_folder=self._pair_records,
                    usbmux_address=self.usbmux_address,
                )
                try:
                    await _pair(client, self.usbmux_address)
                except BaseException:
                    await client.close()
                    raise
                self._lockdown = client
            return self._lockdown

    async def _diagnostics_service(self) -> DiagnosticsService:
        client = await self._client()
        async with self._lock:
            if self._diagnostics is None:
                from pymobiledevice3.services.diagnostics import DiagnosticsService

                diagnostics = DiagnosticsService(client)
                await diagnostics.connect()
                self._diagnostics = diagnostics
            return self._diagnostics

    async def _drop(self) -> None:
        diagnostics, lockdown = self._diagnostics, self._lockdown
        self._diagnostics = self._lockdown = None
        for closing in (diagnostics, lockdown):
            if closing is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(closing.close(), CLOSE_TIMEOUT_S)


async def behind_simulator(usbmux_address: str | None, timeout: float = DEFAULT_TIMEOUT_S) -> bool:
    """Whether usbmuxd is phonebench's simulator: it answers ReadBUID with its own BUID, which
    no usbmuxd of a real station has."""
    from pymobiledevice3 import usbmux

    try:
        mux = await asyncio.wait_for(usbmux.create_mux(usbmux_address=usbmux_address), timeout)
    except Exception:
        return False  # no usbmuxd: the link's own reads say so, in their words
    try:
        buid = await asyncio.wait_for(mux.get_buid(), timeout) if isinstance(mux, usbmux.PlistMuxConnection) else None
    except Exception:
        return False
    finally:
        await mux.close()
    return buid == SIMULATOR_USBMUX_BUID


async def _pair(client: LockdownClient, usbmux_address: str | None) -> None:
    """Pair unless already paired, as pymobiledevice3's autopair does (a pending Trust dialog
    is an error at once: the supervisor asks again), with the pair record handed to the same
    usbmuxd the link talks to: pymobiledevice3's own ``save_pair_record`` on a plist usbmuxd
    opens the default one (``create_mux()`` without an address)."""
    from pymobiledevice3 import usbmux
    from pymobiledevice3.exceptions import FatalPairingError
    from pymobiledevice3.lockdown import UsbmuxLockdownClient

    if client.paired:  # create_using_usbmux validated an existing pairing
        return

    async def save_pair_record() -> None:
        await UsbmuxLockdownClient.save_pair_record(client)  # the record on this station's disk
        device = getattr(client.service, "mux_device", None)
        if client.pair_record is None or client.identifier is None or device is None:
            return
        async with await usbmux.create_mux(usbmux_address=usbmux_address) as mux:
            if isinstance(mux, usbmux.PlistMuxConnection):
                await mux.save_pair_record(client.identifier, device.devid, plistlib.dumps(client.pair_record))

    client.save_pair_record = save_pair_record  # type: ignore[method-assign]
    await client.pair(timeout=0)
    if not await client.validate_pairing():
        raise FatalPairingError()


def profile_identifiers(answer: Any) -> list[str]:
    """``GetProfileList``'s answer -> profile identifiers; anything not that shape -> LinkError."""
    if not isinstance(answer, Mapping):
        raise LinkError(f"GetProfileList answered a {type(answer).__name__}, not a dictionary")
    ordered, metadata = answer.get("OrderedIdentifiers"), answer.get("ProfileMetadata")
    names = ordered if isinstance(ordered, list) else list(metadata) if isinstance(metadata, Mapping) else []
    return [inert(str(name)) for name in names]


def wrap_error(error: Exception, udid: str, what: str) -> LinkError:
    """The LinkError a pymobiledevice3 (or socket) failure means for the technician."""
    from pymobiledevice3 import exceptions as x

    if isinstance(error, x.PairingDialogResponsePendingError):
        return TrustPending(f"{udid}: Tap Trust on the phone and enter its passcode")
    if isinstance(error, x.UserDeniedPairingError):
        return TrustDenied(f"{udid}: The phone refused to trust this station")
    if isinstance(error, x.PasswordRequiredError):
        return PhoneLocked(f"{udid}: Unlock the phone (it has a passcode) and try again")
    if isinstance(error, x.ConnectionFailedToUsbmuxdError):
        return LinkError(f"{udid}: cannot reach usbmuxd (is it running?)")
    if isinstance(error, (x.MuxVersionError, x.BadCommandError)):
        return LinkError(f"{udid}: usbmuxd refused `{what}`: {_one_line(error)}")
    gone = (x.DeviceNotFoundError, x.NoDeviceConnectedError, x.ConnectionTerminatedError, x.MuxException)
    if isinstance(error, (*gone, ConnectionError, EOFError)):
        return LinkDisconnected(f"{udid}: the phone went away during `{what}`")
    if isinstance(error, (x.NotPairedError, x.PairingError, x.FatalPairingError)):
        return NotPaired(f"{udid}: not paired with this station ({_one_line(error)})")
    return LinkError(f"{udid}: `{what}` failed: {_one_line(error)}")


def _one_line(error: Exception, limit: int = 160) -> str:
    """The exception as one short line: its text may quote what the phone sent."""
    text = " ".join(str(error).split()) or type(error).__name__
    text = inert(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
