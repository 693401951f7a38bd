"""The locks check on iPhone and iPad: activation, Find My, supervision, remote management,
configuration profiles, passcode, SIM. Lockdown values and the mobile-config service's
read-only replies; see checks/locks.py for the metrics a profile grades.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agent.check import CheckContext, Metric, unknown
from agent.errors import LinkDisconnected, LinkError, LinkTimeout
from agent.links.base import IosLink, lockdown_read_key, service_read_key
from checks import commands as cmd
from checks.parsers.mdm import CloudConfig, read_cloud_configuration, read_profile_list
from checks.shell import gather_reads, said

READS = (
    lockdown_read_key(cmd.LOCKDOWN_DEFAULT), lockdown_read_key(cmd.LOCKDOWN_FMIP),
    lockdown_read_key(cmd.LOCKDOWN_CHAPERONE), service_read_key(cmd.MCINSTALL, cmd.MC_CLOUD_CONFIGURATION),
    service_read_key(cmd.MCINSTALL, cmd.MC_PROFILE_LIST),
)  # fmt: skip
FIND_MY_LIMIT = ("known limit: on an erased phone in Setup Assistant (not yet activated) IsAssociated reads false "
                 "although Activation Lock may still hold")
_SIM_PREFIX = "kCTSIMSupportSIMStatus"
_CLOUD = service_read_key(cmd.MCINSTALL, cmd.MC_CLOUD_CONFIGURATION)
_PROFILES = service_read_key(cmd.MCINSTALL, cmd.MC_PROFILE_LIST)


async def measure(ctx: CheckContext, link: IosLink) -> dict[str, Metric]:
    timeout = ctx.timeout_s
    default, fmip, chaperone = await gather_reads(
        link.lockdown_value(cmd.LOCKDOWN_DEFAULT, timeout=timeout),
        link.lockdown_value(cmd.LOCKDOWN_FMIP, timeout=timeout),
        link.lockdown_value(cmd.LOCKDOWN_CHAPERONE, timeout=timeout),
    )
    cloud = await _service(link, cmd.MC_CLOUD_CONFIGURATION, timeout)
    profiles = await _service(link, cmd.MC_PROFILE_LIST, timeout)
    values = default if isinstance(default, Mapping) else {}
    activation = _text(values, "", "ActivationState")
    config = read_cloud_configuration(cloud) if isinstance(cloud, Mapping) else None
    metrics = {
        "activation_state": activation,
        "find_my_enabled": _find_my(fmip, activation),
        "supervised": _supervised(chaperone, config),
        "passcode_set": _flag(values, "", "PasswordProtected", "lockdown has no PasswordProtected"),
        "sim_status": _sim(values),
    }
    metrics.update(_cloud(cloud, config))
    metrics["configuration_profiles_count"], metrics["configuration_profiles_locked"] = _profiles(profiles)
    return metrics


async def _service(link: IosLink, request: str, timeout: float) -> Mapping[str, Any] | str:
    """The reply, or why there is none; a phone that went away or hangs ends the check."""
    try:
        return await link.mobile_config(request, timeout=timeout)
    except (LinkDisconnected, LinkTimeout):
        raise
    except LinkError as e:
        return said(str(e), 160) or type(e).__name__


def _text(values: Mapping[str, Any], domain: str, key: str) -> Metric:
    value = values.get(key)
    source = cmd.lockdown_source(domain, key)
    if isinstance(value, str) and value.strip():
        return Metric(said(value, 40), source)
    return unknown(f"lockdown has no {key} (or it is not text)", source)


def _flag(values: Any, domain: str, key: str, missing: str) -> Metric:
    value = values.get(key) if isinstance(values, Mapping) else None
    source = cmd.lockdown_source(domain, key)
    return Metric(value, source) if isinstance(value, bool) else unknown(missing, source)


def _find_my(fmip: Any, activation: Metric) -> Metric:
    metric = _flag(fmip, cmd.LOCKDOWN_FMIP, "IsAssociated", f"lockdown has no {cmd.LOCKDOWN_FMIP} IsAssociated")
    if metric.value is None:
        return metric
    state = activation.value if activation.value is not None else "unknown"
    return Metric(metric.value, metric.source, method=f"ActivationState {state}; {FIND_MY_LIMIT}")


def _supervised(chaperone: Any, config: CloudConfig | None) -> Metric:
    metric = _flag(chaperone, cmd.LOCKDOWN_CHAPERONE, "DeviceIsChaperoned",
                   f"lockdown has no {cmd.LOCKDOWN_CHAPERONE} DeviceIsChaperoned")
    if metric.value is None and config is not None and config.supervised is not None:
        return Metric(config.supervised, f"{_CLOUD} IsSupervised", method="DeviceIsChaperoned missing; the cloud "
                                                                          "configuration's IsSupervised")
    return metric


def _cloud(reply: Mapping[str, Any] | str, config: CloudConfig | None) -> dict[str, Metric]:
    names = ("mdm_cloud_configuration", "mdm_enrollment_mandatory", "mdm_profile_removable")
    if config is None:
        why = reply if isinstance(reply, str) else f"not a cloud configuration: {said(repr(dict(reply)), 60)!r}"
        return {name: unknown(f"`{_CLOUD}`: {why}", _CLOUD) for name in names}
    hidden = "the organisation's name is left out"
    if not config.present:
        none = "no cloud configuration set by an organisation"
        how = ("ConfigurationSource 0, no enrolment URL, organisation or mandatory/unremovable/supervised flag "
               "(every phone that went through Setup Assistant has the record)")
        return {names[0]: Metric("absent", _CLOUD, method=how), names[1]: unknown(none, _CLOUD),
                names[2]: unknown(none, _CLOUD)}
    signals = f"set by an organisation: {', '.join(config.signals)}; {hidden}"
    mandatory = (Metric(config.mandatory, f"{_CLOUD} IsMandatory") if config.mandatory is not None
                 else unknown("the cloud configuration has no IsMandatory", _CLOUD))
    removable = (Metric(not config.unremovable, f"{_CLOUD} IsMDMUnremovable", method="not IsMDMUnremovable")
                 if config.unremovable is not None else unknown("the cloud configuration has no IsMDMUnremovable", _CLOUD))
    return {names[0]: Metric("present", _CLOUD, method=signals), names[1]: mandatory, names[2]: removable}


def _profiles(reply: Mapping[str, Any] | str) -> tuple[Metric, Metric]:
    listing = read_profile_list(reply) if isinstance(reply, Mapping) else None
    if listing is None:
        why = reply if isinstance(reply, str) else "no OrderedIdentifiers or ProfileMetadata in the reply"
        return unknown(f"`{_PROFILES}`: {why}", _PROFILES), unknown(f"`{_PROFILES}`: {why}", _PROFILES)
    return (Metric(listing.count, _PROFILES, method="installed configuration profiles; names left out"),
            Metric(listing.removal_disallowed, f"{_PROFILES} PayloadRemovalDisallowed",
                   method="profiles that refuse removal"))


def _sim(values: Mapping[str, Any]) -> Metric:
    """SIMStatus without Core Telephony's prefix (Ready, NotInserted, PINLocked, OperatorLocked, ...)."""
    raw = values.get("SIMStatus")
    source = cmd.lockdown_source("", "SIMStatus")
    if not isinstance(raw, str) or not raw.strip():
        return unknown("lockdown has no SIMStatus (or it is not text)", source)
    text = said(raw, 60)
    short = text[len(_SIM_PREFIX):] if text.startswith(_SIM_PREFIX) and len(text) > len(_SIM_PREFIX) else text
    return Metric(short, source, method=f"without the {_SIM_PREFIX} prefix; OperatorLocked (carrier lock) only shows "
                                        "with another carrier's SIM inserted")
