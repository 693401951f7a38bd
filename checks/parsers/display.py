"""Screen figures from `wm size`, `wm density` and `dumpsys display`.

`wm` reports the panel's physical size and density and, separately, any override a
user or a tool has set, so a phone left at "720p to save battery" is still measured as
its real panel. `dumpsys display` is read for the refresh rate, and as a fallback for
size and density on phones whose `wm` does not answer (Android 4.2 and older).

`dumpsys display` changes shape across releases; the lines these parsers rely on are
the ones every release since Android 6 prints (``DisplayDeviceInfo{...}`` with
``modeId N`` and ``supportedModes [{id=N, width=W, height=H, fps=F}, ...]``), with
``mActiveModeId`` / ``DisplayModeRecord`` and ``renderFrameRate`` as fallbacks.
None of these functions raises on any text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WM_SIZE = re.compile(r"^\s*(Physical|Override) size:\s*(\d{1,6})\s*x\s*(\d{1,6})\s*$", re.MULTILINE | re.ASCII)
_WM_DENSITY = re.compile(r"^\s*(Physical|Override) density:\s*(\d{1,6})\s*$", re.MULTILINE | re.ASCII)
_DEVICE_INFO = re.compile(r"DisplayDeviceInfo\{.*", re.ASCII)
_MODE = re.compile(r"\{id=(\d{1,9}), width=(\d{1,6}), height=(\d{1,6}), fps=(\d{1,4}(?:\.\d{1,9})?)", re.ASCII)
_SIZE = re.compile(r"\b(\d{1,6}) x (\d{1,6})\b", re.ASCII)
_MODE_ID = re.compile(r"\bmodeId (\d{1,9})\b", re.ASCII)
_RENDER_RATE = re.compile(r"\brenderFrameRate (\d{1,4}(?:\.\d{1,9})?)", re.ASCII)
_OLD_FPS = re.compile(r"\b(\d{1,4}(?:\.\d{1,9})?) fps\b", re.ASCII)
_DENSITY = re.compile(r"\bdensity (\d{1,6})\b", re.ASCII)
_ACTIVE_MODE_ID = re.compile(r"\bmActiveModeId=(\d{1,9})\b", re.ASCII)
_MODE_RECORD = re.compile(r"DisplayModeRecord\{mMode=(\{id=[^}]*)", re.ASCII)
_DEFAULT_FLAG = re.compile(r"\bFLAG_DEFAULT_DISPLAY\b", re.ASCII)


@dataclass(frozen=True)
class WmSize:
    physical: tuple[int, int] | None
    override: tuple[int, int] | None


@dataclass(frozen=True)
class WmDensity:
    physical: int | None
    override: int | None


@dataclass(frozen=True)
class Mode:
    mode_id: int
    width: int
    height: int
    fps: float


@dataclass(frozen=True)
class DisplayInfo:
    """The default display as `dumpsys display` describes it. ``refresh_from`` names
    how the refresh rate was found, so the report can say so."""

    width_px: int | None = None
    height_px: int | None = None
    density_dpi: int | None = None
    refresh_hz: float | None = None
    refresh_from: str | None = None
    supported_refresh_hz: tuple[float, ...] = ()


def parse_wm_size(text: str) -> WmSize:
    found = {kind: (int(w), int(h)) for kind, w, h in _WM_SIZE.findall(_clean(text)) if int(w) and int(h)}
    return WmSize(found.get("Physical"), found.get("Override"))


def parse_wm_density(text: str) -> WmDensity:
    found = {kind: int(d) for kind, d in _WM_DENSITY.findall(_clean(text)) if int(d)}
    return WmDensity(found.get("Physical"), found.get("Override"))


def parse_dumpsys_display(text: str) -> DisplayInfo:
    text = _clean(text)
    line = _default_device_line(text)
    if line is not None:
        return _from_device_line(line)
    return _from_mode_records(text)


def _default_device_line(text: str) -> str | None:
    """The DisplayDeviceInfo line of the phone's own panel: the one flagged default,
    else the internal one that is on (foldables list both panels), else the first."""
    lines = [m.group(0) for m in _DEVICE_INFO.finditer(text)]
    for wanted in (
        lambda ln: bool(_DEFAULT_FLAG.search(ln)),
        lambda ln: "type INTERNAL" in ln and "state ON" in ln,
        lambda ln: "type INTERNAL" in ln or "type BUILT_IN" in ln,
    ):
        picked = next((ln for ln in lines if wanted(ln)), None)
        if picked is not None:
            return picked
    return lines[0] if lines else None


def _from_device_line(line: str) -> DisplayInfo:
    modes = _modes(_MODE.findall(line))
    active = _int(_MODE_ID.search(line))
    refresh, how = _active_refresh(modes, active)
    if refresh is None:
        refresh, how = _first_float(line, ((_RENDER_RATE, "renderFrameRate"), (_OLD_FPS, "fps")))
    width, height = _largest(modes) or _size(line)
    return DisplayInfo(
        width_px=width,
        height_px=height,
        density_dpi=_int(_DENSITY.search(line)) or None,
        refresh_hz=refresh,
        refresh_from=how,
        supported_refresh_hz=_rates(modes),
    )


def _from_mode_records(text: str) -> DisplayInfo:
    modes = _modes(_MODE.findall(" ".join(_MODE_RECORD.findall(text))))
    refresh, how = _active_refresh(modes, _int(_ACTIVE_MODE_ID.search(text)))
    width, height = _largest(modes) or (None, None)
    return DisplayInfo(width, height, None, refresh, how, _rates(modes))


def _active_refresh(modes: tuple[Mode, ...], active: int | None) -> tuple[float | None, str | None]:
    mode = next((m for m in modes if m.mode_id == active), None)
    return (mode.fps, "active mode") if mode else (None, None)


def _first_float(line: str, patterns: tuple[tuple[re.Pattern[str], str], ...]) -> tuple[float | None, str | None]:
    for pattern, name in patterns:
        match = pattern.search(line)
        if match and float(match.group(1)) > 0:
            return round(float(match.group(1)), 2), name
    return None, None


def _modes(found: list[tuple[str, str, str, str]]) -> tuple[Mode, ...]:
    modes = (Mode(int(i), int(w), int(h), round(float(f), 2)) for i, w, h, f in found)
    return tuple(m for m in modes if m.width and m.height and m.fps > 0)


def _largest(modes: tuple[Mode, ...]) -> tuple[int, int] | None:
    """The panel's native size: the largest mode (Samsung offers lower-resolution modes)."""
    if not modes:
        return None
    best = max(modes, key=lambda m: m.width * m.height)
    return best.width, best.height


def _size(line: str) -> tuple[int | None, int | None]:
    match = _SIZE.search(line)
    if match is None or not int(match.group(1)) or not int(match.group(2)):
        return None, None
    return int(match.group(1)), int(match.group(2))


def _rates(modes: tuple[Mode, ...]) -> tuple[float, ...]:
    return tuple(sorted({m.fps for m in modes}))


def _int(match: re.Match[str] | None) -> int | None:
    return int(match.group(1)) if match else None


def _clean(text: str) -> str:
    return text.replace("\r", "") if isinstance(text, str) else ""
