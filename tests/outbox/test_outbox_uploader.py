"""The uploader against scripted answers (httpx.MockTransport): what each answer does to a report."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest
from outbox_helpers import (
    FAST,
    Station,
    config,
    station,  # noqa: F401  (fixture)
)

from agent.delivery.uploader import RetryPolicy, Uploader, parse_retry_after

NOW = 1_000_000.0
TOKEN = "tok-very-secret-123"


def uploader(station: Station, answer: Callable[[httpx.Request], httpx.Response], **kw: object) -> Uploader:
    seen = kw.pop("seen", None)

    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(seen, list):
            seen.append(request)
        return answer(request)

    cfg = config("https://backend.test", token=TOKEN)
    return Uploader(station.outbox, cfg, kw.pop("policy", FAST), transport=httpx.MockTransport(handler), **kw)  # type: ignore[arg-type]


def always(status: int, body: object = None, headers: dict[str, str] | None = None) -> Callable:
    content = body if isinstance(body, bytes) else json.dumps(body or {}).encode()
    return lambda request: httpx.Response(status, content=content, headers=headers)


def states(station: Station) -> list[str]:
    return [e.state for e in station.outbox.entries()]


def test_a_post_carries_the_envelope_the_report_id_and_the_token(station: Station) -> None:
    stored = station.make(1)[0]
    seen: list[httpx.Request] = []
    uploader(station, always(201), seen=seen).drain()
    request = seen[0]
    assert request.method == "POST" and str(request.url) == "https://backend.test/v1/reports"
    assert request.headers["Idempotency-Key"] == stored.report["report_id"]
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert json.loads(request.content) == stored.envelope


@pytest.mark.parametrize("status", [200, 201, 202, 204, 409])
def test_2xx_and_409_mean_delivered(station: Station, status: int) -> None:
    station.make(2)
    result = uploader(station, always(status)).drain()
    assert result.delivered == 2 and states(station) == ["delivered", "delivered"]


@pytest.mark.parametrize("status", [400, 403, 413, 422])
def test_other_4xx_reject_the_report_with_the_backends_reason(station: Station, status: int) -> None:
    station.make(1)
    result = uploader(station, always(status, {"error": "envelope: bad\x1b[31m signature"})).drain()
    entry = station.outbox.entries()[0]
    assert result.rejected == 1 and entry.state == "rejected"
    assert entry.last_error == f"{status}: envelope: bad\\x1b[31m signature"  # escaped, one line


def test_a_rejected_report_does_not_hold_back_the_next_one(station: Station) -> None:
    station.make(3)
    answers = iter([httpx.Response(400, text="no"), httpx.Response(201), httpx.Response(201)])
    uploader(station, lambda request: next(answers)).drain()
    assert states(station) == ["rejected", "delivered", "delivered"]


def test_a_non_json_reason_is_kept_short_and_on_one_line(station: Station) -> None:
    station.make(1)
    uploader(station, always(400, b"<html>\n" + b"x" * 500 + b"\n</html>")).drain()
    reason = station.outbox.entries()[0].last_error
    assert reason is not None and reason.startswith("400: <html> xxx") and len(reason) <= 205 and "\n" not in reason


@pytest.mark.parametrize("status", [500, 502, 408, 401])
def test_5xx_408_and_401_leave_the_report_pending_with_backoff(station: Station, status: int) -> None:
    station.make(2)
    policy = RetryPolicy(base_s=10.0, max_s=100.0, jitter=0.5)
    result = uploader(station, always(status, b"oops"), policy=policy, clock=lambda: NOW).drain()
    first, second = station.outbox.entries()
    assert result.failed == 1 and states(station) == ["pending", "pending"]
    assert first.attempts == 1 and NOW + 5.0 <= first.next_attempt_at <= NOW + 10.0
    assert second.attempts == 0  # the chain goes in order: the second waits for the first
    assert str(status) in (first.last_error or "")


def test_a_failing_station_does_not_hold_back_another_station(station: Station, tmp_path: Path) -> None:
    station.make(1)
    other = Station(tmp_path / "other")
    for stored in other.make(1):
        station.outbox.add(stored)
    failing = station.key.keyid

    def answer(request: httpx.Request) -> httpx.Response:
        mine = json.loads(request.content)["signatures"][0]["keyid"] == failing
        return httpx.Response(500 if mine else 201)

    uploader(station, answer).drain()
    by_station = {e.station_key: e.state for e in station.outbox.entries()}
    assert by_station == {failing: "pending", other.key.keyid: "delivered"}


def test_backoff_grows_exponentially_up_to_the_cap(station: Station) -> None:
    station.make(1)
    policy = RetryPolicy(base_s=1.0, max_s=4.0, jitter=0.0)
    up = uploader(station, always(500), policy=policy, clock=lambda: NOW)
    waits = []
    for _ in range(4):
        up.upload_pass(force=True)
        waits.append(station.outbox.entries()[0].next_attempt_at - NOW)
    assert waits == [1.0, 2.0, 4.0, 4.0]


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_in_seconds_is_honoured_and_holds_the_whole_backend(
    station: Station, tmp_path: Path, status: int
) -> None:
    station.make(1)
    for stored in Station(tmp_path / "other").make(1):
        station.outbox.add(stored)
    seen: list[httpx.Request] = []
    result = uploader(station, always(status, headers={"Retry-After": "120"}), seen=seen, clock=lambda: NOW).drain()
    assert len(seen) == 1  # the backend said "busy": the other station does not try either
    assert result.failed == 1 and result.next_attempt_at == NOW + 120
    assert station.outbox.entries()[0].next_attempt_at == NOW + 120


def test_retry_after_as_an_http_date_and_unreadable_values() -> None:
    when = format_datetime(datetime.fromtimestamp(NOW + 30, UTC), usegmt=True)
    assert parse_retry_after(when, NOW) == 30.0
    assert parse_retry_after("99999999", NOW) == RetryPolicy.max_retry_after_s
    assert parse_retry_after("soon", NOW) is None and parse_retry_after(None, NOW) is None


def test_an_unreachable_backend_stops_the_pass_and_keeps_everything(station: Station) -> None:
    station.make(3)
    seen: list[httpx.Request] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    result = uploader(station, refuse, seen=seen).drain()
    assert len(seen) == 1 and result.pending == 3 and states(station) == ["pending"] * 3
    assert "cannot reach the backend" in (station.outbox.entries()[0].last_error or "")


def test_drain_keeps_retrying_within_its_budget_until_delivered(station: Station) -> None:
    station.make(2)
    answers = iter([httpx.Response(503), httpx.Response(500), httpx.Response(201), httpx.Response(201)])
    result = uploader(station, lambda request: next(answers)).drain(budget_s=30)
    assert result.delivered == 2 and result.failed == 2 and result.pending == 0


def test_without_a_backend_reports_stay_and_it_says_so_once(station: Station, caplog: pytest.LogCaptureFixture) -> None:
    station.make(2)
    up = Uploader(station.outbox, config(None))
    with caplog.at_level(logging.WARNING):
        first, second = up.upload_pass(), up.upload_pass()
    assert first.message and "no backend configured: 2 report(s) stay in the outbox" in first.message
    assert second.pending == 2 and states(station) == ["pending", "pending"]
    assert sum("no backend configured" in r.getMessage() for r in caplog.records) == 1


def test_without_a_backend_and_nothing_pending_it_says_nothing(station: Station, caplog: pytest.LogCaptureFixture) -> None:
    up = Uploader(station.outbox, config(None))
    with caplog.at_level(logging.WARNING):
        result = up.upload_pass()
    assert result.pending == 0
    assert not any("no backend configured" in r.getMessage() for r in caplog.records)
    station.make(1)
    with caplog.at_level(logging.WARNING):
        up.upload_pass()
    assert sum("no backend configured: 1 report(s)" in r.getMessage() for r in caplog.records) == 1


def test_the_token_never_reaches_a_log_line_or_a_stored_error(station: Station, caplog: pytest.LogCaptureFixture) -> None:
    station.make(3)
    answers = iter([httpx.Response(500), httpx.Response(400, text="bad"), httpx.Response(201), httpx.Response(201)])
    with caplog.at_level(logging.DEBUG):
        uploader(station, lambda request: next(answers)).drain(budget_s=30)
    assert TOKEN not in caplog.text
    assert all(TOKEN not in (e.last_error or "") for e in station.outbox.entries())
