"""The locks check on Android: accounts, FRP, device and profile owners, boot state, root,
Knox, SIM. Every figure is what one command or one property said; see checks/locks.py for
the metrics a profile grades.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from agent.check import CheckContext, Metric, unknown
from agent.formats.accounts import (
    GOOGLE,
    VENDOR_LOCKS,
    AccountCounts,
    parse_dumpsys_account,
)
from agent.formats.getprop import parse_getprop
from agent.links.base import ShellResult
from checks import commands as cmd
from checks.parsers.owners import (
    Owners,
    list_owners_unsupported,
    parse_device_policy,
    parse_list_owners,
)
from checks.parsers.root import parse_ls, parse_packages
from checks.shell import run_commands, said, shell_problem

READS = (cmd.GETPROP, cmd.DUMPSYS_ACCOUNT, cmd.SETTINGS_FRP_MODE, cmd.SETTINGS_SETUP_COMPLETE, cmd.DPM_LIST_OWNERS,
         cmd.LS_SU, cmd.PM_ROOT_APPS)
#: Knox Guard's TA states as ro.boot.kg numbers them (Samsung's KnoxGuard service constants)
KG_STATES = {"0x0": "Prenormal", "0x1": "Checking", "0x2": "Active", "0x3": "Locked", "0x4": "Completed", "0x5": "Error"}
_WORD = re.compile(r"^[A-Za-z_]{1,30}$")
ROOT_LIMITS = ("a Magisk app repackaged under another name, root hidden from the shell user (DenyList, "
               "Shamiko, KernelSU without its manager) and /data/adb cannot be seen from an unprivileged shell")


async def measure(ctx: CheckContext) -> dict[str, Metric]:
    props_r, accounts_r, frp_r, setup_r, owners_r, ls_r, apps_r = await run_commands(ctx, READS)
    if list_owners_unsupported(owners_r.stdout, owners_r.stderr):
        (policy_r,) = await run_commands(ctx, (cmd.DUMPSYS_DEVICE_POLICY,))
        owners = _owners(policy_r, parse_device_policy, cmd.DUMPSYS_DEVICE_POLICY)
    else:
        owners = _owners(owners_r, parse_list_owners, cmd.DPM_LIST_OWNERS)
    props = parse_getprop(props_r.stdout) if shell_problem(props_r) is None else {}
    props_why = f"`{cmd.GETPROP}`: {shell_problem(props_r) or 'no properties in its output'}"
    metrics = _accounts(accounts_r)
    metrics["frp_active"] = _frp(frp_r, setup_r)
    metrics.update(owners)
    metrics["root_detected"] = _root(ls_r, apps_r)
    metrics.update(_boot(props, props_why, metrics["root_detected"]))
    metrics.update(_samsung(props, props_why))
    metrics["sim_state"] = _sim(props, props_why)
    return metrics


# -- accounts -------------------------------------------------------------------------


def _accounts(result: ShellResult) -> dict[str, Metric]:
    problem = shell_problem(result)
    counts = parse_dumpsys_account(result.stdout) if problem is None else None
    if counts is None or counts.short:
        cut = "it listed fewer accounts than its Accounts: line announced (cut off?)"
        why = f"`{cmd.DUMPSYS_ACCOUNT}`: {problem or (cut if counts else 'no Accounts: line in its output')}"
        return {k: unknown(why, cmd.DUMPSYS_ACCOUNT) for k in ("google_accounts", "vendor_lock_accounts", "accounts_by_type")}
    how = _counted(counts)
    vendors = counts.vendor_locks
    named = ", ".join(f"{VENDOR_LOCKS[t]} ({n})" for t, n in vendors.items())
    return {
        "google_accounts": Metric(counts.count(GOOGLE), cmd.DUMPSYS_ACCOUNT, method=f"accounts of type {GOOGLE}; {how}"),
        "vendor_lock_accounts": Metric(sum(vendors.values()), cmd.DUMPSYS_ACCOUNT,
                                       method=f"{named or 'none'} among {', '.join(VENDOR_LOCKS)}; {how}"),
        "accounts_by_type": Metric(dict(counts.by_type), cmd.DUMPSYS_ACCOUNT, method=f"count per account type; {how}"),
    }


def _counted(counts: AccountCounts) -> str:
    return f"over {counts.users} device user{'s' if counts.users != 1 else ''}, names never kept"


# -- FRP ------------------------------------------------------------------------------


def _frp(mode: ShellResult, setup: ShellResult) -> Metric:
    """secure_frp_mode where the build keeps it (Global from Android 11); otherwise, since
    FRP is only enforced while Setup Wizard runs (AOSP LockSettingsService), a finished
    setup (user_setup_complete 1) means it is not active."""
    said_mode = _setting(mode)
    if said_mode in ("0", "1"):
        return Metric(said_mode == "1", cmd.SETTINGS_FRP_MODE)
    if _setting(setup) == "1":
        return Metric(False, cmd.SETTINGS_SETUP_COMPLETE,
                      method="secure_frp_mode is not set on this build; setup is complete, and FRP is only enforced "
                             "while Setup Wizard runs")
    why_mode = shell_problem(mode) or f"prints {said_mode!r}"
    why_setup = shell_problem(setup) or f"prints {_setting(setup)!r}"
    return unknown(f"`{cmd.SETTINGS_FRP_MODE}` {why_mode}; `{cmd.SETTINGS_SETUP_COMPLETE}` {why_setup}",
                   cmd.SETTINGS_FRP_MODE)


def _setting(result: ShellResult) -> str:
    return said(result.stdout, 20) if result.ok else ""


# -- owners ---------------------------------------------------------------------------


def _owners(result: ShellResult, parse: Callable[[str], Owners | None], source: str) -> dict[str, Metric]:
    problem = shell_problem(result)
    owners = parse(result.stdout) if problem is None else None
    if owners is None:
        why = f"`{source}`: {problem or 'not an owners listing: ' + repr(said(result.stdout))}"
        return {"device_owner": unknown(why, source), "profile_owner": unknown(why, source)}
    device = [owners.device_owner] if owners.device_owner else []
    return {
        "device_owner": Metric(device, source, method="the device owner's admin package; empty: none"),
        "profile_owner": Metric(list(owners.profile_owners), source, method="profile owners' admin packages; empty: none"),
    }


# -- root -----------------------------------------------------------------------------


def _root(ls: ShellResult, apps: ShellResult) -> Metric:
    """True when an su binary or a root manager's app is visible; False only when every
    probe answered and none was; the method lists what was looked at."""
    paths = parse_ls(ls.stdout, ls.stderr, cmd.SU_PATHS) if ls.exit_code != 127 else None
    packages = _root_apps(apps)
    looked = (f"looked for su at {', '.join(cmd.SU_PATHS)} (`ls -l`) and for packages matching "
              f"{'|'.join(cmd.ROOT_APP_WORDS)} (`pm list packages`)")
    seen = [*(paths.found if paths else ()), *(packages or ())]
    if seen:
        return Metric(True, f"{cmd.LS_SU} + {cmd.PM_ROOT_APPS}", method=f"seen: {', '.join(seen)}; {looked}")
    whys = []
    if paths is None:
        whys.append(f"`ls` said nothing of the su paths: {said(ls.stderr) or said(ls.stdout) or 'no output'}")
    elif paths.unclear:
        whys.append(f"`ls` could not tell for {', '.join(paths.unclear)}")
    if packages is None:
        whys.append(f"`pm list packages`: {said(apps.stderr) or said(apps.stdout) or f'exit {apps.exit_code}'}")
    if whys:
        return unknown("; ".join(whys), cmd.LS_SU)
    return Metric(False, f"{cmd.LS_SU} + {cmd.PM_ROOT_APPS}", method=f"none seen; {looked}; not visible: {ROOT_LIMITS}")


def _root_apps(result: ShellResult) -> tuple[str, ...] | None:
    """Root managers' package names; () when grep matched nothing (exit 1, no output)."""
    if result.exit_code not in (0, 1, None) or result.stderr.strip():
        return None
    return parse_packages(result.stdout)


# -- boot state -----------------------------------------------------------------------


def _boot(props: Mapping[str, str], why: str, root: Metric) -> dict[str, Metric]:
    """The bootloader and verified-boot figures, each marked untrusted unless no root was seen."""
    out = {
        "bootloader_locked": _bootloader(props, why),
        "verified_boot_state": _word_prop(props, "ro.boot.verifiedbootstate", why, ("green", "yellow", "orange", "red")),
        "vbmeta_device_state": _word_prop(props, "ro.boot.vbmeta.device_state", why),
    }
    if root.value is not False:
        seen = "root was detected" if root.value else "root could not be ruled out"
        out = {k: _caveat(m, f"not to be trusted: {seen}, and root modules spoof boot properties") for k, m in out.items()}
    out["boot_state_trusted"] = (
        Metric(root.value is False, root.source, method="boot properties are trusted only when no root is seen")
        if root.value is not None else unknown(f"root_detected unknown: {root.reason}", root.source))
    return out


def _bootloader(props: Mapping[str, str], why: str) -> Metric:
    """ro.boot.flash.locked, else AVB's ro.boot.vbmeta.device_state."""
    locked = _prop_bool(props, "ro.boot.flash.locked", {"1": True, "0": False}, why)
    if locked.value is not None:
        return locked
    vbmeta = _prop_bool(props, "ro.boot.vbmeta.device_state", {"locked": True, "unlocked": False}, why)
    if vbmeta.value is not None:
        return Metric(vbmeta.value, vbmeta.source, method="ro.boot.flash.locked is not set")
    return unknown(why if not props else "neither ro.boot.flash.locked nor ro.boot.vbmeta.device_state says "
                   "locked or unlocked", f"{cmd.GETPROP} ro.boot.flash.locked")


def _word_prop(props: Mapping[str, str], key: str, why: str, allowed: tuple[str, ...] | None = None) -> Metric:
    """A property holding one word (lower-cased when ``allowed`` lists its values)."""
    raw = props.get(key, "").strip()
    value = raw.lower() if allowed else raw
    ok = value in allowed if allowed else bool(_WORD.match(value))
    source = f"{cmd.GETPROP} {key}"
    return Metric(value, source) if ok else unknown(_not_set(key, raw, props, why), source)


def _caveat(metric: Metric, text: str) -> Metric:
    if metric.value is None:
        return metric
    method = f"{metric.method}; {text}" if metric.method else text
    return Metric(metric.value, metric.source, metric.reason, method)


def _prop_bool(props: Mapping[str, str], key: str, values: Mapping[str, bool], why: str) -> Metric:
    raw = props.get(key, "").strip()
    source = f"{cmd.GETPROP} {key}"
    if raw in values:
        return Metric(values[raw], source)
    return unknown(_not_set(key, raw, props, why), source)


def _not_set(key: str, raw: str, props: Mapping[str, str], why: str) -> str:
    if not props:
        return why
    return f"{key} is not set" if not raw else f"{key} is {said(raw, 40)!r}"


# -- Samsung, SIM -----------------------------------------------------------------------


def _samsung(props: Mapping[str, str], why: str) -> dict[str, Metric]:
    return {"knox_warranty_void": _warranty(props, why), "knox_guard_state": _knox_guard(props, why)}


def _warranty(props: Mapping[str, str], why: str) -> Metric:
    """Samsung's Knox warranty e-fuse (1: blown); some other vendors set the same property."""
    key = "ro.warranty_bit" if "ro.warranty_bit" in props and "ro.boot.warranty_bit" not in props else "ro.boot.warranty_bit"
    fuse = _prop_bool(props, key, {"1": True, "0": False}, why)
    if fuse.value is None:
        return unknown("no ro.boot.warranty_bit (Samsung's Knox warranty fuse; not a Samsung phone?)"
                       if props and key not in props else fuse.reason or why, fuse.source)
    return Metric(fuse.value, fuse.source, method="1: the warranty e-fuse is blown (Samsung Knox; other vendors "
                                                  "that set it use it for their own warranty flag)")


def _knox_guard(props: Mapping[str, str], why: str) -> Metric:
    """knox.kg.state, else ro.boot.kg's number as Samsung's KnoxGuard service names it."""
    state = props.get("knox.kg.state", "").strip()
    code = props.get("ro.boot.kg", "").strip().lower()
    if _WORD.match(state):
        return Metric(state, f"{cmd.GETPROP} knox.kg.state")
    if code in KG_STATES:
        return Metric(KG_STATES[code], f"{cmd.GETPROP} ro.boot.kg", method=f"ro.boot.kg {code} as Knox Guard names it")
    return unknown("no knox.kg.state or ro.boot.kg (no Knox Guard: not a Samsung phone, or an older one)"
                   if props else why, f"{cmd.GETPROP} knox.kg.state")


def _sim(props: Mapping[str, str], why: str) -> Metric:
    """gsm.sim.state per slot (LOADED, ABSENT, NETWORK_LOCKED, ...). NETWORK_LOCKED shows
    only with another carrier's SIM inserted: an empty tray says nothing of a carrier lock."""
    raw = props.get("gsm.sim.state", "")
    slots = [s.strip() for s in raw.split(",")][:4] if raw.strip() else []
    source = f"{cmd.GETPROP} gsm.sim.state"
    if not slots:
        return unknown(why if not props else "gsm.sim.state is not set", source)
    states = [s if _WORD.match(s) else "?" for s in slots]
    return Metric(states, source, method="one state per SIM slot; NETWORK_LOCKED (carrier lock) only shows with "
                                         "another carrier's SIM inserted")
