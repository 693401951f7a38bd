"""Finding phones: what each source sees, in one shape.

Three sources watch the bench: the adb server (track-devices), usbmuxd (Listen) and the
USB bus itself (pyusb). Each reports Sightings; the supervisor merges them into phones
in slots and starts sessions when a phone becomes ready.
"""

from __future__ import annotations

from dataclasses import dataclass

#: what the technician should do, by state
GUIDANCE: dict[str, str] = {
    "unauthorized": "Allow USB debugging on the phone (tick 'Always allow from this computer')",
    "offline": "The phone is offline to adb: unplug it and plug it in again",
    "recovery": "The phone is in recovery mode: reboot it to Android",
    "sideload": "The phone is in sideload mode: reboot it to Android",
    "no_permissions": "This station may not open the phone's USB device: check the udev rules",
    "trust_pending": "Tap Trust on the phone and enter its passcode",
    "denied": "The phone refused to trust this station: unplug it, plug it in again and tap Trust",
    "locked": "Unlock the phone with its passcode",
    "usb_only": "The phone is on USB but not reachable",
}


@dataclass(frozen=True)
class Sighting:
    """One source's view of one phone at one moment.

    ``key`` is what the source calls the phone (adb serial, UDID, or USB serial/path);
    ``present`` False means the source saw it leave. ``usb_path`` is the port in the normal
    form of ``agent.ports`` (``1-1.3``), ``location_id`` usbmuxd's LocationID.
    """

    source: str
    key: str
    platform: str
    state: str
    present: bool = True
    usb_path: str | None = None
    location_id: int | None = None
    detail: str | None = None

    def guidance(self) -> str | None:
        return self.detail or GUIDANCE.get(self.state)
