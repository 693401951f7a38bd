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
from typing import Any

from agent.discovery import Sighting
from agent.ports import location_path

log = logging.getLogger(__name__)


class UsbmuxSource:
    """Watches usbmuxd (the socket in USBMUXD_SOCKET_ADDRESS, or the system one)."""

    name = "usbmux"

    def __init__(self, address: str | None = None, retry_s: float = 1.0) -> None:
        self.address, self.retry_s = address, retry_s

    async def watch(self) -> AsyncIterator[Sighting]:
        from pymobiledevice3 import usbmux

        known: dict[int, tuple[str, bool]] = {}
        locations: dict[int, int] = {}
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
                    locations.update(await receive_with_locations(mux))
                    current = {d.devid: (d.serial, d.is_usb) for d in mux.devices}
                    for udid, present in attach_changes(known, current):
                        if not present:
                            yield Sighting(self.name, udid, "ios", "gone", present=False)
                            continue
                        location = _newest_location(udid, current, locations)
                        path = None if location is None else await asyncio.to_thread(location_path, location)
                        yield Sighting(self.name, udid, "ios", "attached", usb_path=path, location_id=location)
                    for devid in [d for d in locations if d not in current]:
                        del locations[devid]
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
            locations.clear()
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


def _newest_location(udid: str, current: Mapping[int, tuple[str, bool]], locations: Mapping[int, int]) -> int | None:
    """The LocationID of the phone's latest attachment (the highest device id), preferring USB."""
    ids = sorted((usb, devid) for devid, (serial, usb) in current.items() if serial == udid)
    return locations.get(ids[-1][1]) if ids else None


async def receive_with_locations(mux: Any) -> dict[int, int]:
    """``mux.receive_device_state_update()``, also returning ``{device id: LocationID}`` for
    the phone it announced.

    pymobiledevice3 (11.x) keeps only DeviceID, SerialNumber and ConnectionType of an Attached
    message (``PlistMuxConnection._process_device_state``) and drops ``Properties.LocationID``,
    the one field that says which USB socket the phone is in. So the message is read here with
    the connection's own ``_receive`` and handed to its own ``_process_device_state``, which
    keeps its device list as before; for the binary protocol the device record carries
    ``location`` itself. Pinned by tests/discovery/test_usbmux_location.py: if a release renames
    these methods, that test fails instead of the location quietly going missing.
    """
    from pymobiledevice3.usbmux import (
        BinaryMuxConnection,
        MuxDevice,
        PlistMuxConnection,
        UsbmuxdDeviceRecord,
        UsbmuxdRemoveData,
    )

    if isinstance(mux, PlistMuxConnection):
        message = await mux._receive()
        mux._process_device_state(message)
        properties = message.get("Properties") if message.get("MessageType") == "Attached" else None
        location = properties.get("LocationID") if isinstance(properties, dict) else None
        if isinstance(location, int) and not isinstance(location, bool) and 0 <= location < 1 << 32:
            return {int(message["DeviceID"]): location}
        return {}
    if isinstance(mux, BinaryMuxConnection):
        # the same dispatch as BinaryMuxConnection.receive_device_state_update, keeping the record's location
        response = await mux._receive_response()
        data = response.data
        if isinstance(data, UsbmuxdDeviceRecord):
            mux._add_device(MuxDevice(data.device_id, data.serial_number, "USB"))
            return {data.device_id: data.location}
        if isinstance(data, UsbmuxdRemoveData):
            mux._remove_device(data.device_id)
        return {}  # a Paired note, or something the plain call would have refused: nothing to add
    await mux.receive_device_state_update()
    return {}
