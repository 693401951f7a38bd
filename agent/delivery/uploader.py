"""Delivering the outbox to the grading backend: ``POST {backend}/v1/reports``.

Every try carries ``Idempotency-Key: <report id>``, so sending a report twice (the agent
died between the backend's answer and the outbox update) is harmless: the backend answers
409 and the report counts as delivered. What an answer means:

    2xx, 409                    delivered
    429, 503                    the backend is busy: everyone waits (Retry-After if given)
    network error, timeout      the backend is unreachable: everyone waits (backoff)
    401, 408, other 5xx         this station waits (backoff); 401 is the token, not the report
    other 4xx                   rejected: kept with the backend's reason until retried by hand

A station's reports go in sequence order: while its oldest pending report waits, the
later ones wait too, so the backend sees the chain in order. The token is sent only in
the Authorization header and never appears in a log line or a stored error: every text
that could quote it (an exception, the backend's answer) is scrubbed before it is cut to
length, stored or logged (``agent.delivery.scrub``).
"""

from __future__ import annotations

import json
import logging
import random
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Literal

import httpx

from agent.config import StationConfig, check_token
from agent.delivery.outbox import Outbox, OutboxEntry
from agent.delivery.scrub import Scrubber, ScrubFilter
from agent.errors import ConfigError, PhonebenchError
from agent.text import printable

log = logging.getLogger(__name__)

_STATION_WAITS = frozenset({401, 408})
_BACKEND_BUSY = frozenset({429, 503})
_MAX_REASON = 200
#: httpx writes headers and body in two sends; with Nagle the body can wait for a delayed ACK
_NODELAY = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, so a hundred stations coming back do not retry in step."""

    base_s: float = 2.0
    max_s: float = 600.0
    jitter: float = 0.5  # each delay is scaled by a random factor in [1 - jitter, 1]
    max_retry_after_s: float = 3600.0  # a Retry-After beyond this is read as this

    def backoff_s(self, attempts: int, rng: random.Random) -> float:
        delay = min(self.max_s, self.base_s * 2 ** max(0, attempts - 1))
        return delay * (1 - self.jitter * rng.random())


@dataclass(frozen=True)
class Attempt:
    """What one POST came to; ``scope`` says who waits after a failure."""

    kind: Literal["delivered", "rejected", "retry"]
    detail: str | None = None
    scope: Literal["station", "backend"] = "station"
    retry_after_s: float | None = None


@dataclass(frozen=True)
class DrainResult:
    delivered: int = 0
    rejected: int = 0
    failed: int = 0
    pending: int = 0  # still waiting when the drain or pass ended
    next_attempt_at: float | None = None  # unix time the next report is due, if any waits
    message: str | None = None  # why nothing could be sent at all

    def __add__(self, later: DrainResult) -> DrainResult:
        return DrainResult(
            self.delivered + later.delivered,
            self.rejected + later.rejected,
            self.failed + later.failed,
            later.pending,
            later.next_attempt_at,
            later.message,
        )


class Uploader:
    def __init__(
        self,
        outbox: Outbox,
        config: StationConfig,
        policy: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """``transport`` replaces the network (tests); it brings its own TLS settings."""
        if config.token is not None:  # load_config checked it; a config built in code may not be
            check_token(config.token, "backend.token")
        self.outbox, self.config = outbox, config
        self._scrub = Scrubber(config.token)
        self._log_filter = ScrubFilter(self._scrub)
        log.addFilter(self._log_filter)
        self.policy = policy or RetryPolicy()
        self._clock, self._sleep, self._rng = clock, sleep, random.Random()
        self._hold_until = 0.0  # the backend as a whole is not tried before this
        self._said_offline = False
        self._client: httpx.Client | None = None
        if config.backend_url is not None:
            self._client = httpx.Client(
                base_url=config.backend_url,
                timeout=httpx.Timeout(config.timeout_s, connect=min(5.0, config.timeout_s)),
                transport=transport or httpx.HTTPTransport(verify=_tls(config), socket_options=_NODELAY),
                follow_redirects=False,
            )

    def drain(self, budget_s: float = 0.0, force: bool = True) -> DrainResult:
        """Upload what is pending (``force``: now, whatever its backoff), retrying for up to ``budget_s``."""
        deadline = self._clock() + budget_s
        with self.outbox.drain_lock(blocking=True):
            total = result = self.upload_pass(force=force)
            while result.pending and result.next_attempt_at is not None and result.next_attempt_at <= deadline:
                self._sleep(max(0.0, result.next_attempt_at - self._clock()))
                result = self.upload_pass()
                total = total + result
        return total

    def upload_pass(self, force: bool = False) -> DrainResult:
        """One walk over the pending reports, each station in sequence order."""
        if self._client is None:
            return self._offline()
        now = self._clock()
        if not force and now < self._hold_until:
            return self._summary(DrainResult())
        delivered = rejected = failed = 0
        waiting: set[str] = set()
        for entry in self.outbox.entries(("pending",)):
            if entry.station_key in waiting:
                continue
            if not force and entry.next_attempt_at > now:
                waiting.add(entry.station_key)
                continue
            attempt = self.send(entry)
            self._record(entry, attempt)
            if attempt.kind == "delivered":
                delivered += 1
            elif attempt.kind == "rejected":
                rejected += 1
            else:
                failed += 1
                waiting.add(entry.station_key)
                if attempt.scope == "backend":
                    break
        return self._summary(DrainResult(delivered, rejected, failed))

    def send(self, entry: OutboxEntry) -> Attempt:
        if self._client is None:
            return Attempt("retry", "no backend configured", "backend")
        headers = {"Idempotency-Key": entry.report_id, "Content-Type": "application/json"}
        if self.config.token:
            headers["Authorization"] = f"Bearer {self.config.token}"
        body = json.dumps(self.outbox.envelope(entry.report_id)).encode("ascii")
        try:
            response = self._client.post("/v1/reports", content=body, headers=headers)
        except httpx.TimeoutException as e:
            return Attempt("retry", f"the backend did not answer in time ({type(e).__name__})", "backend")
        except httpx.HTTPError as e:
            reason = _one_line(str(e) or type(e).__name__, self._scrub)
            return Attempt("retry", f"cannot reach the backend: {reason}", "backend")
        return classify(response, self._clock(), self._scrub)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        log.removeFilter(self._log_filter)

    def _record(self, entry: OutboxEntry, attempt: Attempt) -> None:
        if attempt.kind == "delivered":
            self.outbox.mark_delivered(entry.report_id, attempt.detail)
        elif attempt.kind == "rejected":
            log.warning("backend rejected report %s: %s", entry.report_id, attempt.detail)
            self.outbox.mark_rejected(entry.report_id, attempt.detail or "rejected")
        else:
            delay = attempt.retry_after_s
            if delay is None:
                delay = self.policy.backoff_s(entry.attempts + 1, self._rng)
            when = self._clock() + delay
            if attempt.scope == "backend":
                self._hold_until = max(self._hold_until, when)
            log.info("report %s not delivered (%s), next try in %.1f s", entry.report_id, attempt.detail, delay)
            self.outbox.mark_failed(entry.report_id, attempt.detail or "failed", when)

    def _summary(self, result: DrainResult) -> DrainResult:
        pending = self.outbox.entries(("pending",))
        heads: dict[str, float] = {}
        for entry in pending:
            heads.setdefault(entry.station_key, entry.next_attempt_at)
        due = max(min(heads.values()), self._hold_until) if heads else None
        return DrainResult(result.delivered, result.rejected, result.failed, len(pending), due)

    def _offline(self) -> DrainResult:
        pending = self.outbox.counts()["pending"]
        message = f"no backend configured: {pending} report(s) stay in the outbox {self.outbox.path}"
        if pending and not self._said_offline:  # nothing waiting: nothing to say
            log.warning("%s (set backend.url in %s or PHONEBENCH_BACKEND_URL)", message, self.config.path)
            self._said_offline = True
        return DrainResult(pending=pending, message=message)


def classify(response: httpx.Response, now: float, scrub: Scrubber = Scrubber()) -> Attempt:
    """What the backend's answer means for the report (see the module docstring); ``scrub``
    takes the token out of the backend's reason, which may echo our request."""
    status = response.status_code
    if 200 <= status < 300:
        return Attempt("delivered")
    if status == 409:
        return Attempt("delivered", "the backend already had it (409)")
    if status in _BACKEND_BUSY:
        after = parse_retry_after(response.headers.get("Retry-After"), now)
        return Attempt("retry", f"the backend is busy ({status})", "backend", after)
    if status == 401:
        return Attempt("retry", "the backend refused the token (401): check backend.token")
    if status in _STATION_WAITS or status >= 500:
        return Attempt("retry", f"the backend answered {status}: {_reason(response, scrub)}")
    if 400 <= status < 500:
        return Attempt("rejected", f"{status}: {_reason(response, scrub)}")
    return Attempt("retry", f"unexpected answer {status} from the backend (redirects are not followed)")


def parse_retry_after(value: str | None, now: float, cap_s: float = RetryPolicy.max_retry_after_s) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date); None if absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # "¹" and "٣" are digits to str.isdigit, not to HTTP
        return min(float(value), cap_s)
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return min(max(0.0, when - now), cap_s)


def _reason(response: httpx.Response, scrub: Scrubber) -> str:
    """The backend's reason, short and safe to show on one terminal line."""
    text = response.text
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        text = body["error"]
    return _one_line(text, scrub) or "no reason given"


def _one_line(text: str, scrub: Scrubber = Scrubber()) -> str:
    """``text`` scrubbed first, so that neither escaping nor the cut can split the token
    into pieces the scrubber would no longer see."""
    text = printable(" ".join(scrub(text).split()))
    return text if len(text) <= _MAX_REASON else text[: _MAX_REASON - 3] + "..."


def _tls(config: StationConfig) -> ssl.SSLContext | bool:
    if config.ca_bundle is None:
        return True
    try:
        return ssl.create_default_context(cafile=str(config.ca_bundle))
    except (OSError, ssl.SSLError) as e:
        raise ConfigError(f"{config.ca_bundle}: not a readable PEM CA bundle ({_one_line(str(e))})") from e


class UploadWorker:
    """The bench's uploader: a thread that drains the outbox, woken by each saved report.

    It sleeps until the next report is due (or a new one is saved) and never lets an
    error end it: the outbox keeps the reports, so the next pass picks them up.
    """

    def __init__(self, uploader: Uploader, idle_s: float = 300.0) -> None:
        self.uploader, self.idle_s = uploader, idle_s
        self._wake, self._stop = threading.Event(), threading.Event()
        self._thread = threading.Thread(target=self._run, name="phonebench-uploader", daemon=True)

    def start(self) -> UploadWorker:
        self._thread.start()
        return self

    def wake(self) -> None:
        """A report was queued: look at the outbox now rather than at the next idle tick."""
        self._wake.set()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)
        self.uploader.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()  # a report saved during the pass leaves it set: no lost wake-up
            result = self._pass()
            self._wake.wait(self._wait_s(result))

    def _pass(self) -> DrainResult | None:
        try:
            with self.uploader.outbox.drain_lock(blocking=False) as mine:
                return self.uploader.upload_pass() if mine else None
        except PhonebenchError as e:
            log.warning("upload pass failed: %s", e)
        except Exception:  # the worker outlives any one bad pass
            log.exception("upload pass failed")
        return None

    def _wait_s(self, result: DrainResult | None) -> float:
        if result is None:  # another process is uploading, or the pass failed: look again soon
            return min(self.idle_s, 30.0)
        if result.next_attempt_at is None or result.message is not None:
            return self.idle_s
        return min(self.idle_s, max(0.0, result.next_attempt_at - time.time()))
