"""Who administers the phone: the device owner and profile owners, by their admin package.

`dpm list-owners` (Android 11 on; DevicePolicyManagerServiceShellCommand) prints

    no owners                      (Android 12 on; Android 11 prints "none")
    1 owner:
    User  0: admin=com.example.mdm/.AdminReceiver,DeviceOwner
    User 10: admin=com.google.android.apps.work.clouddpc/.receivers.CloudDeviceAdminReceiver,ProfileOwner,ManagedProfileOwner(parentUserId=0)

Before Android 11 `dpm` has no list-owners: it prints its usage and "Error: unknown command
'list-owners'" on stderr. Then `dumpsys device_policy` tells, in Owners.dump's layout:

    Current Device Policy Manager state:
      Device Owner:
        admin=ComponentInfo{com.example.mdm/com.example.mdm.AdminReceiver}
        name=
        package=com.example.mdm
        User ID: 0
      Profile Owner (User 10):
        admin=ComponentInfo{...}
        ...
        package=com.example.work

and nothing of the two when there is no owner. Only package names are kept: they are the
admin app's, not a person's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PACKAGE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)+$")
_OWNER_LINE = re.compile(r"^User\s+(\d+): admin=([^/,\s]+)/\S*?((?:,[A-Za-z]+(?:\([^)]*\))?)*)\s*$")
_NO_OWNERS = ("no owners", "none")


@dataclass(frozen=True)
class Owners:
    """Admin packages: the device owner (None when there is none) and every profile owner."""

    device_owner: str | None
    profile_owners: tuple[str, ...]


def list_owners_unsupported(stdout: str, stderr: str) -> bool:
    """True when `dpm` does not know list-owners (Android 10 and older)."""
    return "unknown command 'list-owners'" in stdout + stderr


def parse_list_owners(text: str) -> Owners | None:
    """The owners `dpm list-owners` names, or None when the text is not its answer."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) == 1 and lines[0] in _NO_OWNERS:
        return Owners(None, ())
    head = re.fullmatch(r"(\d+) owners?:", lines[0]) if lines else None
    if head is None:
        return None
    device: str | None = None
    profiles: list[str] = []
    for line in lines[1:]:
        match = _OWNER_LINE.match(line)
        if match is None or not _PACKAGE.match(match.group(2)):
            return None
        flags = match.group(3).split(",")
        if "DeviceOwner" in flags:
            device = match.group(2)
        if "ProfileOwner" in flags:
            profiles.append(match.group(2))
    if len(lines) - 1 != int(head.group(1)):
        return None
    return Owners(device, tuple(dict.fromkeys(profiles)))


def parse_device_policy(text: str) -> Owners | None:
    """The owners in a `dumpsys device_policy`, or None when the text is not that dump."""
    if "Current Device Policy Manager state:" not in text:
        return None
    device: str | None = None
    profiles: list[str] = []
    section: str | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("Device Owner:"):
            section = "device"
        elif re.match(r"Profile Owner \(User \d+\):", stripped):
            section = "profile"
        elif section is not None and stripped.startswith("package="):
            package = stripped[len("package="):]
            if _PACKAGE.match(package):
                if section == "device":
                    device = package
                else:
                    profiles.append(package)
            section = None
        elif section is not None and not re.match(r"(admin|name|User ID|isOrganizationOwnedDevice)\b", stripped):
            section = None
    return Owners(device, tuple(dict.fromkeys(profiles)))
