"""The small interface every check talks through.

A link is the only code that talks to a phone. Android links run shell commands; iOS
links read lockdown values and IORegistry entries and ask the mobile-config service. Every
call takes a timeout and raises LinkTimeout rather than hang, or LinkDisconnected once the
phone has gone away.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from agent.errors import LinkError

DEFAULT_TIMEOUT_S = 10.0
#: the lockdown service behind ``IosLink.mobile_config`` (pymobiledevice3's MobileConfigService)
MCINSTALL = "com.apple.mobile.MCInstall"


@dataclass(frozen=True)
class ShellResult:
    """What one shell command printed. ``exit_code`` is None when the transport could
    not tell (adb shell v1 has no exit status)."""

    stdout: str
    stderr: str
    exit_code: int | None

    @property
    def ok(self) -> bool:
        return self.exit_code in (0, None)


#: where a phone was reached; only these are real phones, which enter a station's record
REAL_PROVENANCE = frozenset({"usb", "network"})
#: how phonebench's own simulators say so to whoever reaches them, so a simulated phone is
#: never taken for a real one, whichever front end opened it: the fake adbd offers this
#: feature in its banner, the fake usbmuxd answers ReadBUID with this BUID
SIMULATOR_ADB_FEATURE = "phonebench_simulated"
SIMULATOR_USBMUX_BUID = "5E1F0A3C-7B2D-4C8E-9A61-0D3F2B7C4E15"


@dataclass(frozen=True)
class Provenance:
    """Where the phone behind a link was reached, as signed into its report.

    ``kind``: ``usb`` (adb over a USB transport, usbmux over USB), ``network`` (adb over
    TCP or Wi-Fi, usbmux over the network), ``simulated`` (the protocol simulators) or
    ``replay`` (a fixture, in process). ``transport_id`` is the transport's own name for it:
    adb's ``usb:1-1.3``, a network serial, ``usbmux:devid 3``, the fixture file."""

    kind: str
    transport_id: str | None = None

    @property
    def real(self) -> bool:
        return self.kind in REAL_PROVENANCE


class Link(ABC):
    """One connected phone."""

    platform: ClassVar[str]
    #: the adb serial or the UDID
    device_id: str
    #: where the link goes, for logs: "replay:pixel-7.yaml", "adb:127.0.0.1:7001", "usbmux:<udid>"
    describe: str = ""

    async def provenance(self, timeout: float = DEFAULT_TIMEOUT_S) -> Provenance:
        """Where this phone is reached. A link that cannot say is never taken for a real
        phone: the default is ``simulated``. LinkError when the transport cannot be asked."""
        return Provenance("simulated", self.describe or None)

    async def present(self, timeout: float = DEFAULT_TIMEOUT_S) -> bool | None:
        """Whether the transport still lists this phone as ready: False when it left (a
        failed read on it is then an interruption, not an error), None when the transport
        cannot tell. The answer comes from the transport (adb's device list, usbmuxd's),
        never from an error's text."""
        return True

    async def close(self) -> None:  # noqa: B027  (a link holding nothing has nothing to release)
        """Release whatever the link holds; safe to call twice."""


class AndroidLink(Link):
    platform: ClassVar[str] = "android"

    @abstractmethod
    async def shell(self, command: str, timeout: float = DEFAULT_TIMEOUT_S) -> ShellResult:
        """Run ``command`` on the phone's shell (the command line is sent as is)."""


class IosLink(Link):
    platform: ClassVar[str] = "ios"

    @abstractmethod
    async def lockdown_value(
        self, domain: str = "", key: str | None = None, timeout: float = DEFAULT_TIMEOUT_S
    ) -> Any:
        """One lockdown value, or the whole domain as a mapping when ``key`` is None.
        A value the phone does not have is None."""

    @abstractmethod
    async def ioregistry(self, name: str, timeout: float = DEFAULT_TIMEOUT_S) -> Mapping[str, Any] | None:
        """The properties of the IORegistry entry ``name`` through the diagnostics
        relay, or None when the phone has no such entry."""

    async def mobile_config(self, request: str, timeout: float = DEFAULT_TIMEOUT_S) -> Mapping[str, Any]:
        """The reply of the com.apple.mobile.MCInstall service to ``{RequestType: request}``
        (``GetCloudConfiguration``: ``{CloudConfiguration: {...}}``, or ``{}`` when the phone
        has none; ``GetProfileList``: ``{OrderedIdentifiers, ProfileManifest, ProfileMetadata}``),
        without its ``Status``. A refused request is a LinkError; so is a link that cannot
        reach the service, which is this default."""
        raise LinkError(f"{self.device_id}: `{service_read_key(MCINSTALL, request)}` cannot be read over this link")


def lockdown_read_key(domain: str) -> str:
    """The name a lockdown read goes by in fixtures, faults and sources."""
    return f"lockdown:{domain}"


def ioregistry_read_key(name: str) -> str:
    return f"ioregistry:{name}"


def service_read_key(service: str, request: str) -> str:
    """A request to a lockdown service (``service:com.apple.mobile.MCInstall/GetProfileList``)."""
    return f"service:{service}/{request}"
