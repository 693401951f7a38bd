"""The screen check: the panel's resolution, density and refresh rate, whether they
are the model's, and what the technician sees on it.

A replacement panel often has another resolution than the model shipped with; this
check measures both sides and leaves the grading to the profile. A foldable has two
panels and measures the one that is on, so it matches when it is either of the model's.
The refresh rate is the active display mode's; the rate apps draw at (renderFrameRate) is
reported beside it, never in its place. Defects no phone
reports (dead pixels, lines, burn-in, touch) come from the technician; when nobody can
answer, the screen is "not assessed", never passed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from agent.check import Check, CheckContext, CheckResult, Metric, MetricSpec, declare, unknown
from agent.links.base import ShellResult, lockdown_read_key
from agent.questions import SCREEN_VISUAL
from checks.commands import CATALOG, DUMPSYS_DISPLAY, LOCKDOWN_ITUNES, WM_DENSITY, WM_SIZE, lockdown_source
from checks.parsers.display import DisplayInfo, parse_dumpsys_display, parse_wm_density, parse_wm_size
from checks.shell import run_commands, said, shell_problem

TECHNICIAN = f"technician:{SCREEN_VISUAL.key}"
#: the figures read from the phone; when none is known the check could not tell anything
PHONE_FIGURES = ("width_px", "height_px", "density_dpi", "refresh_hz")
_IOS_MODEL_FIGURE = "as iOS reports it for the device model (not read from the panel)"


class ScreenCheck(Check):
    name: ClassVar[str] = "screen"
    title: ClassVar[str] = "Screen"
    questions = (SCREEN_VISUAL,)
    reads: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "android": (WM_SIZE, WM_DENSITY, DUMPSYS_DISPLAY),
        "ios": (lockdown_read_key(LOCKDOWN_ITUNES),),
    }
    metrics: ClassVar[Mapping[str, MetricSpec]] = declare(
        ("width_px", "px", "the panel's native width, portrait"),
        ("height_px", "px", "the panel's native height, portrait"),
        ("density_dpi", "dpi", "the panel's native density"),
        ("refresh_hz", "Hz", "the active display mode's refresh rate"),
        ("supported_refresh_hz", "Hz", "the refresh rates of the panel's display modes"),
        ("render_frame_rate_hz", "Hz", "the rate apps draw at (renderFrameRate), not the panel's rate"),
        ("internal_panel_count", None, "built-in panels the phone lists (2 on a foldable)"),
        ("expected_width_px", "px", "the model's panel width, from the catalog"),
        ("expected_height_px", "px", "the model's panel height, from the catalog"),
        ("resolution_matches_model", None, "true when the panel is one of the model's panels"),
        ("override_width_px", "px", "a width set by `wm size`, over the native one"),
        ("override_height_px", "px", "a height set by `wm size`, over the native one"),
        ("override_density_dpi", "dpi", "a density set by `wm density`, over the native one"),
        ("scale_factor", None, "the iOS screen scale factor"),
        ("visual_ok", None, "the technician saw no defect (null when not assessed)"),
        ("screen_defects", None, "the defects the technician saw"),
    )

    async def run(self, ctx: CheckContext) -> CheckResult | Mapping[str, Metric]:
        metrics = await (_ios(ctx) if ctx.platform == "ios" else _android(ctx))
        metrics.update(_expected(metrics, ctx.model))
        metrics.update(await _visual(ctx))
        if all(metrics[k].value is None for k in PHONE_FIGURES):
            detail = f"no screen figure could be read: {metrics['width_px'].reason}"
            return CheckResult("error", metrics, detail=detail)
        return metrics


async def _android(ctx: CheckContext) -> dict[str, Metric]:
    size, density, display = await run_commands(ctx, (WM_SIZE, WM_DENSITY, DUMPSYS_DISPLAY))
    display_problem = shell_problem(display)
    info = parse_dumpsys_display(display.stdout) if display_problem is None else DisplayInfo()
    metrics = _wm_size(size, info)
    metrics.update(_wm_density(density, info))
    metrics.update(_refresh(info, display_problem))
    metrics.update(_panels(info, display_problem))
    return metrics


def _refresh(info: DisplayInfo, problem: str | None) -> dict[str, Metric]:
    """The active mode's rate; renderFrameRate (what apps draw at) only as its own figure."""
    def why(default: str) -> str:
        return f"`{DUMPSYS_DISPLAY}`: {problem or info.refresh_reason or default}"

    if info.refresh_hz is not None:
        refresh = Metric(info.refresh_hz, DUMPSYS_DISPLAY, method=info.refresh_from)
    else:
        refresh = unknown(why("no display mode or refresh rate in it"), DUMPSYS_DISPLAY)
    if info.supported_refresh_hz:
        supported = Metric(list(info.supported_refresh_hz), DUMPSYS_DISPLAY, method="fps of the panel's own modes")
    else:
        supported = unknown(why("no display modes listed"), DUMPSYS_DISPLAY)
    if info.render_frame_rate_hz is not None:
        render = Metric(info.render_frame_rate_hz, DUMPSYS_DISPLAY, method="renderFrameRate: the rate apps draw at")
    else:
        no_rate = "no renderFrameRate in the panel's line (older releases print none)"
        render = unknown(f"`{DUMPSYS_DISPLAY}`: {problem or no_rate}", DUMPSYS_DISPLAY)
    return {"refresh_hz": refresh, "supported_refresh_hz": supported, "render_frame_rate_hz": render}


def _panels(info: DisplayInfo, problem: str | None) -> dict[str, Metric]:
    """How many built-in panels the phone has (2 on a foldable; the one on is measured)."""
    if info.internal_panels is not None:
        count = Metric(info.internal_panels, DUMPSYS_DISPLAY, method="DisplayDeviceInfo lines of type INTERNAL")
    else:
        count = unknown(f"`{DUMPSYS_DISPLAY}`: {problem or 'no DisplayDeviceInfo line of type INTERNAL'}",
                        DUMPSYS_DISPLAY)
    return {"internal_panel_count": count}


def _wm_size(result: ShellResult, info: DisplayInfo) -> dict[str, Metric]:
    """The physical panel from `wm size`, else the largest mode `dumpsys display` lists."""
    problem = shell_problem(result)
    parsed = parse_wm_size(result.stdout) if problem is None else None
    why = f"`{WM_SIZE}`: {problem or 'no Physical size line in ' + repr(said(result.stdout))}"
    if parsed is not None and parsed.physical is not None:
        width, height = Metric(parsed.physical[0], WM_SIZE), Metric(parsed.physical[1], WM_SIZE)
    elif info.width_px is not None and info.height_px is not None:
        how = "largest display mode (wm size gave no physical size)"
        width = Metric(info.width_px, DUMPSYS_DISPLAY, method=how)
        height = Metric(info.height_px, DUMPSYS_DISPLAY, method=how)
    else:
        width = height = unknown(f"{why}; `{DUMPSYS_DISPLAY}` gave no size either", WM_SIZE)
    override = parsed.override if parsed is not None else None
    no_override = "no override set" if parsed is not None and parsed.physical is not None else why
    return {
        "width_px": width,
        "height_px": height,
        "override_width_px": Metric(override[0], WM_SIZE) if override else unknown(no_override, WM_SIZE),
        "override_height_px": Metric(override[1], WM_SIZE) if override else unknown(no_override, WM_SIZE),
    }


def _wm_density(result: ShellResult, info: DisplayInfo) -> dict[str, Metric]:
    problem = shell_problem(result)
    parsed = parse_wm_density(result.stdout) if problem is None else None
    why = f"`{WM_DENSITY}`: {problem or 'no Physical density line in ' + repr(said(result.stdout))}"
    if parsed is not None and parsed.physical is not None:
        density = Metric(parsed.physical, WM_DENSITY)
    elif info.density_dpi is not None:
        density = Metric(info.density_dpi, DUMPSYS_DISPLAY, method="density of the default display")
    else:
        density = unknown(why, WM_DENSITY)
    no_override = "no override set" if parsed is not None and parsed.physical is not None else why
    override = parsed.override if parsed is not None else None
    return {
        "density_dpi": density,
        "override_density_dpi": Metric(override, WM_DENSITY) if override else unknown(no_override, WM_DENSITY),
    }


async def _ios(ctx: CheckContext) -> dict[str, Metric]:
    """Lockdown's ``com.apple.mobile.iTunes`` domain has carried ScreenWidth,
    ScreenHeight (pixels, portrait) and ScreenScaleFactor since iOS 6; nothing in
    lockdown gives the density or the refresh rate."""
    domain = await ctx.link.lockdown_value(LOCKDOWN_ITUNES, timeout=ctx.timeout_s)  # type: ignore[attr-defined]
    values: Mapping[str, Any] = domain if isinstance(domain, Mapping) else {}
    missing = "not in lockdown com.apple.mobile.iTunes" if values else "lockdown has no com.apple.mobile.iTunes"
    none = "lockdown does not report it"
    return {
        "width_px": _ios_number(values, "ScreenWidth", missing, int),
        "height_px": _ios_number(values, "ScreenHeight", missing, int),
        "scale_factor": _ios_number(values, "ScreenScaleFactor", missing, float),
        "override_width_px": unknown(none),
        "override_height_px": unknown(none),
        "density_dpi": unknown(none),
        "override_density_dpi": unknown(none),
        "refresh_hz": unknown(none),
        "supported_refresh_hz": unknown(none),
        "render_frame_rate_hz": unknown(none),
        "internal_panel_count": unknown(none),
    }


def _ios_number(values: Mapping[str, Any], key: str, missing: str, kind: type) -> Metric:
    value = values.get(key)
    source = lockdown_source(LOCKDOWN_ITUNES, key)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return Metric(kind(value), source, method=_IOS_MODEL_FIGURE)
    return unknown(f"{key}: {missing}", source)


def _expected(metrics: Mapping[str, Metric], model: Any) -> dict[str, Metric]:
    """The catalog panel the measured one is compared with, and whether they match in
    either orientation. A foldable has two panels: the one measured (the one that is on)
    may be either; the expected figures are the panel it matches, else the main one."""
    if model is None:
        none = unknown("model not in catalog", CATALOG)
        return {"expected_width_px": none, "expected_height_px": none,
                "resolution_matches_model": unknown("needs both the measured and the catalog resolution", CATALOG)}
    panels = [tuple(p) for p in (getattr(model, "panels_px", None) or (model.screen_px,))]
    measured = (metrics["width_px"].value, metrics["height_px"].value)
    matched = next((p for p in panels if None not in measured and sorted(measured) == sorted(p)), None)
    panel = matched or panels[0]
    which = "main panel" if panel == panels[0] else "cover panel"
    how = f"catalog {which}" if len(panels) > 1 else None
    expected = {"expected_width_px": Metric(panel[0], CATALOG, method=how),
                "expected_height_px": Metric(panel[1], CATALOG, method=how)}
    if None in measured:
        match = unknown("needs both the measured and the catalog resolution", CATALOG)
    else:
        listed = " or ".join(f"{w}x{h}" for w, h in panels)
        match = Metric(matched is not None, CATALOG, method=f"measured vs catalog {listed}, either orientation")
    return {**expected, "resolution_matches_model": match}


async def _visual(ctx: CheckContext) -> dict[str, Metric]:
    answer = await ctx.question(SCREEN_VISUAL)
    if answer is None:
        why = "not assessed: no technician answer"
        return {"visual_ok": unknown(why, TECHNICIAN), "screen_defects": unknown(why, TECHNICIAN)}
    try:
        defects = SCREEN_VISUAL.validate(answer)
    except ValueError as e:
        why = f"not assessed: {e}"
        return {"visual_ok": unknown(why, TECHNICIAN), "screen_defects": unknown(why, TECHNICIAN)}
    return {"visual_ok": Metric(not defects, TECHNICIAN), "screen_defects": Metric(defects, TECHNICIAN)}
