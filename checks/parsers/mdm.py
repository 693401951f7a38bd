"""The mobile-config service's replies: does an organisation manage this iPhone?

``GetCloudConfiguration`` answers ``{CloudConfiguration: {...}}``: the record Setup Assistant
keeps of its "Remote Management" step (CloudConfigurationDetails.plist on the phone). Every
phone that went through Setup Assistant has one, an unmanaged personal phone included:

    {AllowPairing: true, CloudConfigurationUIComplete: true, ConfigurationSource: 0,
     IsSupervised: false, PostSetupProfileWasInstalled: true}

so its presence means nothing. An organisation shows in its values: a non-zero
``ConfigurationSource`` (set by Apple Business/School Manager or Apple Configurator), an
enrolment URL, ``IsMandatory`` (enrolment cannot be skipped), ``IsMDMUnremovable`` (the
MDM profile cannot be removed), an ``OrganizationName``, ``IsSupervised``. The
organisation's name and magic are never copied out of here.

``GetProfileList`` answers ``{OrderedIdentifiers: [...], ProfileManifest: {id: {...}},
ProfileMetadata: {id: {PayloadDisplayName, PayloadRemovalDisallowed, ...}}}``; only how
many profiles there are, and how many refuse removal, is kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: CloudConfiguration keys whose presence (non-empty) means an organisation set it up
_ORGANISATION_KEYS = ("ConfigurationURL", "ConfigurationWebURL", "MDMServerURL", "OrganizationName", "OrganizationMagic")


@dataclass(frozen=True)
class CloudConfig:
    """``present``: an organisation set the phone up; ``signals``: the keys that say so."""

    present: bool
    signals: tuple[str, ...]
    mandatory: bool | None
    unremovable: bool | None
    supervised: bool | None


def read_cloud_configuration(reply: Mapping[str, Any]) -> CloudConfig | None:
    """What the reply says, or None when it is not the shape the service answers."""
    config = reply.get("CloudConfiguration")
    if config is None and not (set(reply) - {"CloudConfiguration"}):
        return CloudConfig(False, (), None, None, None)
    if not isinstance(config, Mapping):
        return None
    signals = [key for key in _ORGANISATION_KEYS if _text(config.get(key))]
    source = config.get("ConfigurationSource")
    if _whole(source) and source != 0:
        signals.append(f"ConfigurationSource {source}")
    flags = {key: config.get(key) for key in ("IsMandatory", "IsMDMUnremovable", "IsSupervised")}
    signals += [key for key, value in flags.items() if value is True]
    return CloudConfig(
        present=bool(signals),
        signals=tuple(signals),
        mandatory=_flag(flags["IsMandatory"]),
        unremovable=_flag(flags["IsMDMUnremovable"]),
        supervised=_flag(flags["IsSupervised"]),
    )


@dataclass(frozen=True)
class ProfileList:
    count: int
    removal_disallowed: int


def read_profile_list(reply: Mapping[str, Any]) -> ProfileList | None:
    """How many configuration profiles are installed, or None when the reply has no list."""
    ordered = reply.get("OrderedIdentifiers")
    metadata = reply.get("ProfileMetadata")
    if isinstance(ordered, list):
        count = len(ordered)
    elif isinstance(metadata, Mapping):
        count = len(metadata)
    else:
        return None
    entries = metadata.values() if isinstance(metadata, Mapping) else ()
    locked = sum(1 for entry in entries if isinstance(entry, Mapping) and entry.get("PayloadRemovalDisallowed") is True)
    return ProfileList(count, locked)


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())
