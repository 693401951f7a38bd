"""`phonebench record` finds the adb server and the phone as adb would: ANDROID_ADB_SERVER_PORT
and ANDROID_SERIAL when no option names them, the option when one does; and with no adb
server it says so in one line instead of starting one."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.cli.main import main
from agent.errors import ExitCode
from agent.fixtures.format import load_fixture
from agent.links.adb import AdbServer
from agent.simulator import AdbdSimulator
from agent.simulator.bench import free_port

from .helpers import ROOT

PIXEL = ROOT / "fixtures/android/pixel-7.yaml"


@pytest.fixture(autouse=True)
def log_level() -> Iterator[None]:
    level = logging.getLogger().level
    yield
    logging.getLogger().setLevel(level)


@pytest.fixture
def phone(adb_server: AdbServer) -> Iterator[AdbdSimulator]:
    sim = AdbdSimulator(load_fixture(PIXEL), adb_server_port=adb_server.port).start()
    yield sim
    sim.stop()


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_record_asks_the_adb_server_android_adb_server_port_names(
        adb_server: AdbServer, phone: AdbdSimulator, out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANDROID_ADB_SERVER_PORT", str(adb_server.port))
    assert main(["record", "--serial", phone.serial, "-o", str(out), "--no-redact"]) == ExitCode.OK
    assert load_fixture(out).android.serial == "2B151FDH2000AB"  # type: ignore[union-attr]


def test_adb_port_wins_over_the_environment(adb_server: AdbServer, phone: AdbdSimulator, out: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANDROID_ADB_SERVER_PORT", str(free_port()))  # nothing listens there
    argv = ["record", "--serial", phone.serial, "-o", str(out), "--adb-port", str(adb_server.port)]
    assert main(argv) == ExitCode.OK
    assert out.exists()


def test_without_serial_record_takes_the_phone_android_serial_names(
        adb_server: AdbServer, phone: AdbdSimulator, out: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ANDROID_ADB_SERVER_PORT", str(adb_server.port))
    monkeypatch.setenv("ANDROID_SERIAL", phone.serial)
    assert main(["record", "-o", str(out), "--no-redact"]) == ExitCode.OK
    assert load_fixture(out).android.serial == "2B151FDH2000AB"  # type: ignore[union-attr]
    assert capsys.readouterr().err.startswith("recorded Pixel 7")


def test_with_no_adb_server_record_says_so_in_one_line_and_starts_none(
        out: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()
    monkeypatch.setenv("ANDROID_ADB_SERVER_PORT", str(port))
    assert main(["record", "--serial", "2B151FDH2000AB", "-o", str(out)]) == ExitCode.SESSION
    assert capsys.readouterr().err == (f"phonebench: no adb server on 127.0.0.1:{port} "
                                       "(start one with `adb start-server`, or set ANDROID_ADB_SERVER_PORT)\n")
    assert not out.exists()
    assert not _listening(port)


def test_a_port_variable_that_is_not_a_port_is_a_config_error(out: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ANDROID_ADB_SERVER_PORT", "50 37")
    assert main(["record", "--serial", "2B151FDH2000AB", "-o", str(out)]) == ExitCode.CONFIG
    assert capsys.readouterr().err == "phonebench: $ANDROID_ADB_SERVER_PORT must be a port number (1-65535), got '50 37'\n"
