"""The live Android link: shell commands through the adb server, by way of adbutils.

adbutils is blocking, so every call runs in a worker thread, bounded twice: by adbutils'
own socket timeout (so the thread ends) and by ``asyncio.wait_for`` (so the session never
waits longer than it asked). adbutils and socket errors stop here and come out as the
LinkError family: LinkDisconnected when the phone is gone, LinkTimeout when it is silent.

Two liberties with adbutils, both to keep a bench from doing things behind our back:
its connections never start an adb server on their own (adbutils would run
``adb start-server`` on the default port when the server is unreachable), and no socket
waits longer than the call's timeout (adbutils waits up to 10 minutes while opening).
Which server is asked follows adb's own conventions (``ANDROID_ADB_SERVER_PORT`` and
friends, see adb_address.py) unless a caller names one.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import socket
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from agent.errors import LinkDisconnected, LinkError, LinkTimeout
from agent.links.adb_address import DEFAULT_HOST as DEFAULT_ADB_HOST
from agent.links.adb_address import DEFAULT_PORT as DEFAULT_ADB_PORT
from agent.links.adb_address import ENV_ADDRESS, ENV_HOST, ENV_PORT, AdbAddress, adb_address, fit_for_adbutils
from agent.links.base import DEFAULT_TIMEOUT_S, SIMULATOR_ADB_FEATURE, AndroidLink, Provenance, ShellResult
from agent.shutdown import on_forced_exit

with fit_for_adbutils():  # adbutils reads ANDROID_ADB_SERVER_PORT as it loads
    from adbutils import AdbClient, AdbConnection, AdbDevice
    from adbutils._utils import adb_path
    from adbutils.errors import AdbConnectionError, AdbError, AdbTimeout

T = TypeVar("T")
SERVER_TIMEOUT_S = 20.0
#: what ``AdbAndroidLink.reboot`` may ask adbd for
REBOOT_TARGETS = frozenset({"recovery", "bootloader"})
CONNECT_TIMEOUT_S = 3.0
#: what the adb server answers when the serial's transport is gone or not usable
#: (host, port) -> that adb server's protocol version, asked once per process
_SERVER_VERSIONS: dict[tuple[str, int], int] = {}
#: port -> withdraws its last-resort stop, for the adb servers this process started and
#: has not stopped yet: a forced exit stops them too, and the test run checks none is left
_STARTED: dict[int, Callable[[], None]] = {}


class _NoSpawnConnection(AdbConnection):
    """A connection to the adb server that fails instead of starting one, and closes
    its socket when the connect fails (adbutils leaves that to the garbage collector)."""

    def __init__(self, host: str, port: int) -> None:
        self._address = (host, port)
        super().__init__(host, port)

    def _safe_connect(self) -> socket.socket:
        try:
            return socket.create_connection(self._address, timeout=CONNECT_TIMEOUT_S)
        except TimeoutError as e:
            raise AdbTimeout("connect to adb server timeout") from e
        except OSError as e:
            raise AdbConnectionError(f"connect to adb server failed: {e}") from e


class _BoundedClient(AdbClient):
    """An AdbClient whose sockets never wait longer than ``cap`` seconds (None: no cap),
    that reports an unreachable server instead of starting one, and whose close() closes
    every connection it made (adbutils leaves some open when the server answers FAIL)."""

    def __init__(self, host: str, port: int, cap: float | None) -> None:
        super().__init__(host=host, port=port, socket_timeout=cap)
        self.cap = cap
        self.made: list[AdbConnection] = []

    def make_connection(self, timeout: float | None = None) -> AdbConnection:
        connection = _NoSpawnConnection(self.host, self.port)
        self.made = [c for c in self.made if not c.closed] + [connection]
        limits = [t for t in (timeout, self.cap) if t]
        connection.conn.settimeout(min(limits) if limits else None)
        return connection

    def server_version(self) -> int:
        """Asked by adbutils before every transport; one server's version does not change."""
        key = (self.host, self.port)
        if key not in _SERVER_VERSIONS:
            _SERVER_VERSIONS[key] = super().server_version()
        return _SERVER_VERSIONS[key]

    def close(self) -> None:
        for connection in self.made:
            connection.close()
        self.made.clear()


#: adbutils blocks, so each command holds a thread while the phone answers. The default
#: pool has cpu+4 threads (6 on a 2-core station), which would queue a 32-phone bench.
ADB_THREADS = 128
_POOL: concurrent.futures.ThreadPoolExecutor | None = None


def _blocking_pool() -> concurrent.futures.ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = concurrent.futures.ThreadPoolExecutor(ADB_THREADS, thread_name_prefix="adb-shell")
    return _POOL


class AdbAndroidLink(AndroidLink):
    """One phone (or simulator) as the adb server lists it; the server is the environment's
    (adb_address.py) unless ``host``/``port`` name one."""

    def __init__(self, serial: str, host: str | None = None, port: int | None = None, *, simulated: bool = False) -> None:
        address = adb_address(port, host)
        self.device_id = serial
        self.host = address.host
        self.port = address.port
        self.simulated = simulated
        self.describe = f"adb:{serial}"
        self._features: frozenset[str] | None = None

    @classmethod
    def from_device(cls, device: AdbDevice) -> AdbAndroidLink:
        """The link for an adbutils device (adbutils keeps its client private)."""
        client = device._client
        assert device.serial, "adbutils devices found by transport id have no serial"
        return cls(device.serial, client.host, client.port)

    async def shell(self, command: str, timeout: float = DEFAULT_TIMEOUT_S) -> ShellResult:
        try:
            call = asyncio.get_running_loop().run_in_executor(_blocking_pool(), self._shell, command, timeout)
            return await asyncio.wait_for(call, timeout)
        except TimeoutError as e:  # asyncio.TimeoutError is TimeoutError from 3.11
            raise LinkTimeout(f"{self.describe}: `{command}` did not answer within {timeout:g} s") from e

    async def provenance(self, timeout: float = DEFAULT_TIMEOUT_S) -> Provenance:
        """``usb`` with adb's ``usb:<bus path>`` when `adb devices -l` shows a USB transport,
        ``network`` with the serial (host:port, mDNS name) otherwise; ``simulated`` for a
        link the simulated bench opened."""
        if self.simulated:
            return Provenance("simulated", f"adb:{self.device_id}")

        def ask() -> Provenance:
            client = _BoundedClient(self.host, self.port, timeout)
            try:
                infos = client.list(extended=True)
            except (AdbError, OSError, EOFError) as e:
                raise LinkError(f"{self.describe}: cannot ask the adb server how the phone is connected: {e}") from e
            finally:
                client.close()
            info = next((i for i in infos if i.serial == self.device_id), None)
            if info is None:
                raise LinkDisconnected(f"{self.describe}: the adb server no longer lists the phone")
            if self._simulator_says_so(timeout):
                return Provenance("simulated", f"adb:{self.device_id}")
            usb = info.tags.get("usb")
            return Provenance("usb", f"usb:{usb}") if usb else Provenance("network", self.device_id)

        call = asyncio.get_running_loop().run_in_executor(_blocking_pool(), ask)
        try:
            return await asyncio.wait_for(call, timeout)
        except TimeoutError as e:
            raise LinkTimeout(f"{self.describe}: the adb server did not answer within {timeout:g} s") from e

    async def present(self, timeout: float = DEFAULT_TIMEOUT_S) -> bool | None:
        def listed() -> bool | None:
            client = _BoundedClient(self.host, self.port, timeout)
            try:
                return self._listed(client)
            finally:
                client.close()

        try:
            call = asyncio.get_running_loop().run_in_executor(_blocking_pool(), listed)
            return await asyncio.wait_for(call, timeout)
        except TimeoutError:
            return None

    async def state(self, timeout: float = DEFAULT_TIMEOUT_S) -> str | None:
        """The phone's state as the adb server lists it (``device``, ``recovery``,
        ``unauthorized``...), None while it is not listed; LinkError when the server cannot be asked."""

        def ask() -> str | None:
            client = _BoundedClient(self.host, self.port, timeout)
            try:
                return next((d.state for d in client.list() if d.serial == self.device_id), None)
            except (AdbError, OSError, EOFError) as e:
                raise LinkError(f"{self.describe}: cannot ask the adb server for the phone's state: {e}") from e
            finally:
                client.close()

        return await self._blocking(ask, timeout, "the adb server")

    async def reboot(self, target: str, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        """``adb reboot TARGET`` (adbd's own ``reboot:`` service: no shell privilege needed).
        ``target`` is one of REBOOT_TARGETS, never a phone's or a user's free text."""
        if target not in REBOOT_TARGETS:
            raise LinkError(f"{self.describe}: no reboot target {target!r}")

        def reboot() -> None:
            client = _BoundedClient(self.host, self.port, timeout)
            try:
                connection = client.device(self.device_id).open_transport(timeout=timeout)
                connection.send_command(f"reboot:{target}")
                connection.check_okay()
                connection.read_until_close()
            except (AdbError, OSError, EOFError) as e:
                raise self._wrap(e, f"reboot {target}", timeout) from e
            finally:
                client.close()

        await self._blocking(reboot, timeout, f"`reboot {target}`")

    async def _blocking(self, call: Callable[[], T], timeout: float, what: str) -> T:
        future = asyncio.get_running_loop().run_in_executor(_blocking_pool(), call)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError as e:
            raise LinkTimeout(f"{self.describe}: {what} did not answer within {timeout:g} s") from e

    def _simulator_says_so(self, timeout: float) -> bool:
        """phonebench's fake adbd offers SIMULATOR_ADB_FEATURE; no phone does."""
        client = _BoundedClient(self.host, self.port, timeout)
        try:
            features = client.device(self.device_id).get_features().split(",")
        except (AdbError, OSError, EOFError):
            return False  # the shell reads say what is wrong; provenance stays what adb lists
        finally:
            client.close()
        return SIMULATOR_ADB_FEATURE in features

    def _listed(self, client: AdbClient) -> bool | None:
        """Whether the adb server lists this phone in state ``device``; None when the
        server itself cannot be asked."""
        try:
            return any(d.serial == self.device_id and d.state == "device" for d in client.list())
        except (AdbError, OSError, EOFError):
            return None

    def _shell(self, command: str, timeout: float) -> ShellResult:
        client = _BoundedClient(self.host, self.port, timeout)
        device = client.device(self.device_id)
        try:
            if self._features is None:
                self._features = frozenset(device.get_features().split(","))
            if "shell_v2" in self._features:
                device._features = set(self._features)  # else adbutils asks the server again per command
                raw = device.shell2(command, timeout=timeout, encoding=None, v2=True)
                return ShellResult(_text(raw.stdout), _text(raw.stderr), raw.returncode)
            output = device.shell(command, timeout=timeout, encoding=None, rstrip=False)
            # v1 ends the same way whether the command finished or the phone left
            if device.get_state() != "device":
                raise LinkDisconnected(f"{self.describe}: phone left during `{command}`")
            return ShellResult(_text(output), "", None)
        except LinkError:
            raise
        except (AdbError, EOFError, OSError) as e:
            error = self._wrap(e, command, timeout)
            if type(error) is LinkError and self._listed(client) is False:
                error = LinkDisconnected(f"{self.describe}: `{command}`: phone went away ({error})")
            raise error from e
        finally:
            client.close()

    def _wrap(self, e: BaseException, command: str, timeout: float) -> LinkError:
        where = f"{self.describe}: `{command}`"
        if isinstance(e, (AdbTimeout, TimeoutError)):
            return LinkTimeout(f"{where} did not answer within {timeout:g} s")
        if isinstance(e, AdbConnectionError):
            return LinkError(f"{where}: adb server at {self.host}:{self.port} unreachable")
        if isinstance(e, (EOFError, ConnectionError)):
            return LinkDisconnected(f"{where}: phone went away")
        message = str(e).splitlines()[0] if str(e) else type(e).__name__
        return LinkError(f"{where}: {message}")  # whether the phone left, the engine asks adb


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def adb_client(port: int | None = None, host: str | None = None,
               timeout: float | None = DEFAULT_TIMEOUT_S) -> AdbClient:
    """An adbutils client that never starts an adb server behind our back: plain adbutils
    runs ``adb start-server`` on the default port whenever the server is unreachable.
    ``timeout=None`` leaves its sockets blocking, for ``track_devices``."""
    address = adb_address(port, host)
    return _BoundedClient(address.host, address.port, timeout)


@dataclass(frozen=True)
class AdbServer:
    """The adb server a bench talks to, and whether we are the ones who started it."""

    port: int = DEFAULT_ADB_PORT
    host: str = DEFAULT_ADB_HOST
    started_here: bool = False

    def client(self, timeout: float | None = DEFAULT_TIMEOUT_S) -> AdbClient:
        return adb_client(self.port, self.host, timeout)

    def stop(self, timeout: float = SERVER_TIMEOUT_S) -> None:
        """``adb kill-server``, only for a server this process started."""
        if self.started_here:
            stop_adb_server(self.port, timeout)


def stop_adb_server(port: int, timeout: float = SERVER_TIMEOUT_S) -> None:
    """``adb -P port kill-server`` through the bundled adb, on this machine: for servers we
    started, or that a simulated bench killed with SIGKILL left behind."""
    withdraw = _STARTED.pop(port, None)
    if withdraw is not None:
        withdraw()
    _run_adb(port, "kill-server", timeout=timeout)


def started_servers() -> list[int]:
    """The ports of the adb servers this process started and has not stopped."""
    return sorted(_STARTED)


def answers(port: int, host: str = DEFAULT_ADB_HOST) -> bool:
    """Whether an adb server answers at host:port now."""
    return _answers(AdbAddress(host, port))


def ensure_adb_server(port: int | None = None, timeout: float = SERVER_TIMEOUT_S, *, host: str | None = None) -> AdbServer:
    """The adb server at host:port (default: the environment's), started with adbutils'
    bundled adb if none runs there and the address is on this machine (as adb does)."""
    address = adb_address(port, host)
    if _answers(address):
        return AdbServer(address.port, address.host)
    if not address.local:
        raise LinkError(f"no adb server on {address} (adb starts servers on this machine only)")
    _run_adb(address.port, "start-server", timeout=timeout)
    if not _answers(address):
        raise LinkError(f"adb server on {address} did not come up")
    port = address.port
    _STARTED[port] = on_forced_exit(lambda: _run_adb(port, "kill-server", timeout=1.0))
    return AdbServer(address.port, address.host, started_here=True)


def running_adb_server(port: int | None = None, *, host: str | None = None) -> AdbServer:
    """The adb server at host:port (default: the environment's), which must already run:
    for commands that act on one phone, where a new server would not know it yet anyway."""
    address = adb_address(port, host)
    if not _answers(address):
        raise LinkError(f"no adb server on {address} (start one with `adb start-server`, or set {ENV_PORT})")
    return AdbServer(address.port, address.host)


def _answers(address: AdbAddress) -> bool:
    """Asks the server now: the per-process version cache would vouch for one that has since stopped."""
    client = _BoundedClient(address.host, address.port, 2.0)
    try:
        AdbClient.server_version(client)
    except (AdbError, OSError):
        return False
    finally:
        client.close()
    return True


def _run_adb(port: int, action: str, timeout: float) -> None:
    """The bundled adb, on the local server at ``port`` whatever the environment says."""
    env = {k: v for k, v in os.environ.items() if k not in (ENV_ADDRESS, ENV_HOST)}
    env[ENV_PORT] = str(port)
    try:
        done = subprocess.run([adb_path(), "-P", str(port), action], env=env, stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired, AdbError) as e:
        raise LinkError(f"`adb -P {port} {action}` failed: {e}") from e
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", errors="replace").strip().splitlines()
        raise LinkError(f"`adb -P {port} {action}` exited {done.returncode}: {detail[-1] if detail else ''}")
