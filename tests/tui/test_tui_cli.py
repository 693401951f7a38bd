"""``phonebench tui`` on the command line, and the TUI's place in the headless rule."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from agent.cli import tui as cli_tui
from agent.errors import UsageError


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli_tui.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_tui_takes_a_profile_and_a_replay_folder() -> None:
    args = _parse("tui", "--profile", "resale-80", "--replay", "fixtures/android")
    assert (args.profile, args.replay, args.func) == ("resale-80", Path("fixtures/android"), cli_tui.cmd_tui)
    assert _parse("tui").profile is None  # the station config's profile, else default


def test_a_replay_folder_without_fixtures_is_a_one_line_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no fixture files"):
        cli_tui.replay_supervisor(tmp_path)
    with pytest.raises(UsageError, match="not a folder"):
        cli_tui.replay_supervisor(tmp_path / "missing")


def test_registering_the_command_does_not_load_textual() -> None:
    code = "import sys, argparse, agent.cli.tui as t; t.add_parser(argparse.ArgumentParser().add_subparsers()); print('textual' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False", result.stderr
