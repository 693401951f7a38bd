"""What every command shares: ``--json``, ``-q``/``-v``, where info lines go, port options.

Data goes to stdout (with ``--json``, exactly one JSON document); progress and info go to
stderr, and ``-q`` silences them, so a script piping stdout sees only what it asked for and
a quiet run shows only errors.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from agent.errors import FixtureError, UsageError


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")


def add_verbosity_flags(parser: argparse.ArgumentParser) -> None:
    """``-q``/``-v`` on one parser. SUPPRESS as the default, so a flag given before the
    command is not reset by the sub-command's parser; read them with ``is_quiet``/``is_verbose``."""
    parser.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                        help="print nothing on stderr but errors")
    parser.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help="log more on stderr")


def is_quiet(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "quiet", False))


def is_verbose(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "verbose", False))


def info(args: argparse.Namespace, line: str) -> None:
    """A line for the person at the terminal (progress, where a file went), unless ``-q``."""
    if not is_quiet(args):
        print(line, file=sys.stderr, flush=True)


def print_json(doc: Any) -> None:
    print(json.dumps(doc, indent=2, default=str))


def port_number(text: str) -> int:
    """argparse type for ``--adb-port``: what adb accepts for ``-P``."""
    if not (text.isascii() and text.isdigit() and 0 < int(text) < 65536):
        raise argparse.ArgumentTypeError(f"expected a port number (1-65535), got {text!r}")
    return int(text)


def fixture_files(path: Path) -> list[Path]:
    """The fixture files ``run --fixture``, ``tui --replay`` and ``demo --fixtures`` read: a
    file, or every ``*.yaml`` under a folder. A path that is not there is a bad fixture (exit 3),
    as a file that does not parse is; a folder with none is a usage error (exit 2)."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.yaml") if p.is_file())
        if not files:
            raise UsageError(f"{path}: no fixture files (*.yaml) in this folder")
        return files
    if not path.exists():
        raise FixtureError(f"{path}: no such fixture file or folder")
    return [path]
