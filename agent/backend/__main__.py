"""``python -m agent.backend serve|enroll|list``: the receiver without the station's CLI."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from agent.cli.backend import add_actions
from agent.errors import ExitCode, PhonebenchError


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s", stream=sys.stderr)
    parser = argparse.ArgumentParser(prog="python -m agent.backend", description="The reference report receiver.")
    add_actions(parser.add_subparsers(dest="action", metavar="ACTION", required=True))
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or ExitCode.OK)
    except PhonebenchError as e:
        print(f"phonebench backend: {e}", file=sys.stderr)
        return int(e.exit_code)
    except KeyboardInterrupt:
        return int(ExitCode.INTERRUPTED)


if __name__ == "__main__":
    sys.exit(main())
