"""iPhones as usbmuxd sees them (``Listen``: Attached / Detached).

Whether a phone trusts this station is learnt when a link is opened, so every attached
phone is first reported as ``attached``; the supervisor then tries to pair.

usbmuxd lists a phone once per connection (USB, Wi-Fi) under a DeviceID that is new at
every attach. A phone leaves when its last entry goes; a new USB entry while an older USB
one is still listed is the phone plugged in again before usbmuxd said Detached: it is
reported as gone, then attached, so its old session is not taken for the new one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping

from agent.discovery import Sighting

log = logging.getLogger(__name__)


class UsbmuxSource:
    """Watches usbmuxd (the socket in USBMUXD_SOCKET_ADDRESS, or the system one)."""

    name = "usbmux"

    def __init__(self, address: str | None = None, retry_s: float = 1.0) -> None:
        self.address, self.retry_s = address, retry_s

    async def watch(self) -> AsyncIterator[Sighting]:
        from pymobiledevice3 import usbmux

        known: dict[int, tuple[str, bool]] = {}
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
                    current = {d.devid: (d.serial, d.is_usb) for d in mux.devices}
                    for udid, present in attach_changes(known, current):
                        yield Sighting(self.name, udid, "ios", "attached" if present else "gone", present=present)
                    known = current
            except (ConnectionError, OSError, asyncio.IncompleteReadError) as e:
                log.info("usbmuxd connection lost (%s); reconnecting", e)
            except Exception as e:
                log.warning("usbmuxd said something unexpected (%s); reconnecting", e)
            finally:
                await mux.close()
            for serial in dict.fromkeys(serial for serial, _ in known.values()):
                yield Sighting(self.name, serial, "ios", "gone", present=False)
            known = {}
            await asyncio.sleep(self.retry_s)


def attach_changes(
    before: Mapping[int, tuple[str, bool]], after: Mapping[int, tuple[str, bool]]
) -> list[tuple[str, bool]]:
    """What a change in usbmuxd's list means, phone by phone: ``(udid, present)`` in order.
    Both listings map DeviceID -> (UDID, is USB)."""
    out: list[tuple[str, bool]] = []
    for udid in dict.fromkeys(serial for serial, _ in [*before.values(), *after.values()]):
        old = {devid: usb for devid, (serial, usb) in before.items() if serial == udid}
        new = {devid: usb for devid, (serial, usb) in after.items() if serial == udid}
        if old and not new:
            out.append((udid, False))
        elif new and not old:
            out.append((udid, True))
        elif any(usb for devid, usb in new.items() if devid not in old) and any(old.values()):
            out += [(udid, False), (udid, True)]  # plugged in again; the Detached is late
    return out
