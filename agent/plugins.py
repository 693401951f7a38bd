"""Checks found through the ``phonebench.checks`` entry-point group.

The built-in checks register there too, so a third-party check is a peer, not a
special case. Listing reads entry-point metadata only; loading imports the check, and a
check that fails to import or is not a Check is skipped with a warning.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from types import MappingProxyType

from agent.check import Check

GROUP = "phonebench.checks"
#: the order built-in checks run and appear in; third-party checks follow by name
BUILTIN_ORDER = ("identity", "battery", "screen", "storage", "locks")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckEntry:
    name: str
    target: str
    distribution: str | None

    @property
    def builtin(self) -> bool:
        return self.target.startswith("checks.")


def _sort_key(name: str) -> tuple[int, str]:
    return (BUILTIN_ORDER.index(name) if name in BUILTIN_ORDER else len(BUILTIN_ORDER), name)


def _entry_points() -> list[EntryPoint]:
    seen: dict[str, EntryPoint] = {}
    for ep in entry_points(group=GROUP):
        seen.setdefault(ep.name, ep)
    return [seen[name] for name in sorted(seen, key=_sort_key)]


def list_checks() -> list[CheckEntry]:
    """Every registered check, without importing any of them."""
    return [
        CheckEntry(ep.name, ep.value, ep.dist.name if ep.dist is not None else None)
        for ep in _entry_points()
    ]


def load_checks() -> list[Check]:
    """Instances of every check that loads; broken plugins are skipped with a warning."""
    out: list[Check] = []
    for ep in _entry_points():
        try:
            cls = ep.load()
        except Exception as e:  # a broken plugin must not take the bench down
            log.warning("skipping check %r (%s): cannot import: %s", ep.name, ep.value, e)
            continue
        if not (isinstance(cls, type) and issubclass(cls, Check)):
            log.warning("skipping check %r (%s): not a phonebench Check", ep.name, ep.value)
            continue
        try:
            check = cls()
        except Exception as e:
            log.warning("skipping check %r (%s): cannot create: %s", ep.name, ep.value, e)
            continue
        if getattr(check, "name", None) != ep.name:
            log.warning("skipping check %r (%s): its name is %r", ep.name, ep.value, getattr(check, "name", None))
            continue
        out.append(check)
    return out


@functools.cache
def declared_metrics() -> Mapping[str, frozenset[str]]:
    """Metric names by check, for every installed check that declares its metrics (a
    check that declares none is held only to snake_case names by a profile). Read once
    per process: the installed checks do not change under a running station."""
    return MappingProxyType({check.name: frozenset(check.metrics) for check in load_checks() if check.metrics})


def metrics_markdown(checks: Sequence[Check]) -> str:
    """The metrics the checks declare, as the Markdown of docs/metrics.md: the report
    schema's companion, since a report's ``checks[].metrics`` keys are these names."""
    lines = ["# Metrics", "",
             "What each check reports under `checks[].metrics` in a `phonebench.report/2` report:",
             "the name carries the unit; a value is `null` with a `reason` when it could not be",
             "determined. Generated from the checks' own declarations (`Check.metrics`);",
             "`phonebench checks list --metrics` prints the same for the checks installed.", ""]
    for check in checks:
        if not check.metrics:
            continue
        lines += [f"## {check.name}", "", "| metric | unit | what it is |", "|---|---|---|"]
        for name, spec in check.metrics.items():
            device = " (in the report's `device` block)" if spec.device else ""
            lines.append(f"| `{name}` | {spec.unit or ''} | {spec.description}{device} |")
        lines.append("")
    return "\n".join(lines)
