"""One TCP connection from the adb server to a simulated adbd: handshake, streams, shell.

The connection runs on the simulator's event loop. It reads messages in one loop and
serves each opened stream in its own task, so a slow or hanging command never blocks
the handshake or the other streams of the same phone.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from agent.fixtures.format import Fixture, garbage_for
from agent.links.replay import missing_command
from agent.simulator import adb_wire as w

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    """What the simulated phone does with one shell command."""

    stdout: bytes = b""
    stderr: bytes = b""
    exit_code: int = 0
    delay_s: float = 0.0
    fault: str = ""  # "", "disconnect" or "hang"


def answer_for(fixture: Fixture, command: str) -> Answer:
    """The same decision ReplayAndroidLink makes, as bytes for the wire."""
    assert fixture.android is not None
    fault = fixture.fault_at(command)
    if fault and fault.kind in ("disconnect", "hang"):
        return Answer(fault=fault.kind)
    reply = fixture.android.commands.get(command)
    delay_s = reply.delay_ms / 1000 if reply else 0.0
    if fault and fault.kind == "garbage":
        return Answer(garbage_for(command).encode(), b"", 0, delay_s)
    result = missing_command(command) if reply is None else reply
    return Answer(result.stdout.encode(), result.stderr.encode(), result.exit_code or 0, delay_s)


class _Stream:
    """One opened service: our id, the host's id, and the OKAY we wait for between WRTEs."""

    def __init__(self, local_id: int, remote_id: int) -> None:
        self.local_id = local_id
        self.remote_id = remote_id
        self.acked = asyncio.Event()
        self.closed = False


class AdbdConnection:
    """Speaks adbd's side of the transport protocol over one reader/writer pair."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        fixture: Fixture,
        authorized: asyncio.Event,
        on_disconnect_fault: Callable[[], Awaitable[None]],
        on_reboot: Callable[[str], Coroutine[Any, Any, None]] | None = None,
    ) -> None:
        assert fixture.android is not None
        self.reader = reader
        self.writer = writer
        sock = writer.get_extra_info("socket")
        if sock is not None:  # one small message per OKAY: Nagle would add 40 ms to each
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.fixture = fixture
        self.offline = fixture.android.state == "offline"
        self.authorized = authorized
        self.on_disconnect_fault = on_disconnect_fault
        self.on_reboot = on_reboot
        self.max_payload = w.MAX_PAYLOAD
        self.version = w.A_VERSION
        self.online = False
        self.streams: dict[int, _Stream] = {}
        self.next_id = 1
        self.tasks: set[asyncio.Task[None]] = set()
        self.waiting_for_user = False

    async def run(self) -> None:
        """Serve until the host hangs up or the connection is closed from our side."""
        try:
            while True:
                message = await self.read()
                if not self.offline:  # offline: listen, never answer
                    self.dispatch(message)
        except (asyncio.IncompleteReadError, ConnectionError, w.WireError) as e:
            log.debug("adbd %s: connection ends: %s", self.fixture.device_id, e)
        finally:
            await self.close()

    def hang_up(self) -> None:
        """Drop the TCP connection now; run() notices and cleans up."""
        self.writer.transport.abort()

    async def close(self) -> None:
        """Hang up: end every task this connection started, then the socket."""
        tasks = list(self.tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except (ConnectionError, OSError):
            pass

    async def read(self) -> w.Message:
        head = await self.reader.readexactly(w.HEADER.size)
        command, arg0, arg1, length = w.parse_header(head, w.MAX_PAYLOAD)
        data = await self.reader.readexactly(length) if length else b""
        return w.Message(command, arg0, arg1, data)

    def send(self, command: int, arg0: int, arg1: int, data: bytes = b"") -> None:
        if not self.writer.is_closing():
            self.writer.write(w.pack(w.Message(command, arg0, arg1, data)))

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def dispatch(self, m: w.Message) -> None:
        log.debug("adbd %s: got %s %d %d %r", self.fixture.device_id, m.name, m.arg0, m.arg1, m.data[:80])
        if m.command == w.A_CNXN:
            self.on_connect(m)
        elif m.command == w.A_AUTH:
            self.on_auth(m)
        elif not self.online:
            return  # nothing but CNXN and AUTH counts before the handshake
        elif m.command == w.A_OPEN:
            self.on_open(m)
        elif m.command == w.A_OKAY and (stream := self.streams.get(m.arg1)):
            stream.acked.set()
        elif m.command == w.A_WRTE and (stream := self.streams.get(m.arg1)):
            self.send(w.A_OKAY, stream.local_id, stream.remote_id)  # stdin, window size: read and dropped
        elif m.command == w.A_CLSE and (stream := self.streams.pop(m.arg1, None)):
            stream.closed = True
            stream.acked.set()

    # -- handshake -----------------------------------------------------------------

    def on_connect(self, m: w.Message) -> None:
        self.version = min(m.arg0, w.A_VERSION)
        self.max_payload = min(m.arg1, w.MAX_PAYLOAD) or w.MAX_PAYLOAD
        if self.authorized.is_set():
            self.send_connect()
        else:
            self.send_token()

    def on_auth(self, m: w.Message) -> None:
        if m.arg0 == w.AUTH_SIGNATURE:
            self.send_token()  # we know no key: every signature is refused
        elif m.arg0 == w.AUTH_RSAPUBLICKEY and not self.waiting_for_user:
            self.waiting_for_user = True
            self.spawn(self.connect_when_authorized())

    def send_token(self) -> None:
        self.send(w.A_AUTH, w.AUTH_TOKEN, 0, os.urandom(w.TOKEN_SIZE))

    async def connect_when_authorized(self) -> None:
        """The "Allow USB debugging?" dialog: the phone answers once someone taps Allow."""
        await self.authorized.wait()
        self.send_connect()

    def send_connect(self) -> None:
        android = self.fixture.android
        assert android is not None
        state = android.state if android.state in ("recovery", "sideload") else "device"
        self.send(w.A_CNXN, self.version, self.max_payload, w.banner(state, android.banner, android.features))
        self.online = True

    # -- streams ---------------------------------------------------------------------

    def on_open(self, m: w.Message) -> None:
        service = w.service_of(m.data)
        shell = w.parse_shell_service(service)
        log.debug("adbd %s: OPEN %r", self.fixture.device_id, service)
        if service.startswith("reboot:") and self.on_reboot is not None:
            self.send(w.A_OKAY, self.next_id, m.arg0)
            self.send(w.A_CLSE, self.next_id, m.arg0)
            self.next_id += 1
            self.spawn(self.on_reboot(service.removeprefix("reboot:")))
            return
        if shell is None:
            self.send(w.A_CLSE, 0, m.arg0)  # what adbd answers to a service it does not have
            return
        stream = _Stream(self.next_id, m.arg0)
        self.next_id += 1
        self.streams[stream.local_id] = stream
        self.send(w.A_OKAY, stream.local_id, stream.remote_id)
        v2, command = shell
        self.spawn(self.serve_shell(stream, command, v2))

    async def serve_shell(self, stream: _Stream, command: str, v2: bool) -> None:
        answer = answer_for(self.fixture, command)
        if answer.fault == "disconnect":
            await self.on_disconnect_fault()
            return
        if answer.fault == "hang":
            return  # the stream stays open and silent until the host gives up
        if answer.delay_s:
            await asyncio.sleep(answer.delay_s)
        if v2:
            body = b"".join(w.shell_v2_stream(answer.stdout, answer.stderr, answer.exit_code, self.max_payload))
        else:
            body = answer.stdout + answer.stderr
        await self.write_stream(stream, body)
        if not stream.closed:
            self.send(w.A_CLSE, stream.local_id, stream.remote_id)
            self.streams.pop(stream.local_id, None)

    async def write_stream(self, stream: _Stream, body: bytes) -> None:
        """WRTE in chunks of at most max_payload, one in flight until the host's OKAY."""
        for start in range(0, len(body), self.max_payload):
            if stream.closed:
                return
            stream.acked.clear()
            self.send(w.A_WRTE, stream.local_id, stream.remote_id, body[start:start + self.max_payload])
            await self.writer.drain()
            await stream.acked.wait()
