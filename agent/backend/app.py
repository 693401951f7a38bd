"""The receiver's HTTP face (Starlette): ``POST /v1/reports`` and ``GET /v1/health``.

Only wiring lives here: verification is agent.report.signing's, storage and chain checks are
agent.backend.db's. Every refusal is JSON ``{"error": "<one line>"}`` with a status the
uploader can act on: 400 the envelope is bad (resending will not help), 403 the key is
not enrolled, 401 the bearer token is missing or wrong, 409 already stored (delivered).
"""

from __future__ import annotations

import hmac
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from agent.backend.db import BackendDB, Stored
from agent.errors import UnknownKeyError, VerificationError
from agent.jsonfile import load_json
from agent.report.signing import canonical_json, payload_digest, verify_envelope

MAX_BODY_BYTES = 1 << 20  # a report is a few kB; anything near this is not one


class Receiver:
    def __init__(self, db: BackendDB, token: str | None = None) -> None:
        self.db, self.token = db, token
        self._keys = db.keys()

    async def post_report(self, request: Request) -> JSONResponse:
        if self.token is not None and not _authorized(request, self.token):
            return _error(401, "missing or wrong bearer token", {"WWW-Authenticate": "Bearer"})
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                return _error(413, f"body larger than {MAX_BODY_BYTES} bytes")
        try:
            envelope = load_json(body)
        except ValueError:
            return _error(400, "the body is not JSON")
        try:
            report = await run_in_threadpool(self._verify, envelope)
        except UnknownKeyError as e:
            return _error(403, str(e))
        except VerificationError as e:
            return _error(400, str(e))
        key = request.headers.get("idempotency-key")
        if key is not None and key != report["report_id"]:
            return _error(400, "Idempotency-Key is not the report's report_id")
        stored = await run_in_threadpool(self.db.store, report, envelope, payload_digest(canonical_json(report)))
        return _answer(report["report_id"], stored)

    async def health(self, request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    def _verify(self, envelope: object) -> dict:
        try:
            return verify_envelope(envelope, self._keys)
        except UnknownKeyError:  # enrolled since start-up?
            self._keys = self.db.keys()
            return verify_envelope(envelope, self._keys)


def create_app(db_path: Path, token: str | None = None) -> Starlette:
    receiver = Receiver(BackendDB(db_path), token)
    return Starlette(
        routes=[
            Route("/v1/reports", receiver.post_report, methods=["POST"]),
            Route("/v1/health", receiver.health, methods=["GET"]),
        ]
    )


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
