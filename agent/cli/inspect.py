"""``phonebench verify``, ``keys``, ``profiles`` and ``checks``: looking at what a station has."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.cli.common import add_json_flag, print_json
from agent.errors import ExitCode, UsageError

if TYPE_CHECKING:  # the profile loader is not needed to build the parser
    from agent.grading.profile import Profile


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("verify", help="verify a signed report, or a folder of them and their chain")
    p.add_argument("path", type=Path, metavar="PATH")
    p.add_argument("--pubkey", type=Path, metavar="FILE", help="verify against this public key (PEM), as a backend would")
    add_json_flag(p)
    p.set_defaults(func=cmd_verify)

    keys = _actions(sub, "keys", "the station's signing key")
    _leaf(keys, "show", "station id and keyid", cmd_keys_show)
    keys.add_parser("export", help="the public key as PEM on stdout").set_defaults(func=cmd_keys_export)

    profiles = _actions(sub, "profiles", "grading profiles")
    _leaf(profiles, "list", "bundled profiles", cmd_profiles_list)
    _leaf(profiles, "show", "a profile's rules", cmd_profiles_show).add_argument("name", metavar="NAME|FILE")

    checks = _actions(sub, "checks", "installed checks")
    listing = _leaf(checks, "list", "every check registered under phonebench.checks", cmd_checks_list)
    listing.add_argument("--metrics", action="store_true", help="each check's metrics, with their units and meaning")


def _actions(sub: argparse._SubParsersAction, name: str, help: str) -> argparse._SubParsersAction:
    """A command made of actions; naming none is a one-line usage error."""
    return sub.add_parser(name, help=help).add_subparsers(dest=f"{name}_command", metavar="ACTION", required=True)


def _leaf(actions: argparse._SubParsersAction, name: str, help: str, func: Any) -> argparse.ArgumentParser:
    """An action that prints data, so it takes ``--json``."""
    parser = actions.add_parser(name, help=help)
    add_json_flag(parser)
    parser.set_defaults(func=func)
    return parser


def cmd_verify(args: argparse.Namespace) -> int:
    from agent.report.verify import format_summary, result_json, verify_path

    if not args.path.exists():
        raise UsageError(f"{args.path}: no such file or folder")
    pubkey = None
    if args.pubkey is not None:
        try:
            pubkey = args.pubkey.read_bytes()
        except OSError as e:
            raise UsageError(f"{args.pubkey}: cannot read public key: {e.strerror or e}") from e
    result = verify_path(args.path, pubkey_pem=pubkey)
    if args.json:
        print_json(result_json(result))
    else:
        print(format_summary(result))
    if result.chain_ok is False:
        print(f"phonebench: {args.path}: the chain is broken: {'; '.join(result.problems)}", file=sys.stderr)
        return ExitCode.VERIFY
    return ExitCode.OK


def _station_key():
    from agent import paths
    from agent.report.signing import StationKey

    return StationKey.load_or_create(paths.key_path())


def cmd_keys_show(args: argparse.Namespace) -> int:
    from agent import paths

    key = _station_key()
    if args.json:
        print_json({"station_id": key.default_station_id(), "keyid": key.keyid, "key_file": str(paths.key_path())})
        return ExitCode.OK
    print(f"station id: {key.default_station_id()}")
    print(f"keyid:      {key.keyid}")
    print(f"key file:   {paths.key_path()}")
    return ExitCode.OK


def cmd_keys_export(args: argparse.Namespace) -> int:
    print(_station_key().public_pem(), end="")
    return ExitCode.OK


def cmd_profiles_list(args: argparse.Namespace) -> int:
    from agent.grading.profile import list_profiles

    profiles = list_profiles()
    if args.json:
        print_json({"profiles": [_profile_json(p) for p in profiles]})
        return ExitCode.OK
    for profile in profiles:
        print(f"{profile.name:<14} {profile.description}")
    return ExitCode.OK


def cmd_profiles_show(args: argparse.Namespace) -> int:
    from agent.grading.profile import load_profile

    profile = load_profile(args.name)
    if args.json:
        print_json(_profile_json(profile, with_rules=True))
        return ExitCode.OK
    print(f"# {profile.name}  {profile.digest}")
    if profile.path is not None:
        print(f"# {profile.path}")
        print(profile.path.read_text(encoding="utf-8"), end="")
    return ExitCode.OK


def _profile_json(profile: Profile, with_rules: bool = False) -> dict[str, Any]:
    """What a profile is, and with ``with_rules`` its YAML document as data (the rules as written)."""
    doc: dict[str, Any] = {"name": profile.name, "description": profile.description, "digest": profile.digest,
                           "path": str(profile.path) if profile.path else None,
                           "checks": list(profile.checks), "questions": list(profile.questions)}
    if with_rules and profile.path is not None:
        from agent.errors import ProfileError
        from agent.yamlfile import plain, read_yaml

        doc["document"] = plain(read_yaml(profile.path, ProfileError)[1])
    return doc


def cmd_checks_list(args: argparse.Namespace) -> int:
    from agent.plugins import list_checks

    entries = list_checks()
    if args.metrics:
        return _print_metrics(args.json)
    if args.json:
        print_json({"checks": [{"name": e.name, "target": e.target, "builtin": e.builtin,
                                "distribution": e.distribution} for e in entries]})
        return ExitCode.OK
    for entry in entries:
        origin = "built-in" if entry.builtin else f"plugin {entry.distribution or '?'}"
        print(f"{entry.name:<12} {entry.target:<36} {origin}")
    return ExitCode.OK


def _print_metrics(as_json: bool) -> int:
    """What each installed check declares it reports (``Check.metrics``): the same table as docs/metrics.md."""
    from agent.plugins import load_checks

    checks = load_checks()
    if as_json:
        print_json({"checks": {c.name: {name: {"unit": spec.unit, "description": spec.description, "device": spec.device}
                                        for name, spec in c.metrics.items()} for c in checks}})
        return ExitCode.OK
    for check in checks:
        print(f"{check.name}:" + ("" if check.metrics else " (declares no metrics)"))
        for name, spec in check.metrics.items():
            print(f"  {name:<28} {spec.unit or '':<5} {spec.description}")
    return ExitCode.OK
