"""``phonebench verify``, ``keys``, ``profiles`` and ``checks``: looking at what a station has."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from agent.errors import UsageError, VerificationError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("verify", help="verify a signed report, or a folder of them and their chain")
    p.add_argument("path", type=Path, metavar="PATH")
    p.add_argument("--pubkey", type=Path, metavar="FILE", help="verify against this public key (PEM), as a backend would")
    p.set_defaults(func=cmd_verify)

    keys = sub.add_parser("keys", help="the station's signing key").add_subparsers(dest="keys_command", metavar="ACTION")
    keys.add_parser("show", help="station id and keyid").set_defaults(func=cmd_keys_show)
    keys.add_parser("export", help="the public key as PEM on stdout").set_defaults(func=cmd_keys_export)

    profiles = sub.add_parser("profiles", help="grading profiles").add_subparsers(dest="profiles_command", metavar="ACTION")
    profiles.add_parser("list", help="bundled profiles").set_defaults(func=cmd_profiles_list)
    show = profiles.add_parser("show", help="a profile's rules")
    show.add_argument("name", metavar="NAME|FILE")
    show.set_defaults(func=cmd_profiles_show)

    checks = sub.add_parser("checks", help="installed checks").add_subparsers(dest="checks_command", metavar="ACTION")
    checks.add_parser("list", help="every check registered under phonebench.checks").set_defaults(func=cmd_checks_list)


def cmd_verify(args: argparse.Namespace) -> int:
    from agent.report.verify import format_summary, verify_path

    if not args.path.exists():
        raise UsageError(f"{args.path}: no such file or folder")
    pubkey = None
    if args.pubkey is not None:
        try:
            pubkey = args.pubkey.read_bytes()
        except OSError as e:
            raise UsageError(f"{args.pubkey}: cannot read public key: {e.strerror or e}") from e
    result = verify_path(args.path, pubkey_pem=pubkey)
    print(format_summary(result))
    if result.chain_ok is False:
        print(f"phonebench: {args.path}: the chain is broken: {'; '.join(result.problems)}", file=sys.stderr)
        return VerificationError.exit_code
    return 0


def _station_key():  # type: ignore[no-untyped-def]
    from agent import paths
    from agent.report.signing import StationKey

    return StationKey.load_or_create(paths.key_path())


def cmd_keys_show(args: argparse.Namespace) -> int:
    from agent import paths

    key = _station_key()
    print(f"station id: {key.default_station_id()}")
    print(f"keyid:      {key.keyid}")
    print(f"key file:   {paths.key_path()}")
    return 0


def cmd_keys_export(args: argparse.Namespace) -> int:
    print(_station_key().public_pem(), end="")
    return 0


def cmd_profiles_list(args: argparse.Namespace) -> int:
    from agent.grading.profile import list_profiles

    for profile in list_profiles():
        print(f"{profile.name:<14} {profile.description}")
    return 0


def cmd_profiles_show(args: argparse.Namespace) -> int:
    from agent.grading.profile import load_profile

    profile = load_profile(args.name)
    print(f"# {profile.name}  {profile.digest}")
    if profile.path is not None:
        print(f"# {profile.path}")
        print(profile.path.read_text(encoding="utf-8"), end="")
    return 0


def cmd_checks_list(args: argparse.Namespace) -> int:
    from agent.plugins import list_checks

    for entry in list_checks():
        origin = "built-in" if entry.builtin else f"plugin {entry.distribution or '?'}"
        print(f"{entry.name:<12} {entry.target:<36} {origin}")
    return 0
