"""The storage check: how big the phone's storage is, how full, how worn, and whether
its size is one the model was sold with.

A phone whose storage is not among its model's tiers has had its flash swapped or its
identity faked; this check measures and the profile grades. Capacity is read from the
user-data filesystem (Android `df /data`, else `dumpsys diskstats`; iOS lockdown
``com.apple.disk_usage``), and the advertised tier is derived from it (see
``advertised_tier_gb``). Flash wear is read where the kernel lets the shell user see
it, which on most phones it does not: then it is unknown, with the phone's own words.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from agent.check import Check, CheckContext, CheckResult, Metric, MetricSpec, declare, unknown
from agent.links.base import ShellResult, lockdown_read_key
from checks.commands import (
    CATALOG,
    DF_DATA,
    DUMPSYS_DISKSTATS,
    LOCKDOWN_DISK,
    MMC_LIFE_TIME,
    MMC_PRE_EOL,
    UFS_LIFE_TIME,
    lockdown_source,
)
from checks.parsers.storage import (
    Usage,
    advertised_tier_gb,
    life_used_percent,
    parse_df,
    parse_diskstats,
    parse_life_codes,
    parse_pre_eol,
)
from checks.shell import run_commands, said, shell_problem

_ANDROID_READS = (DF_DATA, DUMPSYS_DISKSTATS, MMC_LIFE_TIME, MMC_PRE_EOL, UFS_LIFE_TIME)
_USED_HOW = {DF_DATA: "the Used column", DUMPSYS_DISKSTATS: "total - free"}


class StorageCheck(Check):
    name: ClassVar[str] = "storage"
    title: ClassVar[str] = "Storage"
    reads: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "android": _ANDROID_READS,
        "ios": (lockdown_read_key(LOCKDOWN_DISK),),
    }
    metrics: ClassVar[Mapping[str, MetricSpec]] = declare(
        ("total_bytes", "B", "the user data partition's size"),
        ("free_bytes", "B", "free space on it"),
        ("used_bytes", "B", "used space on it"),
        ("advertised_gb", "GB", "the storage tier the size corresponds to (decimal GB, as sold)"),
        ("model_storage_tiers_gb", "GB", "the tiers the model was sold in, from the catalog"),
        ("storage_matches_model", None, "true when the tier is one the model was sold in"),
        ("life_used_percent", "%", "flash wear estimate (eMMC/UFS life time, in 10 % steps)"),
        ("pre_eol", None, "the flash's pre-end-of-life state (normal, warning, urgent)"),
    )

    async def run(self, ctx: CheckContext) -> CheckResult | Mapping[str, Metric]:
        if ctx.platform == "ios":
            metrics, capacity = await _ios(ctx)
        else:
            metrics, capacity = await _android(ctx)
        metrics.update(_tiers(capacity, ctx.model))
        if metrics["total_bytes"].value is None and metrics["free_bytes"].value is None:
            return CheckResult("error", metrics, detail=f"storage size unknown: {metrics['total_bytes'].reason}")
        return metrics


async def _android(ctx: CheckContext) -> tuple[dict[str, Metric], Metric]:
    df, diskstats, mmc_life, mmc_eol, ufs_life = await run_commands(ctx, _ANDROID_READS)
    metrics = _usage_metrics(df, diskstats)
    metrics["life_used_percent"] = _life(((MMC_LIFE_TIME, mmc_life), (UFS_LIFE_TIME, ufs_life)))
    metrics["pre_eol"] = _pre_eol(mmc_eol)
    return metrics, metrics["total_bytes"]


def _usage_metrics(df: ShellResult, diskstats: ShellResult) -> dict[str, Metric]:
    """/data from the most precise source: exact KiB from toybox `df` or `dumpsys
    diskstats` before the rounded sizes of the old toolbox `df`."""
    df_usage = parse_df(df.stdout) if shell_problem(df) is None else None
    ds_usage = parse_diskstats(diskstats.stdout) if shell_problem(diskstats) is None else None
    picked = _most_precise(df_usage, ds_usage)
    if picked is None:
        why = f"`{DF_DATA}`: {_why(df, 'no /data row')}; `{DUMPSYS_DISKSTATS}`: {_why(diskstats, 'no Data-Free line')}"
        return {k: unknown(why, DF_DATA) for k in ("total_bytes", "free_bytes", "used_bytes")}
    usage, source = picked
    rounded = None if usage.exact else "rounded by the phone to the K/M/G unit toolbox df prints"
    return {
        "total_bytes": Metric(usage.total_bytes, source, method=rounded),
        "free_bytes": Metric(usage.free_bytes, source, method=rounded),
        "used_bytes": Metric(usage.used_bytes, source, method=rounded or _USED_HOW[source]),
    }


def _most_precise(df_usage: Usage | None, ds_usage: Usage | None) -> tuple[Usage, str] | None:
    if df_usage is not None and df_usage.exact:
        return df_usage, DF_DATA
    if ds_usage is not None:
        return ds_usage, DUMPSYS_DISKSTATS
    if df_usage is not None:
        return df_usage, DF_DATA
    return None


def _pre_eol(result: ShellResult) -> Metric:
    problem = shell_problem(result)
    eol = parse_pre_eol(result.stdout) if problem is None else None
    if eol is None:
        return unknown(problem or f"not a JEDEC pre-EOL code: {said(result.stdout)!r}", MMC_PRE_EOL)
    return Metric(eol, MMC_PRE_EOL)


def _life(reads: tuple[tuple[str, ShellResult], ...]) -> Metric:
    """Wear from whichever register the phone lets the shell read (eMMC or UFS)."""
    whys = []
    for command, result in reads:
        problem = shell_problem(result)
        codes = parse_life_codes(result.stdout) if problem is None else ()
        percent = life_used_percent(codes)
        if percent is not None:
            bands = " ".join(f"0x{c:02X}" for c in codes)
            return Metric(percent, command, method=f"JEDEC estimate {bands}: upper end of the worse 10% band")
        whys.append(f"`{command}`: {problem or 'no defined estimate in ' + repr(said(result.stdout))}")
    return unknown("; ".join(whys), reads[0][0])


async def _ios(ctx: CheckContext) -> tuple[dict[str, Metric], Metric]:
    domain = await ctx.link.lockdown_value(LOCKDOWN_DISK, timeout=ctx.timeout_s)  # type: ignore[attr-defined]
    values: Mapping[str, Any] = domain if isinstance(domain, Mapping) else {}
    missing = "lockdown has no com.apple.disk_usage domain" if not values else "not in com.apple.disk_usage"
    total = _bytes(values, ("TotalDataCapacity",), missing)
    free = _bytes(values, ("AmountDataAvailable", "TotalDataAvailable"), missing)
    used = (
        Metric(total.value - free.value, total.source, method="TotalDataCapacity - available")
        if total.value is not None and free.value is not None and free.value <= total.value
        else unknown("needs both the capacity and the available space", total.source)
    )
    wear = "lockdown does not expose flash wear"
    metrics = {"total_bytes": total, "free_bytes": free, "used_bytes": used,
               "life_used_percent": unknown(wear), "pre_eol": unknown(wear)}
    disk = _bytes(values, ("TotalDiskCapacity",), missing)
    return metrics, disk if disk.value is not None else total


def _bytes(values: Mapping[str, Any], keys: tuple[str, ...], missing: str) -> Metric:
    for key in keys:
        value = values.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return Metric(value, lockdown_source(LOCKDOWN_DISK, key))
    return unknown(f"{'/'.join(keys)}: {missing}", lockdown_source(LOCKDOWN_DISK, keys[0]))


def _tiers(capacity: Metric, model: Any) -> dict[str, Metric]:
    advertised = advertised_tier_gb(capacity.value) if capacity.value else None
    tier = (
        Metric(advertised, capacity.source, method="smallest marketing tier (decimal GB) >= the capacity")
        if advertised is not None
        else unknown("capacity unknown or above 2048 GB", capacity.source)
    )
    tiers = tuple(model.storage_gb) if model is not None else ()
    catalog = Metric(list(tiers), CATALOG) if tiers else unknown(
        "model not in catalog" if model is None else "catalog lists no storage tiers", CATALOG
    )
    matches = (
        Metric(advertised in tiers, CATALOG, method="advertised_gb in model_storage_tiers_gb")
        if advertised is not None and tiers
        else unknown("needs both the advertised tier and the model's tiers", CATALOG)
    )
    return {"advertised_gb": tier, "model_storage_tiers_gb": catalog, "storage_matches_model": matches}


def _why(result: ShellResult, unparsed: str) -> str:
    return shell_problem(result) or f"{unparsed} in {said(result.stdout)!r}"

