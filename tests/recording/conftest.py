"""A private adb server and a fake usbmuxd for recording simulated phones; both stopped after."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.links.adb import AdbServer, ensure_adb_server
from agent.simulator.bench import free_port
from agent.simulator.usbmuxd import UsbmuxdSimulator


@pytest.fixture(scope="module")
def adb_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AdbServer]:
    home = tmp_path_factory.mktemp("adb-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(home))  # the daemon keeps its key under the HOME it starts with
        mp.delenv("ANDROID_ADB_SERVER_PORT", raising=False)
        server = ensure_adb_server(free_port(), host="127.0.0.1")
    yield server
    server.stop()


@pytest.fixture
def usbmuxd(monkeypatch: pytest.MonkeyPatch) -> Iterator[UsbmuxdSimulator]:
    with UsbmuxdSimulator().start() as sim:
        monkeypatch.setenv("USBMUXD_SOCKET_ADDRESS", sim.socket_address)
        yield sim


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "recorded.yaml"
