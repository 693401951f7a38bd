"""A phone's session as Rich renderables: figures with units and sources, verdicts, grade.

Everything is built from Text and Table cells that are Text, never markup strings, so a
phone that calls itself ``[red]x`` is shown as those characters.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from agent.report.summary import check_figures
from agent.text import printable
from agent.tui.model import SlotView

#: metric-name suffix -> unit shown next to the figure
UNITS: tuple[tuple[str, str], ...] = (
    ("_percent", "%"), ("_c", "°C"), ("_mv", "mV"), ("_ma", "mA"), ("_mah", "mAh"), ("_uah", "µAh"),
    ("_mw", "mW"), ("_ua", "µA"), ("_uv", "µV"), ("_bytes", "bytes"), ("_gb", "GB"), ("_px", "px"), ("_dpi", "dpi"), ("_hz", "Hz"),
    ("_s", "s"), ("_ms", "ms"),
)
VERDICT_STYLE = {"pass": "green", "warn": "yellow", "review": "yellow", "not_assessed": "dim", "fail": "bold red"}


def unit_of(metric: str) -> str:
    return next((unit for suffix, unit in UNITS if metric.endswith(suffix)), "")


def phone_details(view: SlotView) -> RenderableType:
    """The whole phone view: who the phone is, each check, the grade, the report."""
    parts: list[RenderableType] = [_identity(view)]
    for check in view.checks.values():
        parts.extend(_check(check))
    parts.extend(_grade(view))
    parts.extend(_report(view))
    return Group(*parts)


def _identity(view: SlotView) -> Text:
    d = view.device
    text = Text()
    text.append(printable(view.name), style="bold")
    text.append(f"  slot {view.slot} · {printable(view.platform)} {printable(d.get('os_version'))}\n")
    for label, key in (("maker", "manufacturer"), ("model", "model"), ("code", "model_code"),
                       ("serial", "serial"), ("IMEI", "imei"), ("build", "build")):
        text.append(f"{label} ", style="dim").append(printable(d.get(key)) + "  ")
    text.append("\nport ", style="dim").append(_port(view))
    text.append("\nstate ", style="dim").append(view.status())
    reason = view.reason()
    if reason and not (view.state == "error" and view.error):  # the error has its own line below
        text.append(f"  — {reason}", style="yellow")
    if view.error:
        text.append(f"\nerror: {printable(view.error)}", style="bold red")
    if view.erasure:
        text.append(f"\n{view.erasure}", style="bold")  # erase_flow made it printable
    return text


def _port(view: SlotView) -> str:
    """``left 3 (1-1.3)``, ``1-1.3``, or why there is none."""
    if not view.port:
        return "- (not on USB, or not known)"
    if view.port_name:
        return f"{printable(view.port_name)} ({printable(view.port)})"
    return printable(view.port)


def _check(check: Mapping[str, Any]) -> list[RenderableType]:
    verdict = check.get("verdict") or "…"
    head = Text("\n")
    head.append(printable(check.get("title") or check.get("name")), style="bold")
    head.append(f"  {printable(check.get('outcome'))} · ")
    head.append(printable(verdict), style=VERDICT_STYLE.get(verdict, ""))
    if check.get("detail"):
        head.append(f"  ({printable(check['detail'])})", style="dim")
    head.append("\n").append(check_figures(dict(check)), style="italic")
    table = Table(box=None, pad_edge=False, show_header=True, header_style="dim")
    for column in ("figure", "value", "unit", "source"):
        table.add_column(column, overflow="fold")
    for name, metric in (check.get("metrics") or {}).items():
        table.add_row(*_metric_row(name, metric))
    reasons = Text("\n".join(f"  - {printable(r)}" for r in check.get("reasons") or []))
    return [head, table, reasons] if reasons.plain else [head, table]


def _metric_row(name: str, metric: Mapping[str, Any]) -> tuple[Text, Text, Text, Text]:
    value = metric.get("value")
    source = printable(metric.get("source"))
    if metric.get("method"):
        source += f" (method: {printable(metric['method'])})"
    if value is None:
        shown = Text("unknown", style="yellow")
        source += f" — {printable(metric.get('reason'))}"
    else:
        shown = Text(printable(value))
    return Text(name), shown, Text(unit_of(name)), Text(source, style="dim")


def _grade(view: SlotView) -> list[RenderableType]:
    text = Text("\n")
    if view.grade is None:
        done = view.state in ("done", "incomplete", "error")
        text.append("Grade: none" if done else "Grade: not yet", style="bold")
        reason = (view.report or {}).get("session", {}).get("incomplete_reason") if view.report else None
        if reason:
            text.append(f" (incomplete: {printable(reason)})")
        return [text]
    text.append(f"Grade {printable(view.grade.get('value'))}", style="bold")
    for reason in view.grade.get("reasons") or []:
        text.append(f"\n  - {printable(reason)}")
    return [text]


def _report(view: SlotView) -> list[RenderableType]:
    if view.report is None:
        return []
    signatures = (view.envelope or {}).get("signatures") or [{}]
    keyid = signatures[0].get("keyid") or view.report["station"]["key_id"]
    text = Text("\n")
    text.append("Report\n", style="bold")
    answers = view.report.get("answers") or {}
    for label, value in (("id", view.report.get("report_id")), ("keyid", keyid), ("path", view.path),
                         ("answers", "; ".join(f"{k}: {printable(v)}" for k, v in answers.items()) or None),
                         ("upload", view.upload.line() if view.upload else "reading the outbox...")):
        text.append(f"  {label:<8}", style="dim").append(f"{printable(value)}\n")
    return [text]
