"""Simulated Android phones behind the real adb server (adbutils' bundled binary).

One adb server per test session, on an ephemeral port with its own HOME (adb keeps its
key in ~/.android); every simulator a test makes is stopped when the test ends.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import yaml

from agent.fixtures.format import Fixture, parse_fixture
from agent.links.adb import AdbServer, ensure_adb_server
from agent.simulator import AdbdSimulator
from agent.simulator.bench import free_port

Simulate = Callable[..., AdbdSimulator]
States = Callable[[], dict[str, str]]
MODEL = "Pixel 8 Pro"
BIG_OUTPUT = "".join(f"[ro.test.line{i:04d}]: [{'°±é' * (i % 5)}value {i}]\r\n" for i in range(400))
COMMANDS: dict[str, dict[str, Any]] = {
    "getprop": {"stdout": BIG_OUTPUT},
    "dumpsys battery": {"stdout": "Current Battery Service state:\n  level: 87\n  temperature: 291\n"},
    "cat /sys/class/power_supply/battery/cycle_count": {
        "stderr": "cat: /sys/class/power_supply/battery/cycle_count: Permission denied\n", "exit_code": 1},
    "wm size": {"stdout": "Physical size: 1344x2992\n", "stderr": "warning: legacy\n", "exit_code": 0},
    "df /data": {"stdout": "Filesystem 1K-blocks Used Available Use% Mounted on\n", "delay_ms": 300},
    "no newline": {"stdout": "tail", "exit_code": 255},
}


def fixture_text(name: str = "phone", *, state: str = "device",
                 features: tuple[str, ...] = ("shell_v2", "cmd", "stat_v2"),
                 commands: dict[str, dict[str, Any]] | None = None, faults: list[dict[str, str]] | None = None) -> str:
    """A small phonebench-fixture/1 document, as a recorder would write it."""
    doc = {
        "format": "phonebench-fixture/1",
        "name": name,
        "platform": "android",
        "source": "tests/simulator_adb",
        "android": {
            "serial": f"SIM{name.upper()}",
            "state": state,
            "banner": {"ro.product.name": "husky", "ro.product.model": MODEL, "ro.product.device": "husky"},
            "features": list(features),
            "commands": COMMANDS if commands is None else commands,
        },
        "faults": faults or [],
    }
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def make_fixture(name: str = "phone", **kwargs: Any) -> Fixture:
    return parse_fixture(fixture_text(name, **kwargs))


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_until(condition: Callable[[], bool], what: str, within_s: float = 5.0) -> None:
    """Poll for a state the adb server reaches on its own thread (not a timing assertion:
    the bound only keeps a broken run from hanging)."""
    deadline = time.monotonic() + within_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never saw: {what}")
        time.sleep(0.05)


@pytest.fixture(scope="session")
def adb_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AdbServer]:
    home = tmp_path_factory.mktemp("adb-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(home))  # the daemon keeps the HOME it was started with
        mp.delenv("ANDROID_ADB_SERVER_PORT", raising=False)
        server = ensure_adb_server(free_port(), host="127.0.0.1")
    assert server.started_here
    yield server
    server.stop()
    wait_until(lambda: not _port_open(server.port), f"adb server on port {server.port} gone")


@pytest.fixture
def states(adb_server: AdbServer) -> States:
    """serial -> state, as `adb devices` lists them."""
    return lambda: {d.serial: d.state for d in adb_server.client().list()}


@pytest.fixture
def simulate(adb_server: AdbServer) -> Iterator[Simulate]:
    """Start simulators plugged into the session's adb server; all stopped afterwards."""
    started: list[AdbdSimulator] = []

    def start(fixture: Fixture, **kwargs: Any) -> AdbdSimulator:
        sim = AdbdSimulator(fixture, adb_server_port=adb_server.port, **kwargs)
        started.append(sim)
        return sim.start()

    yield start
    for sim in started:
        sim.stop()
    for sim in started:
        assert not _port_open(sim.port), f"simulator {sim.serial} still listening"
    assert not [t for t in threading.enumerate() if t.name.startswith("adbd-")], "simulator threads left"
