"""``phonebench config show``: the station config as the agent reads it, the token masked."""

from __future__ import annotations

import argparse

from agent.cli.common import add_json_flag, print_json
from agent.errors import ExitCode


def add_parser(sub: argparse._SubParsersAction) -> None:
    config = sub.add_parser("config", help="the station config")
    actions = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    show = actions.add_parser("show", help="the config in effect (file + environment), token masked")
    add_json_flag(show)
    show.set_defaults(func=cmd_config_show)


def cmd_config_show(args: argparse.Namespace) -> int:
    from agent.config import load_config

    config = load_config()
    if args.json:
        print_json(config.to_json())  # never the token itself
        return ExitCode.OK
    for line in config.show():
        print(line)
    return ExitCode.OK
