"""Which adb server and phone, read as adb and adbutils read them (agent/links/adb_address.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent.errors import ConfigError
from agent.links.adb_address import AdbAddress, adb_address, android_serial

ROOT = Path(__file__).resolve().parents[2]


def test_nothing_set_is_adbs_default() -> None:
    assert adb_address(env={}) == AdbAddress("127.0.0.1", 5037)


def test_the_environment_names_the_server_as_for_adb() -> None:
    env = {"ANDROID_ADB_SERVER_PORT": "16037", "ANDROID_ADB_SERVER_ADDRESS": "10.0.0.7"}
    assert adb_address(env=env) == AdbAddress("10.0.0.7", 16037)
    assert adb_address(env={"ANDROID_ADB_SERVER_HOST": "bench-host"}).host == "bench-host"  # adbutils' name
    assert adb_address(env={"ANDROID_ADB_SERVER_HOST": "b", "ANDROID_ADB_SERVER_ADDRESS": "a"}).host == "a"


def test_what_the_caller_names_wins_over_the_environment() -> None:
    env = {"ANDROID_ADB_SERVER_PORT": "16037", "ANDROID_ADB_SERVER_ADDRESS": "10.0.0.7"}
    assert adb_address(15037, "127.0.0.1", env=env) == AdbAddress("127.0.0.1", 15037)
    assert adb_address(15037, env=env) == AdbAddress("10.0.0.7", 15037)  # as `adb -P` keeps the env's host


def test_an_empty_port_variable_is_the_default_as_for_adb() -> None:
    assert adb_address(env={"ANDROID_ADB_SERVER_PORT": ""}).port == 5037


@pytest.mark.parametrize("value", ["abc", "0", "65536", "-1", "+5037", "５０３７", "50 37"])
def test_a_port_variable_that_is_not_a_port_is_a_config_error(value: str) -> None:
    with pytest.raises(ConfigError, match=r"^\$ANDROID_ADB_SERVER_PORT must be a port number \(1-65535\), got "):
        adb_address(env={"ANDROID_ADB_SERVER_PORT": value})


def test_only_this_machine_counts_as_local() -> None:
    assert AdbAddress("127.0.0.1").local and AdbAddress("localhost").local and AdbAddress("::1").local
    assert not AdbAddress("10.0.0.7").local
    assert str(AdbAddress("::1", 5037)) == "[::1]:5037"


def test_android_serial_is_the_default_phone() -> None:
    assert android_serial({"ANDROID_SERIAL": "2B151FDH2000AB"}) == "2B151FDH2000AB"
    assert android_serial({"ANDROID_SERIAL": ""}) is None and android_serial({}) is None


@pytest.mark.parametrize(("value", "fails"), [("abc", True), ("", False), (" 16037 ", False)])
def test_importing_the_adb_link_says_what_is_wrong_with_the_port_variable(value: str, fails: bool) -> None:
    """adbutils reads the variable with int() at import; that must not be a ValueError traceback."""
    env = dict(os.environ, ANDROID_ADB_SERVER_PORT=value)
    code = "import agent.links.adb, os; print(repr(os.environ['ANDROID_ADB_SERVER_PORT']))"
    # cwd first on sys.path: this checkout's agent
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT, env=env)
    if fails:
        assert done.returncode != 0
        assert "agent.errors.ConfigError: $ANDROID_ADB_SERVER_PORT must be a port number" in done.stderr
    else:
        assert (done.returncode, done.stdout) == (0, f"{value!r}\n"), done.stderr  # the variable is left as it was
