"""The receiver's HTTP face (Starlette): ``POST /v1/reports`` and ``GET /v1/health``.

Only wiring lives here: verification is agent.report.signing's, storage and chain checks are
agent.backend.db's. Every refusal is JSON ``{"error": "<one line>"}`` with a status the
uploader can act on: 400 the request or envelope is bad (resending will not help), 403 the
key is not enrolled or the report names another station than its key's, 401 the bearer
token is missing or wrong, 409 already stored (delivered), 413 the body is too large, 422
the report's provenance is not accepted here (or its id is stored with another payload).
Nothing a client sends is answered with a 5xx.

Provenance (``session.provenance``): ``usb`` and ``network`` are always accepted; ``simulated``
and ``replay`` only when listed in ``accept_provenance``. A report that does not say is
accepted (stations predating the field) unless ``require_provenance`` is set. A kind that its
own ``session.transport_id`` contradicts is refused with 422 (see ``transport_conflict``): a
``usb`` phone names a USB transport, a ``network`` phone is not on the station's loopback.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from agent.backend.db import MAX_SEQUENCE, BackendDB, Stored, provenance_of
from agent.errors import DataRefused, HttpRefused, SigningError, UnknownKeyError, VerificationError
from agent.jsonfile import load_json
from agent.report.signing import canonical_json, payload_digest, verify_envelope

MAX_BODY_BYTES = 1 << 20  # a report is a few kB; anything near this is not one
PROVENANCES = ("usb", "network", "simulated", "replay")
ALWAYS_ACCEPTED = frozenset({"usb", "network"})
#: a string (its closing quote optional, so an unterminated one never makes the scan quadratic), or a bracket
_USB_TRANSPORTS = ("usb:", "usbmux:")
_LOOPBACK = re.compile(r"^(adb:)?(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[?::1\]?|localhost)(:\d+)?$", re.IGNORECASE)
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class Receiver:
    def __init__(self, db: BackendDB, token: str | None = None, accept_provenance: Iterable[str] = (),
                 require_provenance: bool = False) -> None:
        self.db, self.token, self.require_provenance = db, token, require_provenance
        self.accepted = ALWAYS_ACCEPTED | check_provenances(accept_provenance)
        self._keys = db.keys()

    async def post_report(self, request: Request) -> JSONResponse:
        if self.token is not None and not _authorized(request, self.token):
            return _error(401, "missing or wrong bearer token", {"WWW-Authenticate": "Bearer"})
        try:
            key = _idempotency_key(request)
            envelope = _parse(await _read_body(request))
            report = await run_in_threadpool(self._verify_report, envelope)
            if key is not None and key != report["report_id"]:
                raise HttpRefused(400, "Idempotency-Key is not the report's report_id")
            digest = payload_digest(canonical_json(report))
            await run_in_threadpool(self._check_policy, report, digest)
        except HttpRefused as e:
            return _error(e.status, str(e))
        stored = await run_in_threadpool(self.db.store, report, envelope, digest)
        return _answer(report["report_id"], stored)

    async def health(self, request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    def _verify_report(self, envelope: object) -> dict:
        try:
            report = self._verify(envelope)
        except UnknownKeyError as e:
            raise HttpRefused(403, str(e)) from e
        except (VerificationError, SigningError, ValueError, RecursionError) as e:  # e.g. a lone surrogate
            raise HttpRefused(400, _one_line(e)) from e
        sequence = report["chain"]["sequence"]
        if not 1 <= sequence <= MAX_SEQUENCE:
            raise HttpRefused(400, f"report: chain.sequence {sequence} is out of range (1 to 2^63-1)")
        return report

    def _check_policy(self, report: dict, digest: str) -> None:
        """Refuse (and record against the chain) a genuine report this receiver does not take."""
        if self.db.is_stored(report["report_id"]):  # delivered before (a resend): 409 or 422 from store
            return
        reason = self._refusal(report)
        if reason is not None:
            status, line = reason
            bound = self.db.station_for(report["station"]["key_id"]) or report["station"]["id"]
            self.db.reject(report, digest, line, bound)
            raise HttpRefused(status, line)

    def _refusal(self, report: dict) -> tuple[int, str] | None:
        claimed, bound = report["station"]["id"], self.db.station_for(report["station"]["key_id"])
        if bound is not None and claimed != bound:
            return 403, f"station.id {_shown(claimed)} is not the station this key is enrolled for ({_shown(bound)})"
        provenance = provenance_of(report)
        if provenance is None:
            return (422, "session.provenance is missing and this receiver requires it") if self.require_provenance else None
        if provenance not in self.accepted:
            return 422, f"session.provenance {_shown(provenance)} is not accepted by this receiver"
        conflict = transport_conflict(provenance, report["session"].get("transport_id"))
        return (422, conflict) if conflict else None

    def _verify(self, envelope: object) -> dict:
        try:
            return verify_envelope(envelope, self._keys)
        except UnknownKeyError:  # enrolled since start-up?
            self._keys = self.db.keys()
            return verify_envelope(envelope, self._keys)


def create_app(db_path: Path, token: str | None = None, accept_provenance: Iterable[str] = (),
               require_provenance: bool = False) -> Starlette:
    """``accept_provenance``: kinds taken besides usb and network (``simulated``, ``replay``)."""
    receiver = Receiver(BackendDB(db_path), token, accept_provenance, require_provenance)
    return Starlette(
        routes=[
            Route("/v1/reports", receiver.post_report, methods=["POST"]),
            Route("/v1/health", receiver.health, methods=["GET"]),
        ]
    )


def check_provenances(kinds: Iterable[str]) -> frozenset[str]:
    """``kinds`` as a set, each one of PROVENANCES (ValueError naming the first that is not)."""
    given = frozenset(kinds)
    for kind in sorted(given):
        if kind not in PROVENANCES:
            raise ValueError(f"unknown provenance {kind!r} (expected one of {', '.join(PROVENANCES)})")
    return given


def transport_conflict(kind: str, transport_id: object) -> str | None:
    """Why ``transport_id`` contradicts provenance ``kind``, or None. The station's links write
    ``usb:<bus path>`` (adb ``devices -l``) or ``usbmux:...`` for a USB phone and the adb
    serial (``host:port``, an mDNS name) for a network one; a ``network`` phone on loopback is
    an emulator or a simulator on the station itself, not a phone on the bench."""
    if kind not in ALWAYS_ACCEPTED:
        return None
    shown = "null" if transport_id is None else _shown(str(transport_id))
    if not isinstance(transport_id, str) or not transport_id:
        return f"session.provenance {kind!r} names no transport (session.transport_id is {shown})"
    usb = transport_id.startswith(_USB_TRANSPORTS)
    if kind == "usb" and not usb:
        return f"session.provenance 'usb' but session.transport_id {shown} is not a USB transport"
    if kind == "network" and (usb or _LOOPBACK.match(transport_id)):
        why = "a USB transport" if usb else "on the station's loopback (an emulator or simulator)"
        return f"session.provenance 'network' but session.transport_id {shown} is {why}"
    return None


def _idempotency_key(request: Request) -> str | None:
    key = request.headers.get("idempotency-key")
    if key is not None and not _UUID.match(key):
        raise HttpRefused(400, "Idempotency-Key is not a UUID")
    return key


async def _read_body(request: Request) -> bytes:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise HttpRefused(413, f"body larger than {MAX_BODY_BYTES} bytes")
    return bytes(body)


def _parse(body: bytes) -> Any:
    """The body as JSON within the bounds every reader of others' JSON keeps (nesting,
    whole-number digits, no NaN): past them, or not JSON at all, is the client's 400."""
    try:
        return load_json(body)
    except DataRefused as e:
        raise HttpRefused(400, f"the body is not JSON ({e})") from e
    except (ValueError, RecursionError) as e:
        raise HttpRefused(400, "the body is not JSON") from e


def _shown(text: str) -> str:
    """Client text in a one-line reason: printable and short."""
    text = "".join(c if c.isprintable() else "?" for c in text)
    return repr(text if len(text) <= 80 else text[:77] + "...")


def _one_line(e: BaseException) -> str:
    lines = str(e).splitlines()
    return lines[0] if lines else type(e).__name__


def _authorized(request: Request, token: str) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def _answer(report_id: str, stored: Stored) -> JSONResponse:
    if stored.outcome == "duplicate":
        return JSONResponse({"report_id": report_id, "error": "already stored"}, status_code=409)
    if stored.outcome == "conflict":
        return _error(422, f"report_id {report_id} is already stored with a different payload")
    assert stored.judgement is not None
    chain = {"status": stored.judgement.status, "detail": stored.judgement.detail}
    return JSONResponse({"report_id": report_id, "chain": chain}, status_code=201)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)
