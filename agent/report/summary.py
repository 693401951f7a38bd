"""Plain-text views of a report: a one-screen summary and a one-line row.

Everything from the phone goes through ``printable`` so it is shown, never obeyed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from agent.text import printable

Figure = Callable[[Mapping[str, Any]], str | None]


def _v(metrics: Mapping[str, Any], name: str) -> Any:
    metric = metrics.get(name)
    return metric.get("value") if isinstance(metric, Mapping) else None


def _fmt(template: str, *names: str) -> Figure:
    def figure(m: Mapping[str, Any]) -> str | None:
        values = [_v(m, n) for n in names]
        if any(v is None for v in values):
            return None
        return template.format(*(printable(v) for v in values))

    return figure


def _soh(m: Mapping[str, Any]) -> str | None:
    value = _v(m, "state_of_health_percent")
    if value is None:
        return "health % unknown"
    method = (m.get("state_of_health_percent") or {}).get("method")
    return f"health {value:g}%" + (f" ({printable(method)})" if method else "")


def _visual(m: Mapping[str, Any]) -> str | None:
    ok = _v(m, "visual_ok")
    if ok is None:
        return "visual not assessed"
    return "visual ok" if ok else f"defects: {printable(_v(m, 'screen_defects'))}"


def _resolution(m: Mapping[str, Any]) -> str | None:
    w, h = _v(m, "width_px"), _v(m, "height_px")
    if w is None or h is None:
        return "resolution unknown"
    ew, eh = _v(m, "expected_width_px"), _v(m, "expected_height_px")
    expected = f" (model: {ew}x{eh})" if ew and eh and _v(m, "resolution_matches_model") is False else ""
    return f"{w}x{h}{expected}"


def _storage(m: Mapping[str, Any]) -> str | None:
    total, tier = _v(m, "total_bytes"), _v(m, "advertised_gb")
    if total is None:
        return "capacity unknown"
    text = f"{total / 1e9:.1f} GB"
    return f"{text}, {tier} GB tier" if tier else text


FIGURES: dict[str, tuple[Figure, ...]] = {
    "identity": (_fmt("{} {}", "manufacturer", "model"), _fmt("{}", "os_version"), _fmt("serial {}", "serial")),
    "battery": (
        _fmt("{}%", "level_percent"),
        _fmt("{}", "status"),
        _soh,
        _fmt("{} cycles", "cycle_count"),
        _fmt("{} °C", "temperature_c"),
    ),
    "screen": (_resolution, _fmt("{} dpi", "density_dpi"), _fmt("{} Hz", "refresh_hz"), _visual),
    "storage": (_storage, _fmt("{}% life used", "life_used_percent")),
}


def check_figures(check: Mapping[str, Any]) -> str:
    metrics = check.get("metrics") or {}
    figures = FIGURES.get(check["name"])
    if figures is None:
        shown = [f"{n}={printable(_v(metrics, n))}" for n in list(metrics)[:4]]
    else:
        shown = [text for f in figures if (text := f(metrics))]
    if check.get("outcome") != "measured":
        shown.insert(0, f"{check.get('outcome')}: {printable(check.get('detail'))}")
    return "; ".join(shown)


def device_label(report: Mapping[str, Any]) -> str:
    device = report.get("device") or {}
    name = device.get("marketing_name") or device.get("model") or "unknown phone"
    return printable(name)


def render_summary(report: Mapping[str, Any], path: Path | None = None) -> str:
    device = report.get("device") or {}
    lines = [
        f"{device_label(report)}  ({printable(device.get('platform'))} {printable(device.get('os_version'))},"
        f" model {printable(device.get('model'))}, serial {printable(device.get('serial'))})",
        f"profile {report['profile']['name']}",
    ]
    for check in report.get("checks", []):
        lines.append(f"  {check['name']:<10} {check.get('verdict', '-'):<12} {check_figures(check)}")
        if check.get("verdict") != "pass":
            lines += [f"  {'':<10} {'':<12} - {printable(reason)}" for reason in check.get("reasons") or []]
    lines.append(grade_line(report))
    if path is not None:
        lines.append(f"report {report['report_id']} signed by {report['station']['key_id'][:19]}…: {path}")
    return "\n".join(lines)


def grade_line(report: Mapping[str, Any]) -> str:
    grade = report.get("grade")
    if grade is None:
        why = (report.get("session") or {}).get("incomplete_reason") or "session incomplete"
        return f"grade: none (incomplete: {printable(why)})"
    reasons = "; ".join(printable(r) for r in grade.get("reasons") or [])
    return f"grade: {printable(grade['value'])}" + (f" ({reasons})" if reasons else "")


def render_row(name: str, report: Mapping[str, Any], path: Path | None) -> str:
    grade = report.get("grade")
    state = "complete" if (report.get("session") or {}).get("complete") else "INCOMPLETE"
    verdicts = " ".join(f"{c['name']}={c.get('verdict')}" for c in report.get("checks", []))
    return f"{name:<28} {device_label(report):<22} grade {printable(grade['value']) if grade else '-':<7} {state:<10} {verdicts}  {path or ''}"
