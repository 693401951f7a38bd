"""The ``phonebench`` command line.

Each area adds its own sub-commands (``add_parser`` in each module of agent/cli/); this module only
wires them and maps errors to exit codes and one-line messages. A PhonebenchError is a
user-facing problem and never shows a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from agent import __version__
from agent.errors import PhonebenchError, UsageError

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
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse would exit 2 itself; keep one path
        raise UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="phonebench", description="Diagnostics agent for phone inspection benches.")
    parser.add_argument("--version", action="version", version=f"phonebench {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more on stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_parser(sub)
    return parser


def _live_bench() -> int:
    """Bare ``phonebench`` at a terminal: the TUI on this station's live bench."""
    from agent.cli.tui import run_tui
    from agent.config import load_config
    from agent.session.hub import Hub

    config = load_config()
    return run_tui(Hub(slot_map=config.slots).supervisor, config.profile)


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s", stream=sys.stderr)
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.verbose:
            logging.getLogger().setLevel(logging.INFO)
        if getattr(args, "func", None) is None:
            if args.command is None and sys.stdin.isatty() and sys.stdout.isatty():
                return _live_bench()
            parser.print_help(sys.stderr)
            return UsageError.exit_code
        return int(args.func(args) or 0)
    except PhonebenchError as e:
        print(f"phonebench: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("phonebench: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
