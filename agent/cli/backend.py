"""``phonebench backend serve|enroll|list``: the reference receiver, for tests, demos and small shops.

``serve`` needs the ``backend`` extra (starlette, uvicorn), which a bench station does not:
without it, it says which ``pip install`` brings it, in one line.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
from pathlib import Path
from typing import Any

from agent.cli.common import add_json_flag
from agent.errors import ConfigError, ExitCode, UsageError
from agent.text import printable

#: what ``serve`` imports that a station install leaves out
EXTRA_MODULES = ("starlette", "uvicorn")


def add_parser(sub: argparse._SubParsersAction) -> None:
    backend = sub.add_parser("backend", help="the reference grading backend (receiver)")
    add_actions(backend.add_subparsers(dest="backend_command", metavar="ACTION", required=True))


def add_actions(actions: argparse._SubParsersAction) -> None:
    serve = actions.add_parser("serve", help="receive reports over HTTP(S)")
    serve.add_argument("--port", type=int, required=True, metavar="N", help="0 picks a free port (printed)")
    serve.add_argument("--db", type=Path, required=True, metavar="FILE", help="SQLite file (created if missing)")
    serve.add_argument("--host", default="127.0.0.1", metavar="ADDR")
    serve.add_argument("--tls-cert", type=Path, metavar="FILE", help="serve HTTPS with this certificate (PEM)")
    serve.add_argument("--tls-key", type=Path, metavar="FILE", help="the certificate's private key (PEM)")
    serve.add_argument("--token-file", type=Path, metavar="FILE", help="require this bearer token (first line)")
    serve.add_argument("--accept-provenance", default="", metavar="KINDS",
                       help="also accept these provenances besides usb,network (e.g. simulated,replay)")
    serve.add_argument("--require-provenance", action="store_true",
                       help="refuse reports that do not say their provenance")
    serve.set_defaults(func=cmd_serve)

    enroll = actions.add_parser("enroll", help="trust a station's public key")
    enroll.add_argument("pubkey", type=Path, metavar="PUBKEY_FILE", help="from `phonebench keys export`")
    enroll.add_argument("--db", type=Path, required=True, metavar="FILE")
    enroll.add_argument("--station-id", metavar="ID", help="the station this key signs for (default: the key's own id)")
    enroll.set_defaults(func=cmd_enroll)

    listing = actions.add_parser("list", help="the reports received and their chain status")
    listing.add_argument("--db", type=Path, required=True, metavar="FILE")
    add_json_flag(listing)
    listing.set_defaults(func=cmd_list)


def _receiver() -> tuple[Any, Any]:
    """(uvicorn, create_app), or a ConfigError naming the extra that brings them."""
    try:
        import uvicorn

        from agent.backend.app import create_app
    except ModuleNotFoundError as e:
        missing = (e.name or "").split(".")[0]
        if missing not in EXTRA_MODULES:
            raise
        raise ConfigError(f"backend serve needs {missing}, which is not installed: pip install 'phonebench[backend]'") from e
    return uvicorn, create_app


def cmd_serve(args: argparse.Namespace) -> int:
    uvicorn, create_app = _receiver()
    if (args.tls_cert is None) != (args.tls_key is None):
        raise UsageError("backend serve: --tls-cert and --tls-key go together")
    token = _read_token(args.token_file) if args.token_file else None
    try:
        app = create_app(args.db, token, [k.strip() for k in args.accept_provenance.split(",") if k.strip()],
                         args.require_provenance)
    except ValueError as e:
        raise UsageError(f"backend serve: --accept-provenance: {e}") from e
    sock = _listen(args.host, args.port)
    config = uvicorn.Config(
        app,
        ssl_certfile=str(args.tls_cert) if args.tls_cert else None,
        ssl_keyfile=str(args.tls_key) if args.tls_key else None,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=5,  # an idle TLS keep-alive would otherwise hold shutdown for 30 s
    )
    host, port = sock.getsockname()[:2]
    scheme = "https" if args.tls_cert else "http"
    shown = f"[{host}]" if ":" in host else host
    print(f"phonebench backend: listening on {scheme}://{shown}:{port} (db {args.db})", flush=True)
    uvicorn.Server(config).run(sockets=[sock])
    return ExitCode.OK


def cmd_enroll(args: argparse.Namespace) -> int:
    from agent.backend.db import BackendDB

    try:
        pem = args.pubkey.read_bytes()
    except OSError as e:
        raise UsageError(f"{args.pubkey}: cannot read public key: {e.strerror or e}") from e
    db = BackendDB(args.db)
    keyid = db.enroll(pem, str(args.pubkey), args.station_id)
    print(f"enrolled {keyid}")
    print(f"bound to station {printable(db.station_for(keyid) or '-')}", file=sys.stderr)
    return ExitCode.OK


def cmd_list(args: argparse.Namespace) -> int:
    from agent.backend.db import BackendDB

    if not args.db.exists():
        raise UsageError(f"{args.db}: no such backend database")
    db = BackendDB(args.db)
    reports = db.reports()
    if args.json:
        rejections = db.rejections()  # the key only when there are some: {"reports": [...]} stays as it was
        doc = {"reports": [r.to_json() for r in reports]} | ({"rejections": [r.to_json() for r in rejections]} if rejections else {})
        print(json.dumps(doc, indent=2))
        return ExitCode.OK
    for r in db.chain_view():
        chain = r.chain + (f" ({printable(r.chain_detail)})" if r.chain_detail else "")
        resent = f"  resent {r.duplicates}x" if r.duplicates else ""
        origin = printable(r.provenance or "unknown")
        kind = "  erasure certificate" if r.kind == "erasure" else ""
        if r.erasure is not None:
            e = r.erasure
            kind += (f": {printable(e['result'] or '?')} ({printable(e['method'] or '?')}), "
                     f"serial {printable(e['serial'] or '?')}")
        print(f"{printable(r.station_id):<20} {r.sequence:>6}  {r.report_id}  {r.received_at}  {origin:<9} {chain}{resent}{kind}")
    erasures = sum(r.kind == "erasure" for r in reports)
    print(f"{len(reports) - erasures} report(s)" + (f", {erasures} erasure certificate(s)" if erasures else ""))
    return ExitCode.OK


def _listen(host: str, port: int) -> socket.socket:
    """Bind before uvicorn starts, so port 0 can be printed and connections queue meanwhile."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # asyncio sets TCP_NODELAY only then
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as e:
        sock.close()
        raise UsageError(f"backend serve: cannot listen on {host}:{port} ({e.strerror or e})") from e
    return sock


def _read_token(path: Path) -> str:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read the token file ({e})") from e
    if not lines or not lines[0].strip():
        raise ConfigError(f"{path}: the token file is empty")
    return lines[0].strip()
