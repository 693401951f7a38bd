"""``phonebench tui`` on the command line, the TUI's place in the headless rule, and what
bare ``phonebench`` and ``demo --headless`` do without a terminal or a person at the bench."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent.cli import tui as cli_tui
from agent.errors import ExitCode, FixtureError, UsageError


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli_tui.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_tui_takes_a_profile_and_a_replay_folder() -> None:
    args = _parse("tui", "--profile", "resale-80", "--replay", "fixtures/android")
    assert (args.profile, args.replay, args.func) == ("resale-80", Path("fixtures/android"), cli_tui.cmd_tui)
    assert _parse("tui").profile is None  # the station config's profile, else default


def test_a_replay_folder_without_fixtures_is_a_usage_error_and_a_missing_one_a_fixture_error(tmp_path: Path) -> None:
    """As ``run --fixture``: exit 2 for a folder with no fixtures, 3 for a path that is not there."""
    with pytest.raises(UsageError, match="no fixture files"):
        cli_tui.replay_supervisor(tmp_path)
    with pytest.raises(FixtureError, match="no such fixture file or folder") as missing:
        cli_tui.replay_supervisor(tmp_path / "missing")
    assert missing.value.exit_code == ExitCode.FIXTURE


def test_registering_the_command_does_not_load_textual() -> None:
    code = "import sys, argparse, agent.cli.tui as t; t.add_parser(argparse.ArgumentParser().add_subparsers()); print('textual' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False", result.stderr


ROOT = Path(__file__).resolve().parents[2]


def _phonebench(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    """This checkout's phonebench in a process of its own, with no terminal: stdin is empty."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HOME": str(home), "XDG_DATA_HOME": str(home / ".data"),
           "XDG_CONFIG_HOME": str(home / ".config"), "XDG_STATE_HOME": str(home / ".state")}
    return subprocess.run([sys.executable, "-m", "agent", *args], stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=300)  # the limit only stops a hung test


def _own_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("phonebench:")]


def test_bare_phonebench_without_a_terminal_says_it_needs_one_and_what_to_run_instead(tmp_path: Path) -> None:
    result = _phonebench(home=tmp_path)
    assert result.returncode == ExitCode.USAGE
    assert result.stdout == ""
    (line,) = _own_lines(result.stderr)
    assert "needs a terminal" in line and "demo --headless" in line and "phonebench run" in line


def test_headless_demo_ends_when_every_phone_waits_for_a_person_and_says_for_what(tmp_path: Path) -> None:
    """The phones in fixtures/states wait for Trust and for USB debugging: nobody will tap them,
    so the run ends (long before its --timeout) with one line per phone naming what it waits for."""
    result = _phonebench("demo", "--headless", "--fixtures", "fixtures/states", "--timeout", "3600", home=tmp_path)
    assert result.returncode == ExitCode.SESSION, result.stderr
    waits = sorted(line.split(" waits for a person: ")[1] for line in result.stdout.splitlines())
    assert waits == ["Allow USB debugging on the phone (tick 'Always allow from this computer')",
                     "Tap Trust on the phone and enter its passcode"]
    assert "no report after" not in result.stdout
    assert "2 phones, 2 waiting for a person" in result.stderr
    guidance = [line for line in result.stderr.splitlines() if line.startswith("slot")]
    assert len(guidance) == 2  # each said once, not once a retry
