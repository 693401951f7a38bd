"""A fake adbd made from a fixture, that the real adb server connects to over TCP.

    adbutils ──► adb server (real binary) ──TCP──► AdbdSimulator (this module) ──► Fixture

The adb server is told ``adb connect 127.0.0.1:PORT`` (by the caller, or by the simulator
itself when given ``adb_server_port``), exactly as for a phone on Wi-Fi, so everything
above the wire (adb server, adbutils, AdbAndroidLink, the checks) runs the code it runs
on a bench. Ports 5555-5585 are never used: the adb server scans them for emulators.

The protocol subset spoken (AOSP adb protocol.txt, SERVICES.TXT, shell_protocol.h):

- Messages: 24-byte little-endian header (command, arg0, arg1, data_length, checksum,
  magic = command ^ 0xffffffff) and a payload of at most the negotiated max_payload.
- Handshake: the host's CNXN(version, maxdata, "host::...") is answered with
  CNXN(min version, min maxdata, "device::ro.product.name=..;ro.product.model=..;
  ro.product.device=..;features=shell_v2,cmd,..."); the fixture's banner and features,
  less ``delayed_ack``, which we do not speak. Never STLS: the host then stays in plain
  TCP, as with an adbd that has no TLS.
- State ``unauthorized``: CNXN gets AUTH(TOKEN, 20 random bytes); every AUTH(SIGNATURE)
  gets a fresh TOKEN (no key is known); AUTH(RSAPUBLICKEY) waits for ``authorize()`` (the
  "Allow USB debugging?" tap), then CNXN. Once authorized, later connections skip AUTH.
- State ``offline``: the TCP connection is accepted and never answered.
- States ``recovery`` / ``sideload``: the banner starts with that word instead of device.
- Streams: OPEN(host id, 0, "service\\0") is answered with OKAY(our id, host id) at once
  (clients start their own timeout only after it), or CLSE(0, host id) for a service we
  do not have; output goes out as WRTE with one message in flight until the host's OKAY;
  a WRTE from the host (stdin, window size) is acknowledged and dropped; CLSE ends it.
- Services: ``shell:<cmd>`` (v1: stdout then stderr as raw bytes, then CLSE) and
  ``shell,v2[,raw|,pty|,TERM=..]:<cmd>`` (packets: id byte 1 stdout / 2 stderr /
  3 exit with a one-byte code, u32 little-endian length, then CLSE).
- ``reboot:recovery`` (``adb reboot recovery``): OKAY, CLSE, then the phone leaves and comes
  back in state ``recovery``. There a technician picks "Wipe data/factory reset" and
  "Reboot system now": ``wipe()``, or on its own ``recovery_wipe_s`` later (the demo's
  simulated technician). The phone leaves again and comes back as ``factory_fresh``
  makes it: setup not complete, no accounts, user data empty. Other ``reboot:`` targets
  come back as they were.
- Any other service (sync:, reverse:, framebuffer:, ...) is refused with CLSE.
- Commands the fixture lacks: exit 127, stderr "fixture lacks `CMD`". Per command
  ``delay_ms``; faults ``disconnect`` (drop the TCP connection and stay unplugged),
  ``hang`` (never answer) and ``garbage`` (agent.fixtures.format.garbage_for as stdout, exit 0).
  Exit codes travel as one byte, as on a phone: a fixture's 300 arrives as 44.

The simulator runs its own event loop in a thread, so tests and the blocking adb client
can drive it from anywhere; stop() closes every socket and joins the thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import socket
import threading
from collections.abc import Coroutine
from dataclasses import replace
from typing import Any, TypeVar

from agent.errors import SimulatorError
from agent.fixtures.format import CommandReply, Fixture
from agent.simulator.adb_transport import AdbdConnection

T = TypeVar("T")
log = logging.getLogger(__name__)
ADB_EMULATOR_PORTS = range(5555, 5586)
CONTROL_TIMEOUT_S = 5.0
#: how long a phone plugged (back) in keeps asking the adb server to connect it until the
#: server lists it: on a loaded machine a first ``host:connect`` can time out or be missed
ATTACH_S = 20.0


#: what a factory-reset phone answers where the fixture said otherwise (command -> stdout)
FACTORY_FRESH: dict[str, str] = {
    "settings get secure user_setup_complete": "0\n",
    "settings get global device_provisioned": "0\n",
    "settings get global secure_frp_mode": "0\n",
    "dumpsys account": "Accounts: 0\n",
    "du -sk /sdcard/": "88\t/sdcard/\n",
}


def in_state(fixture: Fixture, state: str) -> Fixture:
    assert fixture.android is not None
    return replace(fixture, android=replace(fixture.android, state=state))


def factory_fresh(fixture: Fixture) -> Fixture:
    """The same phone after a factory reset, with USB debugging allowed again for this
    station (on a real phone the technician turns it back on): in state ``device``, its
    identity, the answers of ``FACTORY_FRESH``, no faults."""
    assert fixture.android is not None
    commands = {**fixture.android.commands, **{c: CommandReply(out) for c, out in FACTORY_FRESH.items()}}
    android = replace(fixture.android, state="device", commands=commands)
    return replace(fixture, android=android, faults=())


class AdbdSimulator:
    """One simulated Android phone listening on 127.0.0.1.

    With ``adb_server_port`` the simulator also plays the USB cable: start() and plug()
    ask that adb server to connect to it, unplug() and a ``disconnect`` fault ask it to
    disconnect, so the phone leaves ``adb devices`` at once as a USB phone would. Without
    it the adb server treats the phone as a network device: after a drop it lists it as
    offline while it retries for about a minute.
    """

    def __init__(self, fixture: Fixture, port: int = 0, adb_server_port: int | None = None,
                 recovery_wipe_s: float | None = None) -> None:
        if fixture.android is None:
            raise SimulatorError(f"{fixture.name}: not an Android fixture")
        if port in ADB_EMULATOR_PORTS:
            raise SimulatorError(f"port {port} is in 5555-5585, which the adb server scans for emulators")
        self.fixture = fixture
        self.adb_server_port = adb_server_port
        self.recovery_wipe_s = recovery_wipe_s
        self._port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._connections: dict[asyncio.Task[None], AdbdConnection] = {}
        self._authorized: asyncio.Event | None = None
        self._attaching: asyncio.Task[None] | None = None
        self._pulling: asyncio.Task[None] | None = None
        self._rebooting: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        return self._port

    @property
    def serial(self) -> str:
        """The serial the adb server lists this phone under."""
        return f"127.0.0.1:{self._port}"

    def start(self) -> AdbdSimulator:
        """Listen (on an ephemeral port unless one was given), plug in, return self."""
        if self._thread is not None:
            return self
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=f"adbd-{self.fixture.name}", daemon=True)
        self._thread.start()
        try:
            self._call(self._setup())
            self._call(self._plug())
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Unplug, close every socket, end the thread; safe to call twice."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        try:
            if loop.is_running():
                self._call(self._shutdown())
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(CONTROL_TIMEOUT_S)
            loop.close()
            self._loop = self._thread = None

    def unplug(self) -> None:
        """The cable comes out: drop the connection and refuse new ones until plug(); a phone
        rebooting into recovery or waiting there for its wipe stays off the bench."""
        self._call(self._pull())

    def plug(self) -> None:
        """The cable goes (back) in: listen on the same port and attach to the adb server."""
        self._call(self._plug())

    def wipe(self) -> None:
        """The technician picks "Wipe data/factory reset", then "Reboot system now", in recovery."""
        self._call(self._wipe())

    def authorize(self) -> None:
        """Someone taps "Allow" on the phone: pending and later handshakes complete."""
        self._call(self._authorize())

    # -- on the simulator's loop -------------------------------------------------------

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        if self._loop is None:
            coro.close()
            raise SimulatorError(f"{self.fixture.name}: simulator is not running")
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result(CONTROL_TIMEOUT_S * 2)
        except concurrent.futures.TimeoutError as e:
            future.cancel()
            raise SimulatorError(f"{self.fixture.name}: simulator did not respond") from e

    async def _setup(self) -> None:
        assert self.fixture.android is not None
        self._authorized = asyncio.Event()
        if self.fixture.android.state != "unauthorized":
            self._authorized.set()

    async def _authorize(self) -> None:
        assert self._authorized is not None
        self._authorized.set()

    async def _plug(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(self._accept, sock=self._bound_socket())
        if self.adb_server_port is not None:
            self._attaching = asyncio.create_task(self._attach())
            assert self.fixture.android is not None
            if self.fixture.android.state != "offline":  # an offline phone keeps adb waiting 10 s
                await self._attaching

    def _bound_socket(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", self._port))
        except OSError as e:
            sock.close()
            raise SimulatorError(f"cannot listen on 127.0.0.1:{self._port}: {e.strerror or e}") from e
        self._port = sock.getsockname()[1]
        return sock

    async def _shutdown(self) -> None:
        if self._rebooting is not None:  # a phone waiting in recovery for its technician
            self._rebooting.cancel()
            await asyncio.gather(self._rebooting, return_exceptions=True)
        if self._pulling is not None:
            await asyncio.gather(self._pulling, return_exceptions=True)
        await self._unplug()

    async def _pull(self) -> None:
        if self._rebooting is not None and not self._rebooting.done():
            self._rebooting.cancel()
            await asyncio.gather(self._rebooting, return_exceptions=True)
        await self._unplug()

    async def _unplug(self) -> None:
        """Stop listening, hang up every connection and, when attached, tell the adb
        server, which then drops the phone from its list at once."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for connection in self._connections.values():
            connection.hang_up()
        pending: list[asyncio.Task[None]] = list(self._connections)
        if self._attaching is not None:
            self._attaching.cancel()  # an offline phone's connect that never completed
            pending.append(self._attaching)
        await asyncio.gather(*pending, return_exceptions=True)
        if self.adb_server_port is not None:
            await self._ask_adb(f"host:disconnect:{self.serial}")
        if server is not None:
            await server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        assert self._authorized is not None
        connection = AdbdConnection(reader, writer, self.fixture, self._authorized, self._fault_disconnect,
                                    self._reboot)
        task = asyncio.current_task()
        assert task is not None
        self._connections[task] = connection
        try:
            await connection.run()
        finally:
            del self._connections[task]

    async def _fault_disconnect(self) -> None:
        """A ``disconnect`` fault, raised from inside a stream that the unplug is about to
        cancel: so the unplug runs as a task of its own."""
        self._pulling = asyncio.create_task(self._unplug())

    async def _reboot(self, target: str) -> None:
        """Asked from inside a stream the unplug cancels: the reboot runs as a task of its own."""
        self._rebooting = asyncio.create_task(self._reboot_into(target))

    async def _reboot_into(self, target: str) -> None:
        await self._unplug()
        if target == "recovery":
            self.fixture = in_state(self.fixture, "recovery")
        await self._plug()
        if target == "recovery" and self.recovery_wipe_s is not None:
            await asyncio.sleep(self.recovery_wipe_s)
            await self._wipe()

    async def _wipe(self) -> None:
        assert self.fixture.android is not None
        if self.fixture.android.state != "recovery":
            raise SimulatorError(f"{self.fixture.name}: not in recovery, nothing to wipe from")
        await self._unplug()
        self.fixture = factory_fresh(self.fixture)
        await self._plug()

    async def _attach(self) -> None:
        """``host:connect`` until the adb server lists the phone (in any state), or ATTACH_S."""
        deadline = asyncio.get_running_loop().time() + ATTACH_S
        while True:
            await self._ask_adb(f"host:connect:{self.serial}")
            if await self._listed() or asyncio.get_running_loop().time() > deadline:
                return
            await asyncio.sleep(0.2)

    async def _listed(self) -> bool:
        try:
            devices = await asyncio.wait_for(self._exchange("host:devices"), CONTROL_TIMEOUT_S)
        except (OSError, ValueError, TimeoutError, asyncio.IncompleteReadError):
            return False
        status, _, listed = devices.decode(errors="replace").partition(" ")  # "OKAY serial\tstate\n..."
        return status == "OKAY" and any(line.split("\t")[0] == self.serial for line in listed.splitlines())

    async def _ask_adb(self, request: str) -> None:
        """One request to the adb server's smart socket. The answer is only logged: what
        the server made of it shows in ``adb devices``, which is what callers look at."""
        try:
            answer = await asyncio.wait_for(self._exchange(request), CONTROL_TIMEOUT_S)
            log.debug("adbd %s: %s -> %r", self.serial, request, answer)
        except (OSError, ValueError, TimeoutError, asyncio.IncompleteReadError) as e:
            log.warning("adbd %s: %s failed: %r", self.serial, request, e)

    async def _exchange(self, request: str) -> bytes:
        assert self.adb_server_port is not None
        reader, writer = await asyncio.open_connection("127.0.0.1", self.adb_server_port)
        try:
            writer.write(f"{len(request):04x}{request}".encode())
            status = await reader.readexactly(4)
            length = int(await reader.readexactly(4), 16)
            return status + b" " + await reader.readexactly(length)
        finally:
            writer.close()
