"""iPhones as usbmuxd sees them (``Listen``: Attached / Detached).

Whether a phone trusts this station is learnt when a link is opened, so every attached
phone is first reported as ``attached``; the supervisor then tries to pair.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from agent.discovery import Sighting

log = logging.getLogger(__name__)


class UsbmuxSource:
    """Watches usbmuxd (the socket in USBMUXD_SOCKET_ADDRESS, or the system one)."""

    name = "usbmux"

    def __init__(self, address: str | None = None, retry_s: float = 1.0) -> None:
        self.address, self.retry_s = address, retry_s

    async def watch(self) -> AsyncIterator[Sighting]:
        from pymobiledevice3 import usbmux

        known: dict[int, str] = {}
        warned = False
        while True:
            try:
                mux = await usbmux.create_mux(self.address)
            except Exception as e:
                if not warned:
                    log.info("usbmuxd not reachable (%s); iPhone detection waits for it", e)
                    warned = True
                await asyncio.sleep(self.retry_s)
                continue
            warned = False
            try:
                await mux.listen()
                while True:
                    await mux.receive_device_state_update()
                    current = {d.devid: d for d in mux.devices}
                    for devid, device in current.items():
                        if devid not in known:
                            known[devid] = device.serial
                            yield Sighting(self.name, device.serial, "ios", "attached", usb_path=None)
                    for devid in [d for d in known if d not in current]:
                        yield Sighting(self.name, known.pop(devid), "ios", "gone", present=False)
            except (ConnectionError, OSError, asyncio.IncompleteReadError) as e:
                log.info("usbmuxd connection lost (%s); reconnecting", e)
            except Exception as e:
                log.warning("usbmuxd said something unexpected (%s); reconnecting", e)
            finally:
                await mux.close()
            for serial in known.values():
                yield Sighting(self.name, serial, "ios", "gone", present=False)
            known.clear()
            await asyncio.sleep(self.retry_s)
