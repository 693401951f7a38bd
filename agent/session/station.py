"""A station's standing parts, put together once: key, profile, checks, catalog, store.

Both front ends build their Station here, so the CLI and the TUI grade and sign alike.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from agent import paths
from agent.session.engine import Station
from agent.links.base import DEFAULT_TIMEOUT_S
from agent.session.operator import NoOperator, Operator

if TYPE_CHECKING:
    from agent.delivery.outbox import Outbox


def open_station(
    profile: str | None = None,
    *,
    outbox: Outbox | None,
    out_dir: Path | None = None,
    operator: Operator | None = None,
    station_id: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    after_save: Callable[[], None] | None = None,
) -> Station:
    """Load everything a session needs; any problem is a PhonebenchError naming the file.

    ``outbox`` is the process's one outbox (None: reports are signed and chained but not
    queued for delivery); ``after_save`` is told when a report has been queued."""
    from agent.config import load_config
    from agent.delivery.ledger import Ledger
    from agent.grading.catalog import load_catalog
    from agent.grading.profile import load_profile
    from agent.plugins import load_checks
    from agent.report.chain import ReportStore
    from agent.report.signing import StationKey

    config = load_config()
    checks = load_checks()
    loaded = load_profile(profile or config.profile, known_checks={c.name for c in checks})
    key = StationKey.load_or_create(paths.key_path())
    store = ReportStore(out_dir or paths.reports_dir(), paths.chain_state_path())
    return Station(
        profile=loaded,
        checks=checks,
        catalog=load_catalog(),
        station_id=station_id or config.station_id or key.default_station_id(),
        sink=Ledger(key, store, outbox, after_save),
        operator=operator if operator is not None else NoOperator(),
        timeout_s=timeout_s,
    )
