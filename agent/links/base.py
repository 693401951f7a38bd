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


class Link(ABC):
    """One connected phone."""

    platform: ClassVar[str]
    #: the adb serial or the UDID
    device_id: str
    #: where the link goes, for logs: "replay:pixel-7.yaml", "adb:127.0.0.1:7001", "usbmux:<udid>"
    describe: str = ""

    async def close(self) -> None:
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
