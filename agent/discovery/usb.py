"""Phones on the USB bus itself (pyusb), seen even when adb and usbmuxd cannot see them.

A phone with USB debugging off, on a charge-only cable, in MTP mode or not trusted is
still on the bus; the technician should see it with the likely reason. Where there is no
USB bus (a container, CI) the source switches off with one log line.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass

from agent.discovery import Sighting
from agent.discovery.vendors import likely_reason, maker
from agent.ports import normal_path, pyusb_path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UsbDevice:
    vendor_id: int
    product_id: int
    port_path: str
    serial: str | None


Scanner = Callable[[], Iterable[UsbDevice]]


def pyusb_scan() -> list[UsbDevice]:
    """Every device on the bus; raises when there is no USB backend or bus."""
    import usb.core
    import usb.util

    out = []
    for dev in usb.core.find(find_all=True):
        path = pyusb_path(dev.bus, dev.port_numbers) or f"{dev.bus}-"
        serial = None
        try:
            if dev.iSerialNumber:
                serial = usb.util.get_string(dev, dev.iSerialNumber)
        except Exception:  # no permission to open the device: the path still identifies it
            serial = None
        out.append(UsbDevice(dev.idVendor, dev.idProduct, path, serial))
    return out


class UsbSource:
    """Polls the bus; reports phones by maker, keyed by USB serial (or port path)."""

    name = "usb"

    def __init__(self, scan: Scanner = pyusb_scan, interval_s: float = 2.0) -> None:
        self.scan, self.interval_s = scan, interval_s

    async def watch(self) -> AsyncIterator[Sighting]:
        known: dict[str, Sighting] = {}
        while True:
            try:
                devices = await asyncio.to_thread(lambda: list(self.scan()))
            except Exception as e:
                log.info("no USB bus here (%s): USB-only phone detection is off", e)
                return
            current = {}
            for dev in devices:
                make = maker(dev.vendor_id, dev.product_id)
                if make is None:
                    continue
                key = dev.serial or dev.port_path
                platform = "ios" if dev.vendor_id == 0x05AC else "android"
                current[key] = Sighting(self.name, key, platform, "usb_only", usb_path=normal_path(dev.port_path),
                                        detail=f"{make}: {likely_reason(dev.vendor_id)}")
            for key, sighting in current.items():
                if known.get(key) != sighting:
                    yield sighting
            for key in [k for k in known if k not in current]:
                yield Sighting(self.name, key, known[key].platform, "gone", present=False, usb_path=known[key].usb_path)
            known = current
            await asyncio.sleep(self.interval_s)
