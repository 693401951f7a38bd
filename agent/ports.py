"""The physical USB port a phone sits in, in one form whatever source saw it.

The normal form is the Linux kernel's port path, ``<bus>-<port>[.<port>...]`` (``1-1.3``: bus
1, root port 1, port 3 of the hub behind it), as in ``/sys/bus/usb/devices/1-1.3``. It names a
socket, not a phone, so the same socket keeps its name across re-plugs and restarts. Sources:

- adb: ``adb devices -l`` tags USB phones ``usb:1-1.3`` (the kernel path, since adb's Linux
  transport reads it from sysfs); a network phone has no tag, so no port.
- pyusb: ``dev.bus`` and ``dev.port_numbers`` give ``1`` and ``(1, 3)`` -> ``1-1.3``.
- usbmuxd: the Attached message's ``Properties.LocationID`` (u32). libimobiledevice's usbmuxd
  on Linux makes it ``(bus << 16) | device address`` (src/usb.c ``usb_get_location``); the
  address changes at every plug, so it is turned into the port path through sysfs, where the
  device folder with that ``busnum`` and ``devnum`` is named by its port path. Apple's usbmuxd
  (macOS) uses IOKit's locationID: the bus in the top byte and one nibble per port below it
  (``0x14130000``: bus 0x14, ports 1 then 3 -> ``20-1.3``). When neither applies the location
  stays a ``usbmux:0x...`` port, shown, but not a socket's name.
- simulated phones: ``sim-1.3`` (``SIM_PREFIX``), so no simulated port can pass for a real one.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

#: the kernel's port path: bus, then 1..7 port numbers (USB allows hubs 5 tiers deep)
PATH = re.compile(r"[1-9][0-9]{0,2}-[1-9][0-9]{0,2}(\.[1-9][0-9]{0,2}){0,6}")
SIM_PREFIX = "sim-"
SYSFS_USB = Path("/sys/bus/usb/devices")


@dataclass(frozen=True)
class Port:
    """Where a phone is plugged in: ``path`` in the normal form (or ``sim-...``, or
    ``usbmux:0x...`` when only usbmuxd's location is known), ``name`` the station config's
    name for it, ``location_id`` usbmuxd's LocationID when usbmuxd saw the phone."""

    path: str
    name: str | None = None
    location_id: int | None = None

    @property
    def physical(self) -> bool:
        """A socket's stable name (what the slot table may remember)."""
        return PATH.fullmatch(self.path) is not None

    def shown(self) -> str:
        """For a card: the configured name, else the path."""
        return self.name or self.path

    def to_json(self) -> dict[str, object]:
        """The report's ``session.port``."""
        location = None if self.location_id is None else f"0x{self.location_id:08x}"
        return {"path": self.path, "name": self.name, "usbmux_location": location}


def normal_path(raw: str | None) -> str | None:
    """``usb:1-1.3``, ``1-1.3`` or ``sim-1.3`` -> the normal form; None for anything else
    (a network serial, a Windows or macOS adb tag such as ``usb:336592896X``)."""
    if not raw:
        return None
    text = raw.strip().removeprefix("usb:")
    if PATH.fullmatch(text) or (text.startswith(SIM_PREFIX) and PATH.fullmatch("1-" + text.removeprefix(SIM_PREFIX))):
        return text
    return None


def pyusb_path(bus: int, port_numbers: tuple[int, ...] | list[int] | None) -> str | None:
    """pyusb's ``dev.bus`` and ``dev.port_numbers`` -> ``1-1.3``; None for a root hub (no ports)."""
    if not port_numbers:
        return None
    return normal_path(f"{bus}-" + ".".join(str(p) for p in port_numbers))


def location_path(location_id: int, sysfs: Path = SYSFS_USB, platform: str = sys.platform) -> str:
    """usbmuxd's LocationID -> the normal form when it can be worked out, else ``usbmux:0x...``."""
    if platform.startswith("linux"):
        found = _sysfs_path(location_id >> 16, location_id & 0xFFFF, sysfs)
        if found is not None:
            return found
    elif platform == "darwin" and location_id >> 24:
        nibbles = [(location_id >> shift) & 0xF for shift in range(20, -1, -4)]
        ports = []
        for n in nibbles:
            if n == 0:
                break
            ports.append(n)
        found = pyusb_path(location_id >> 24, ports)
        if found is not None:
            return found
    return f"usbmux:0x{location_id:08x}"


def _sysfs_path(bus: int, address: int, sysfs: Path) -> str | None:
    """The port path of the device numbered ``address`` on ``bus`` (Linux sysfs); None when
    there is no sysfs or no such device."""
    try:
        folders = list(sysfs.iterdir())
    except OSError:
        return None
    for folder in folders:
        if not PATH.fullmatch(folder.name):
            continue
        try:
            if int((folder / "busnum").read_text()) == bus and int((folder / "devnum").read_text()) == address:
                return folder.name
        except (OSError, ValueError):
            continue
    return None
