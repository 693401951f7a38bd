"""Android phones as the adb server sees them (``host:track-devices``).

adbutils' tracker is a blocking generator, so it runs in a thread and hands sightings
to the event loop. When the adb server goes away the tracker reconnects.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator

from agent.discovery import Sighting
from agent.links.adb_address import adb_address
from agent.ports import normal_path

log = logging.getLogger(__name__)

#: adb's state words -> ours ("device" is the only one a session can use)
STATES = {
    "device": "ready",
    "unauthorized": "unauthorized",
    "authorizing": "unauthorized",
    "offline": "offline",
    "connecting": "offline",
    "recovery": "recovery",
    "rescue": "recovery",
    "sideload": "sideload",
    "bootloader": "recovery",
}


def adb_state(word: str) -> str:
    if word.startswith("no permissions"):
        return "no_permissions"
    return STATES.get(word, "offline")


class AdbSource:
    """Watches one adb server (the environment's, as adb would, unless ``host``/``port``
    name one); yields a Sighting for every change."""

    name = "adb"

    def __init__(self, host: str | None = None, port: int | None = None, retry_s: float = 1.0,
                 start_server: bool = False) -> None:
        address = adb_address(port, host)
        self.host, self.port, self.retry_s = address.host, address.port, retry_s
        self.start_server = start_server
        self._server: object | None = None
        self._stop = threading.Event()
        self._server_lock = threading.Lock()

    def stop(self) -> None:
        """Stop tracking, and stop the adb server if this source started it."""
        self._stop.set()
        with self._server_lock:
            server, self._server = self._server, None
        if server is not None:
            server.stop()  # type: ignore[attr-defined]

    async def watch(self) -> AsyncIterator[Sighting]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Sighting] = asyncio.Queue()
        thread = threading.Thread(target=self._track, args=(loop, queue), name="adb-track", daemon=True)
        thread.start()
        try:
            while True:
                yield await queue.get()
        finally:
            self._stop.set()

    def _track(self, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[Sighting]) -> None:
        from agent.links.adb import adb_client

        if self.start_server and not self._stop.is_set():
            self._ensure_server()
        # never plain adbutils.AdbClient: it would start a server on the default port
        client = adb_client(self.port, self.host, timeout=None)
        warned = False
        while not self._stop.is_set():
            try:
                for event in client.track_devices():
                    if self._stop.is_set():
                        return
                    loop.call_soon_threadsafe(queue.put_nowait, self._sighting(client, event))
                    warned = False
            except Exception as e:  # the server went away or is not up yet: try again
                if not warned:
                    log.info("adb server %s:%s not answering (%s); retrying", self.host, self.port, e)
                    warned = True
            self._stop.wait(self.retry_s)

    def _ensure_server(self) -> None:
        """Start adbutils' bundled adb when no server runs (a station with no Android SDK)."""
        from agent.links.adb import ensure_adb_server

        try:
            server = ensure_adb_server(self.port, host=self.host)
        except Exception as e:
            log.warning("cannot start an adb server on %s:%s: %s; Android phones will not be seen", self.host, self.port, e)
            return
        if not server.started_here:
            return
        with self._server_lock:  # stop() may have run while the server was starting: it saw none
            if not self._stop.is_set():
                log.info("started the adb server on %s:%s (stopped again at exit)", self.host, self.port)
                self._server = server
                return
        server.stop()

    def _sighting(self, client: object, event: object) -> Sighting:
        serial, status, present = event.serial, event.status, event.present  # type: ignore[attr-defined]
        if not present or status == "absent":
            return Sighting(self.name, serial, "android", "gone", present=False)
        return Sighting(self.name, serial, "android", adb_state(status), usb_path=self._usb_path(client, serial))

    def _usb_path(self, client: object, serial: str) -> str | None:
        try:
            for info in client.list(extended=True):  # type: ignore[attr-defined]
                if info.serial == serial:
                    return normal_path(info.tags.get("usb"))
        except Exception:
            return None
        return None
