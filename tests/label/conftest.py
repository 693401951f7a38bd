"""Signed reports for label tests, made by the real engine over bundled fixtures, signed with
the (per-test, isolated) station key and kept in a side folder, as ``run --fixture`` does."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agent.delivery.ledger import SideRecord
from agent.fixtures.format import parse_fixture
from agent.links.replay import replay_link
from agent.session.engine import run_session
from agent.session.events import ReportSaved
from agent.session.station import open_station

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
PIXEL_7 = FIXTURES / "android" / "pixel-7.yaml"


def run_fixture(text: str, folder: Path, answers: dict[str, Any] | None = None) -> ReportSaved:
    """One session over a fixture's text; its saved report (the envelope is a file in ``folder``)."""
    bench = open_station("default", record=SideRecord(folder))

    async def collect() -> list:
        return [e async for e in run_session(replay_link(parse_fixture(text)), bench, answers=answers or {})]

    saved = [e for e in asyncio.run(collect()) if isinstance(e, ReportSaved)]
    assert len(saved) == 1
    return saved[0]


@pytest.fixture
def make_report(tmp_path: Path) -> Callable[..., ReportSaved]:
    """``make_report(fixture_path_or_text=PIXEL_7, folder=None, answers=None)`` -> ReportSaved."""

    def make(fixture: Path | str = PIXEL_7, folder: Path | None = None, answers: dict[str, Any] | None = None) -> ReportSaved:
        text = fixture.read_text(encoding="utf-8") if isinstance(fixture, Path) else fixture
        return run_fixture(text, folder or tmp_path / "reports", answers)

    return make


def payload_of(path: Path) -> dict[str, Any]:
    return json.loads(base64.b64decode(json.loads(path.read_text())["payload"]))
