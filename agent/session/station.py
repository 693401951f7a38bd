"""A station's standing parts, put together once: key, profile, checks, catalog, store.

Both front ends build their Station here, so the CLI and the TUI grade and sign alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent import paths
from agent.links.base import DEFAULT_TIMEOUT_S
from agent.session.engine import Station
from agent.session.journal import Journal
from agent.session.operator import NoOperator, Operator

if TYPE_CHECKING:
    from agent.delivery.ledger import Record


def open_station(
    profile: str | None = None,
    *,
    record: Record,
    operator: Operator | None = None,
    station_id: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> Station:
    """Load everything a session needs; any problem is a PhonebenchError naming the file.

    ``record`` says where reports go: ``StationRecord`` (the station's own chain and outbox,
    real phones only) or ``SideRecord`` (a folder of their own: replays, demos, tests).
    Sessions are journaled beside that record's outbox (``agent.session.journal``)."""
    from agent.config import load_config
    from agent.grading.catalog import load_catalog
    from agent.grading.profile import load_profile
    from agent.plugins import load_checks
    from agent.report.signing import StationKey

    config = load_config()
    checks = load_checks()
    loaded = load_profile(profile or config.profile, known_checks={c.name for c in checks})
    key = StationKey.load_or_create(paths.key_path())
    sink = record.open(key)
    return Station(
        profile=loaded,
        checks=checks,
        catalog=load_catalog(),
        station_id=station_id or config.station_id or key.default_station_id(),
        sink=sink,
        operator=operator if operator is not None else NoOperator(),
        timeout_s=timeout_s,
        journal=Journal.beside(sink.outbox.path),  # the record's own: a demo's never mixes with the station's
    )
