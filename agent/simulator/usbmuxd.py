"""A fake usbmuxd on a UNIX socket, serving simulated iPhones made from fixtures.

The real pymobiledevice3 reaches it when ``USBMUXD_SOCKET_ADDRESS`` holds
``socket_address`` (a path means a UNIX socket; ``host:port`` would mean TCP). The variable
matters, not a function argument: pymobiledevice3's pairing path opens usbmuxd without
passing the address along.

Plist protocol only (version 1, message type 8; framing in ios_wire). Requests, by
``MessageType``, each answered with the request's tag:

    ReadBUID          -> {BUID}
    ListDevices       -> {DeviceList: [Attached records]}
    Listen            -> Result 0, an Attached for each phone, then Attached / Detached
                         (tag 0) as phones are plugged and unplugged, until the client leaves
    ReadPairRecord    PairRecordID -> {PairRecordData} or Result 2 when there is none
    SavePairRecord    PairRecordID, PairRecordData -> Result 0
    DeletePairRecord  PairRecordID -> Result 0
    Connect           DeviceID, PortNumber (network byte order) -> Result 0, and from then
                      on the connection is the phone's port: 62078 is lockdownd, the ports
                      StartService handed out are services (TLS from the first byte).
                      Result 2 for an unknown phone, 3 for a closed port.
    anything else     -> Result 1 (bad command); another protocol version -> Result 6

It runs its own event loop on a thread, so a host blocked on a hung phone cannot stall it,
and sync code (tests, the demo) can drive it: start()/stop(), plug()/unplug(), trust()/deny().

A phone that obeys an EraseDevice (MCInstall's or mobilebackup2's) detaches at once and is plugged in again, as a
factory-fresh phone under a new DeviceID, ``erase_return_s`` later (None: it never comes
back, as when the cable is pulled mid-erase).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import ssl
import tempfile
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from agent.errors import SimulatorError, UsageError
from agent.fixtures.format import Fixture
from agent.links.base import SIMULATOR_USBMUX_BUID
from agent.shutdown import on_forced_exit
from agent.simulator.ios_backup import serve_mobilebackup2
from agent.simulator.ios_certs import device_public_key_pem, server_context
from agent.simulator.ios_diagnostics import serve_diagnostics
from agent.simulator.ios_mcinstall import serve_mcinstall
from agent.simulator.ios_phone import Conn, Pairing, SimPhone, factory_fresh
from agent.simulator.ios_wire import MUX_MESSAGE_PLIST, MUX_VERSION_PLIST, WireError, mux_packet, read_mux_packet
from agent.simulator.leftovers import SOCKET_DIR_PREFIX
from agent.simulator.lockdownd import DIAGNOSTICS_RELAY, LOCKDOWN_PORT, MOBILEBACKUP2, Lockdownd

BUID = SIMULATOR_USBMUX_BUID
RESULT_OK, RESULT_BADCOMMAND, RESULT_BADDEV, RESULT_CONNREFUSED, RESULT_BADVERSION = 0, 1, 2, 3, 6
APPLE_PRODUCT_ID = 0x12A8
T = TypeVar("T")
#: socket folder -> withdraws its last-resort removal, for every simulator started and not stopped
_LIVE: dict[Path, Callable[[], None]] = {}


def live_socket_dirs() -> list[Path]:
    """The socket folders of the usbmuxd simulators this process started and has not stopped."""
    return sorted(_LIVE)


class UsbmuxdSimulator:
    """One usbmuxd serving any number of simulated phones."""

    def __init__(self, erase_return_s: float | None = 0.5) -> None:
        self.erase_return_s = erase_return_s
        #: erased phones on their way back, by UDID (an unplug cancels the return)
        self._returning: dict[str, asyncio.TimerHandle] = {}
        self._dir: Path | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopping: asyncio.Event | None = None
        self._phones: dict[int, SimPhone] = {}
        self._memory: dict[str, dict[str, Pairing]] = {}
        self._records: dict[str, bytes] = {}
        self._listeners: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._next_id = 1
        self._locations: dict[str, int] = {}  # udid -> LocationID given at plug()

    @property
    def socket_address(self) -> str:
        """What to put in USBMUXD_SOCKET_ADDRESS."""
        if self._dir is None:
            raise SimulatorError("the usbmuxd simulator is not started")
        return str(self._dir / "usbmuxd.sock")

    def start(self) -> UsbmuxdSimulator:
        if self._thread is not None:
            return self
        device_public_key_pem()  # the RSA key, made once per process here rather than mid-handshake
        self._dir = folder = Path(tempfile.mkdtemp(prefix=SOCKET_DIR_PREFIX))
        _LIVE[folder] = on_forced_exit(lambda: shutil.rmtree(folder, ignore_errors=True))
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), name="usbmuxd-simulator", daemon=True)
        self._thread.start()
        if not ready.wait(10) or not os.path.exists(self.socket_address):
            self.stop()
            raise SimulatorError(f"the usbmuxd simulator did not start at {self._dir}")
        return self

    def stop(self) -> None:
        """Close every connection and the socket, and end the thread; safe to call twice."""
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and self._stopping is not None:
            loop.call_soon_threadsafe(self._stopping.set)
        if thread is not None:
            thread.join(10)
        if loop is not None and not loop.is_running():
            loop.close()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            _LIVE.pop(self._dir, lambda: None)()
        self._loop = self._thread = self._stopping = None
        self._dir = None
        # unplugged with the daemon; the phones' memory of pairings and the saved records stay
        self._phones.clear()
        self._listeners.clear()
        self._tasks.clear()

    def __enter__(self) -> UsbmuxdSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def plug(self, fixture: Fixture, location_id: int | None = None) -> int:
        """Attach the phone ``fixture`` describes; returns its usbmux DeviceID. Its Attached
        message says ``LocationID`` as Linux usbmuxd does, ``(bus << 16) | address``: by default
        bus 1 and a new address at every plug (as a real re-plug gets), else ``location_id``
        (kept for the phone's later plugs, as its socket would be)."""
        if fixture.ios is None:
            raise UsageError(f"{fixture.name}: not an iOS fixture, usbmuxd serves iPhones only")
        if location_id is not None:
            self._locations[fixture.ios.udid] = location_id
        return self._in_loop(self._plug, fixture)

    def unplug(self, udid: str) -> None:
        """The cable comes out; a phone away erasing itself then never comes back."""
        self._in_loop(lambda: self._pull(udid))

    def _pull(self, udid: str) -> None:
        returning = self._returning.pop(udid, None)
        if returning is not None:
            returning.cancel()
            return
        self._phone(udid).unplug()

    def trust(self, udid: str) -> None:
        """The technician taps Trust and enters the passcode."""
        self._in_loop(lambda: setattr(self._phone(udid), "trust", "paired"))

    def deny(self, udid: str) -> None:
        """The technician taps Don't Trust."""
        self._in_loop(lambda: setattr(self._phone(udid), "trust", "denied"))

    @property
    def udids(self) -> list[str]:
        return self._in_loop(lambda: [p.udid for p in self._phones.values()])

    # --- on the simulator's loop from here on ---

    def _in_loop(self, action: Callable[..., T], *args: Any) -> T:
        if self._loop is None:
            raise SimulatorError("the usbmuxd simulator is not started")

        async def run() -> T:
            return action(*args)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout=10)

    def _run(self, ready: threading.Event) -> None:
        assert self._loop is not None
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._main(ready))
        finally:
            ready.set()  # a server that failed to bind must not keep start() waiting

    async def _main(self, ready: threading.Event) -> None:
        self._stopping = asyncio.Event()
        server = await asyncio.start_unix_server(self._accept, self.socket_address)
        ready.set()
        await self._stopping.wait()
        server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await server.wait_closed()

    def _plug(self, fixture: Fixture) -> int:
        assert fixture.ios is not None
        udid = fixture.ios.udid
        if any(p.udid == udid for p in self._phones.values()):
            raise UsageError(f"{udid} is already plugged in")
        phone = SimPhone(fixture, self._next_id, self._memory.setdefault(udid, {}), self._detached, self._erased)
        self._next_id += 1
        self._phones[phone.device_id] = phone
        self._announce(_attached(phone, self._locations))
        return phone.device_id

    def _phone(self, udid: str) -> SimPhone:
        phone = next((p for p in self._phones.values() if p.udid == udid), None)
        if phone is None:
            raise UsageError(f"no simulated phone {udid} is plugged in")
        return phone

    def _erased(self, phone: SimPhone) -> None:
        """Plug the erased phone back in, fresh, after the erase delay (never when it is None)."""
        if self.erase_return_s is None or self._loop is None:
            return
        fresh = factory_fresh(phone.fixture)
        self._returning[fresh.device_id] = self._loop.call_later(self.erase_return_s, self._replug, fresh)

    def _replug(self, fixture: Fixture) -> None:
        self._returning.pop(fixture.device_id, None)
        with contextlib.suppress(UsageError):  # plugged in by hand meanwhile
            self._plug(fixture)

    def _detached(self, phone: SimPhone) -> None:
        self._phones.pop(phone.device_id, None)
        self._announce({"MessageType": "Detached", "DeviceID": phone.device_id})

    def _announce(self, event: Mapping[str, Any]) -> None:
        for writer in list(self._listeners):
            with contextlib.suppress(Exception):
                writer.write(mux_packet(event, 0))

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._serve(reader, writer)
        except (WireError, ConnectionError, OSError, ssl.SSLError):
            pass  # a client that breaks the protocol or vanishes only loses its connection
        except asyncio.CancelledError:
            pass  # stop(): the connection ends here; asyncio's stream callback must not see a cancel
        finally:
            self._tasks.discard(task)
            self._listeners.discard(writer)
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while (packet := await read_mux_packet(reader)) is not None:
            send = lambda body: writer.write(mux_packet(body, packet.tag))  # noqa: E731
            if packet.version != MUX_VERSION_PLIST or packet.message != MUX_MESSAGE_PLIST:
                send(_result(RESULT_BADVERSION))
                continue
            kind = packet.body.get("MessageType")
            if kind == "Listen":
                send(_result(RESULT_OK))
                for phone in self._phones.values():
                    send(_attached(phone, self._locations))
                self._listeners.add(writer)
                while await reader.read(4096):
                    pass
                return
            if kind == "Connect":
                target, port = self._connect_target(packet.body)
                if target is None or port is None:
                    send(_result(RESULT_BADDEV if target is None else RESULT_CONNREFUSED))
                    continue
                send(_result(RESULT_OK))
                await self._device_stream(target, port, Conn(reader, writer))
                return
            send(self._answer(kind, packet.body))
            await writer.drain()

    def _answer(self, kind: Any, body: Mapping[str, Any]) -> Mapping[str, Any]:
        record_id = str(body.get("PairRecordID", ""))
        if kind == "ReadBUID":
            return {"BUID": BUID}
        if kind == "ListDevices":
            return {"DeviceList": [_attached(p, self._locations) for p in self._phones.values()]}
        if kind == "ReadPairRecord":
            record = self._records.get(record_id)
            return _result(RESULT_BADDEV) if record is None else {"PairRecordData": record}
        if kind == "SavePairRecord" and isinstance(body.get("PairRecordData"), bytes):
            self._records[record_id] = body["PairRecordData"]
            return _result(RESULT_OK)
        if kind == "DeletePairRecord":
            self._records.pop(record_id, None)
            return _result(RESULT_OK)
        return _result(RESULT_BADCOMMAND)

    def _connect_target(self, body: Mapping[str, Any]) -> tuple[SimPhone | None, int | None]:
        phone = self._phones.get(body.get("DeviceID"))  # type: ignore[arg-type]
        raw = body.get("PortNumber")
        port = socket.ntohs(raw) if isinstance(raw, int) and 0 <= raw <= 0xFFFF else None
        if phone is None or port is None:
            return phone, None
        return phone, port if port == LOCKDOWN_PORT or phone.service_at(port) else None

    async def _device_stream(self, phone: SimPhone, port: int, conn: Conn) -> None:
        phone.track(conn)
        try:
            if port == LOCKDOWN_PORT:
                await Lockdownd(phone, conn).serve()
                return
            service = phone.service_at(port)
            assert service is not None
            name, pairing = service
            serve = {DIAGNOSTICS_RELAY: serve_diagnostics, MOBILEBACKUP2: serve_mobilebackup2}.get(name, serve_mcinstall)
            if await conn.start_tls(server_context(pairing.device_certificate, pairing.host_certificate), pairing):
                await serve(phone, conn)
        finally:
            phone.untrack(conn)


def _result(number: int) -> Mapping[str, Any]:
    return {"MessageType": "Result", "Number": number}


def _attached(phone: SimPhone, locations: Mapping[str, int]) -> Mapping[str, Any]:
    return {
        "MessageType": "Attached",
        "DeviceID": phone.device_id,
        "Properties": {
            "ConnectionType": "USB",
            "DeviceID": phone.device_id,
            "LocationID": locations.get(phone.udid, (1 << 16) | (phone.device_id + 1)),
            "ProductID": APPLE_PRODUCT_ID,
            "SerialNumber": phone.udid,
            "ConnectionSpeed": 480000000,
        },
    }
