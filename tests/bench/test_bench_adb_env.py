"""The live bench (bare ``phonebench`` and ``phonebench tui``) watches the adb server that
ANDROID_ADB_SERVER_PORT names, as adb would, unless ``--adb-port`` names another: a simulated
phone behind a real adb server on a non-default port is found and measured through it. The
TUI itself is replaced by a stand-in that keeps the bench it was given."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.cli.main import main
from agent.delivery.ledger import SideRecord
from agent.errors import ExitCode
from agent.fixtures.format import load_fixture
from agent.session.events import ReportSaved, SlotEvent
from agent.session.hub import Hub
from agent.session.station import open_station
from agent.simulator.bench import SimulatedHub, free_port

PIXEL = Path(__file__).resolve().parents[2] / "fixtures" / "android" / "pixel-7.yaml"


class _Terminal:
    """stdin/stdout as a technician's terminal, for bare ``phonebench``."""

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


@pytest.fixture(autouse=True)
def log_level() -> Iterator[None]:
    level = logging.getLogger().level
    yield
    logging.getLogger().setLevel(level)


@pytest.fixture
def sim() -> Iterator[SimulatedHub]:
    with SimulatedHub([load_fixture(PIXEL)]) as bench:
        yield bench


def bench_of(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> Hub:
    """The Hub that ``phonebench *argv`` would open the TUI on."""
    given: list[Any] = []
    monkeypatch.setattr("agent.cli.tui.run_tui", lambda make_supervisor, *a, **k: given.append(make_supervisor) or 0)
    assert main(argv) == ExitCode.OK
    return given[0].__self__


async def first_report(hub: Hub, out: Path) -> dict[str, Any]:
    stream = hub.supervisor(open_station("default", record=SideRecord(out))).events()
    try:
        async with asyncio.timeout(120):
            async for event in stream:
                if isinstance(event, SlotEvent) and isinstance(event.event, ReportSaved):
                    return event.event.report
    finally:
        await stream.aclose()
    raise AssertionError("the bench ended without a report")


def test_tui_measures_a_phone_behind_the_adb_server_android_adb_server_port_names(
        sim: SimulatedHub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ANDROID_ADB_SERVER_PORT", str(sim.adb_port))
    hub = bench_of(["tui"], monkeypatch)
    assert (hub.adb_host, hub.adb_port) == ("127.0.0.1", sim.adb_port)
    assert asyncio.run(first_report(hub, tmp_path))["device"]["model"] == "Pixel 7"


def test_bare_phonebench_at_a_terminal_follows_android_adb_server_port(
        sim: SimulatedHub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ANDROID_ADB_SERVER_PORT", str(sim.adb_port))
    monkeypatch.setattr(sys, "stdin", _Terminal())
    monkeypatch.setattr(sys, "stdout", _Terminal())
    hub = bench_of([], monkeypatch)
    assert hub.adb_port == sim.adb_port
    assert asyncio.run(first_report(hub, tmp_path))["device"]["model"] == "Pixel 7"


def test_tui_adb_port_wins_over_the_environment(sim: SimulatedHub, monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    monkeypatch.setenv("ANDROID_ADB_SERVER_PORT", str(free_port()))  # nothing listens there
    hub = bench_of(["tui", "--adb-port", str(sim.adb_port)], monkeypatch)
    assert hub.adb_port == sim.adb_port
    assert asyncio.run(first_report(hub, tmp_path))["device"]["model"] == "Pixel 7"


def test_adb_port_and_replay_do_not_go_together(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["tui", "--replay", str(PIXEL.parent), "--adb-port", "5038"])
    assert code == ExitCode.USAGE
    assert capsys.readouterr().err == "phonebench: tui: --adb-port is for the live bench, not --replay\n"
