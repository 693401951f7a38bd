"""Screen figures from `wm size`, `wm density` and `dumpsys display`.

`wm` reports the panel's physical size and density and, separately, any override a
user or a tool has set, so a phone left at "720p to save battery" is still measured as
its real panel. `dumpsys display` is read for the refresh rate, and as a fallback for
size and density on phones whose `wm` does not answer (Android 4.2 and older).

`dumpsys display` changes shape across releases. Each panel is one
``DisplayDeviceInfo{...}`` line with ``modeId N`` (the active mode) and ``supportedModes
[{...}, ...]``; a mode record is a list of ``name=value`` fields read by name, in any
order, unknown fields ignored: Android 6-14 print ``{id=1, width=W, height=H, fps=F}``,
Android 15+ put ``parentModeId``, ``sfModeId`` and ``flags`` (whose value may itself be a
comma-separated list) between ``id`` and ``width``. Without a device line the
``DisplayModeRecord`` lines and ``mActiveModeId`` are read instead.

The refresh rate is the active mode's ``fps``, the rate the panel scans at.
``renderFrameRate`` is the rate apps draw at (48 or 60 Hz on an idle 120 Hz panel), so it
is kept as its own figure and never taken for the refresh rate. Foldables list two
internal panels, one of them off; the panel that is on is the one measured. None of
these functions raises on any text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_WM_SIZE = re.compile(r"^\s*(Physical|Override) size:\s*(\d{1,6})\s*x\s*(\d{1,6})\s*$", re.MULTILINE | re.ASCII)
_WM_DENSITY = re.compile(r"^\s*(Physical|Override) density:\s*(\d{1,6})\s*$", re.MULTILINE | re.ASCII)
_DEVICE_INFO = re.compile(r"DisplayDeviceInfo\{.*", re.ASCII)
_SIZE = re.compile(r"\b(\d{1,6}) x (\d{1,6})\b", re.ASCII)
_MODE_ID = re.compile(r"\bmodeId (-?\d{1,9})\b", re.ASCII)
_RENDER_RATE = re.compile(r"\brenderFrameRate (\d{1,4}(?:\.\d{1,9})?)", re.ASCII)
_OLD_FPS = re.compile(r"\b(\d{1,4}(?:\.\d{1,9})?) fps\b", re.ASCII)
_DENSITY = re.compile(r"\bdensity (\d{1,6})\b", re.ASCII)
_ACTIVE_MODE_ID = re.compile(r"\bmActiveModeId=(-?\d{1,9})\b", re.ASCII)
_MODE_RECORD = re.compile(r"DisplayModeRecord\{(?:mMode=\{)?([^{}]*)\}", re.ASCII)
_RECORD = re.compile(r"\{([^{}]*)\}", re.ASCII)
_DEFAULT_FLAG = re.compile(r"\bFLAG_DEFAULT_DISPLAY\b", re.ASCII)
_STATE_ON = re.compile(r"\bstate ON\b", re.ASCII)
_INTERNAL = re.compile(r"\btype (?:INTERNAL|BUILT_IN)\b", re.ASCII)
_INT = re.compile(r"-?\d{1,9}", re.ASCII)
_FLOAT = re.compile(r"\d{1,4}(?:\.\d{1,9})?", re.ASCII)


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
    """One display mode: pixels, and its refresh rate in Hz. ``parent_id`` is set on the
    render-rate modes Android 15+ derive from another mode (not a rate of the panel's own)."""

    mode_id: int
    width: int
    height: int
    fps: float
    parent_id: int | None = None


@dataclass(frozen=True)
class DisplayInfo:
    """The measured panel as `dumpsys display` describes it: pixels, dpi, Hz.
    ``refresh_from`` names how the refresh rate was found; ``refresh_reason`` says why
    it is None; ``internal_panels`` counts the phone's built-in panels (2 on a foldable)."""

    width_px: int | None = None
    height_px: int | None = None
    density_dpi: int | None = None
    refresh_hz: float | None = None
    refresh_from: str | None = None
    supported_refresh_hz: tuple[float, ...] = ()
    render_frame_rate_hz: float | None = None
    internal_panels: int | None = None
    refresh_reason: str | None = None


def parse_wm_size(text: str) -> WmSize:
    found = {kind: (int(w), int(h)) for kind, w, h in _WM_SIZE.findall(_clean(text)) if int(w) and int(h)}
    return WmSize(found.get("Physical"), found.get("Override"))


def parse_wm_density(text: str) -> WmDensity:
    found = {kind: int(d) for kind, d in _WM_DENSITY.findall(_clean(text)) if int(d)}
    return WmDensity(found.get("Physical"), found.get("Override"))


def parse_dumpsys_display(text: str) -> DisplayInfo:
    text = _clean(text)
    lines = [m.group(0) for m in _DEVICE_INFO.finditer(text)]
    if lines:
        internal = sum(1 for ln in lines if _INTERNAL.search(ln)) or None
        return _from_device_line(_panel_line(lines), internal)
    return _from_mode_records(text)


def parse_mode(fields: Mapping[str, str]) -> Mode | None:
    """A mode from its named fields; None when id, width, height or fps is missing or
    not a usable figure (0 pixels, 0 Hz)."""
    mode_id, width, height = (_whole(fields.get(k)) for k in ("id", "width", "height"))
    fps = _rate(fields.get("fps"))
    if mode_id is None or not width or not height or fps is None:
        return None
    parent = _whole(fields.get("parentModeId"))
    derived = parent is not None and parent >= 0 or fields.get("synthetic") == "true"
    return Mode(mode_id, width, height, fps, parent if derived else None)


def record_fields(body: str) -> dict[str, str]:
    """``a=1, b=[2, 3], FLAG_X, c=`` as {a: 1, b: [2, 3], c: ''}: split at the commas
    outside brackets; a piece without ``=`` (a flag named on its own) is dropped."""
    fields: dict[str, str] = {}
    depth, start = 0, 0
    for i, ch in enumerate(body + ","):
        depth += {"[": 1, "]": -1}.get(ch, 0)
        if ch == "," and depth <= 0:
            name, sep, value = body[start:i].strip().partition("=")
            if sep and name:
                fields.setdefault(name.strip(), value.strip())
            start = i + 1
    return fields


def _panel_line(lines: list[str]) -> str:
    """The panel being measured: the internal one that is on (a foldable lists both panels,
    and the default flag may sit on the folded-away one), else the one flagged default, else
    any internal one, else the first."""
    for wanted in (
        lambda ln: bool(_INTERNAL.search(ln) and _STATE_ON.search(ln)),
        lambda ln: bool(_DEFAULT_FLAG.search(ln)),
        lambda ln: bool(_INTERNAL.search(ln)),
    ):
        picked = next((ln for ln in lines if wanted(ln)), None)
        if picked is not None:
            return picked
    return lines[0]


def _from_device_line(line: str, internal: int | None) -> DisplayInfo:
    modes = _modes(_RECORD.findall(_supported_modes(line)))
    refresh, how, why = _active_refresh(modes, _int(_MODE_ID.search(line)), "modeId")
    if refresh is None:
        old = _float(_OLD_FPS.search(line))
        refresh, how, why = (old, "fps", None) if old is not None else (None, None, why)
    width, height = _largest(modes) or _size(line)
    return DisplayInfo(
        width_px=width, height_px=height, density_dpi=_int(_DENSITY.search(line)) or None,
        refresh_hz=refresh, refresh_from=how, supported_refresh_hz=_rates(modes),
        render_frame_rate_hz=_float(_RENDER_RATE.search(line)), internal_panels=internal, refresh_reason=why,
    )


def _from_mode_records(text: str) -> DisplayInfo:
    modes = _modes(_MODE_RECORD.findall(text))
    refresh, how, why = _active_refresh(modes, _int(_ACTIVE_MODE_ID.search(text)), "mActiveModeId")
    width, height = _largest(modes) or (None, None)
    if not modes:
        why = "no DisplayDeviceInfo line and no DisplayModeRecord with id, width, height and fps"
    return DisplayInfo(width, height, None, refresh, how, _rates(modes), refresh_reason=why)


def _supported_modes(line: str) -> str:
    """The text inside ``supportedModes [...]`` (to the end of the line when cut short)."""
    start = line.find("supportedModes [")
    if start < 0:
        return ""
    depth = 0
    for i in range(start + len("supportedModes "), len(line)):
        depth += {"[": 1, "]": -1}.get(line[i], 0)
        if depth == 0:
            return line[start:i]
    return line[start:]


def _active_refresh(
    modes: tuple[Mode, ...], active: int | None, key: str
) -> tuple[float | None, str | None, str | None]:
    """The active mode's rate (its parent's, for a derived render-rate mode), or why not."""
    if not modes:
        return None, None, "no display mode with id, width, height and a non-zero fps"
    if active is None:
        return None, None, f"no {key} names the active mode"
    mode = next((m for m in modes if m.mode_id == active), None)
    if mode is None:
        listed = ", ".join(str(m.mode_id) for m in modes)
        return None, None, f"{key} {active} is not among the usable modes (ids {listed})"
    parent = next((m for m in modes if m.mode_id == mode.parent_id), None)
    if parent is not None:
        return parent.fps, f"mode {parent.mode_id}, parent of active render-rate mode {mode.mode_id}", None
    return mode.fps, "active mode", None


def _modes(bodies: list[str]) -> tuple[Mode, ...]:
    modes = (parse_mode(record_fields(body)) for body in bodies)
    return tuple(m for m in modes if m is not None)


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
    """The panel's own rates: derived render-rate modes are not refresh rates."""
    return tuple(sorted({m.fps for m in modes if m.parent_id is None}))


def _whole(text: str | None) -> int | None:
    return int(text) if text is not None and _INT.fullmatch(text) else None


def _rate(text: str | None) -> float | None:
    if text is None or not _FLOAT.fullmatch(text) or float(text) <= 0:
        return None
    return round(float(text), 2)


def _float(match: re.Match[str] | None) -> float | None:
    return _rate(match.group(1)) if match else None


def _int(match: re.Match[str] | None) -> int | None:
    return int(match.group(1)) if match else None


def _clean(text: str) -> str:
    return text.replace("\r", "") if isinstance(text, str) else ""
