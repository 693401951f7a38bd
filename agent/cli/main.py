"""The ``phonebench`` command line.

Each area adds its own sub-commands (``add_parser`` in each module of agent/cli/); this module only
wires them and maps errors to exit codes and one-line messages. A PhonebenchError is a
user-facing problem and never shows a traceback: it is one ``phonebench: ...`` line on stderr
and its ``ExitCode``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from typing import NoReturn

from agent import __version__
from agent.cli.common import add_verbosity_flags, is_quiet, is_verbose
from agent.errors import ExitCode, PhonebenchError, UsageError
from agent.text import printable

PROG = "phonebench"

#: modules that contribute sub-commands, in the order they appear in --help
COMMAND_MODULES = (
    "agent.cli.run",
    "agent.cli.demo",
    "agent.cli.simulate",
    "agent.cli.record",
    "agent.cli.outbox",
    "agent.cli.config",
    "agent.cli.backend",
    "agent.cli.tui",
    "agent.cli.inspect",
    "agent.cli.label",
    "agent.cli.erase",
)


class _Parser(argparse.ArgumentParser):
    """Every parser, the sub-commands' too (argparse makes them of the parent's class),
    takes ``-q``/``-v``, so they work before and after the command."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        add_verbosity_flags(self)

    def error(self, message: str) -> NoReturn:  # argparse would print usage and exit 2 itself; keep one path
        command = self.prog.removeprefix(PROG).strip()  # main adds "phonebench: " once
        raise UsageError(f"{command}: {message}" if command else message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Diagnostics agent for phone inspection benches.")
    parser.add_argument("--version", action="version", version=f"phonebench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_parser(sub)
    return parser


def _live_bench() -> int:
    """Bare ``phonebench`` at a terminal: the TUI on this station's live bench, on the adb
    server the environment names (ANDROID_ADB_SERVER_PORT...), as ``phonebench tui`` does."""
    from agent.cli.tui import live_supervisor, run_tui
    from agent.config import load_config

    config = load_config()
    return run_tui(live_supervisor(config), config.profile)


def _log_level(args: argparse.Namespace) -> int:
    if is_verbose(args):
        return logging.INFO
    return logging.ERROR if is_quiet(args) else logging.WARNING


def _run(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    logging.getLogger().setLevel(_log_level(args))
    if getattr(args, "func", None) is not None:
        return int(args.func(args) or ExitCode.OK)
    if getattr(args, "command", None) is not None:
        raise UsageError("no command given (phonebench --help lists them)")
    if sys.stdin.isatty() and sys.stdout.isatty():
        return _live_bench()
    raise UsageError("the bench needs a terminal; without one, try 'phonebench demo --headless' or "
                     "'phonebench run' (phonebench --help lists every command)")


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s", stream=sys.stderr)
    try:
        return _run(argv)
    except PhonebenchError as e:
        print(f"{PROG}: {printable(' '.join(str(e).splitlines()))}", file=sys.stderr)
        return int(e.exit_code)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        return int(ExitCode.OK)


if __name__ == "__main__":
    sys.exit(main())
