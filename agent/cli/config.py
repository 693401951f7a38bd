"""``phonebench config show``: the station config as the agent reads it, the token masked."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    config = sub.add_parser("config", help="the station config").add_subparsers(dest="config_command", metavar="ACTION")
    config.add_parser("show", help="the config in effect (file + environment), token masked").set_defaults(
        func=cmd_config_show
    )


def cmd_config_show(args: argparse.Namespace) -> int:
    from agent.config import load_config

    for line in load_config().show():
        print(line)
    return 0
