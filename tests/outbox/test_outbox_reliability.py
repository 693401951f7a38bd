"""Delivery when things go wrong, with real processes on loopback: the receiver as a subprocess,
an uploader killed with SIGKILL, a stub that fails, hangs or talks garbage, TLS with our own CA."""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import logging
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from outbox_helpers import (  # noqa: F401  (fixtures)
    FAST,
    ROOT,
    ReceiverProcess,
    Reply,
    Station,
    StubBackend,
    child_env,
    config,
    receiver,
    run_backend_cli,
    sample_report,
    station,
)

from agent.delivery.ledger import Ledger
from agent.delivery.uploader import Uploader, UploadWorker
from agent.simulator.bench import free_port

NOW = 1_000_000.0
TOKEN = "tok-do-not-print-42"


def wait_for(condition: Callable[[], bool], what: str, limit_s: float = 30.0) -> None:
    """Poll until ``condition()``; the limit only stops a broken test, it measures nothing."""
    deadline = time.monotonic() + limit_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting: {what}")
        time.sleep(0.02)


@pytest.fixture
def stub() -> Iterator[list[StubBackend]]:
    started: list[StubBackend] = []
    yield started
    for server in started:
        server.stop()


def test_reports_made_while_the_backend_is_down_are_all_delivered_once_it_is_up(
    station: Station, tmp_path: Path
) -> None:
    db, port = tmp_path / "backend.sqlite3", free_port()
    bound = sample_report()["station"]["id"]  # the reports below keep the sample's station id
    assert run_backend_cli("enroll", str(station.root / "pub.pem"), "--db", str(db), "--station-id", bound).returncode == 0
    worker = UploadWorker(Uploader(station.outbox, config(f"http://127.0.0.1:{port}"), FAST), idle_s=0.2).start()
    backend = None
    try:
        ledger = Ledger(station.key, station.store, station.outbox, real_only=False, after_save=worker.wake)
        made = [ledger.save(sample_report()) for _ in range(100)]
        wait_for(lambda: all(e.attempts for e in station.outbox.entries()[:1]), "a first failed try")
        assert station.outbox.counts() == {"pending": 100, "delivered": 0, "rejected": 0}
        backend = ReceiverProcess(db, port=port)
        wait_for(lambda: station.outbox.counts()["delivered"] == 100, "all 100 delivered")
    finally:
        worker.stop()
        if backend is not None:
            backend.stop()
    assert not worker._thread.is_alive()
    received = backend.reports()
    assert sorted(r["report_id"] for r in received) == sorted(s.report["report_id"] for s in made)
    assert [r["sequence"] for r in received] == list(range(1, 101))
    assert {r["chain"] for r in received} == {"ok"}


_CHILD = """
import os, signal, sys
from pathlib import Path
import httpx
from agent.config import StationConfig
from agent.delivery.outbox import Outbox
from agent.delivery.uploader import Uploader

box, url, kill_at, when = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]

class KillingTransport(httpx.HTTPTransport):
    answered = 0

    def handle_request(self, request):
        if when == "before-send" and self.answered + 1 == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        response = super().handle_request(request)
        self.answered += 1
        if when == "after-answer" and self.answered == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)  # the backend has it; the outbox does not know yet
        return response

transport = KillingTransport() if kill_at else None
uploader = Uploader(Outbox(box), StationConfig(Path("/none"), backend_url=url), transport=transport)
print(uploader.drain().delivered)
"""


def run_uploader(box: Path, url: str, kill_at: int = 0, when: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", _CHILD, str(box), url, str(kill_at), when],
                          capture_output=True, text=True, timeout=60, cwd=ROOT, env=child_env())


@pytest.mark.parametrize(("when", "resent"), [("after-answer", 1), ("before-send", 0)])
def test_an_uploader_killed_mid_upload_loses_nothing_and_stores_nothing_twice(
    station: Station, receiver: ReceiverProcess, when: str, resent: int
) -> None:
    made = station.make(30)
    killed = run_uploader(station.outbox.path, receiver.url, kill_at=20, when=when)
    assert killed.returncode == -9, killed.stderr
    assert station.outbox.counts()["delivered"] == 19  # the 20th was in flight
    assert len(receiver.reports()) == 19 + resent

    restarted = run_uploader(station.outbox.path, receiver.url)
    assert restarted.returncode == 0, restarted.stderr
    assert station.outbox.counts() == {"pending": 0, "delivered": 30, "rejected": 0}
    received = receiver.reports()
    assert sorted(r["report_id"] for r in received) == sorted(s.report["report_id"] for s in made)
    assert sum(r["duplicates"] for r in received) == resent  # the re-sent one was answered 409, not stored again
    assert {r["chain"] for r in received} == {"ok"}


def test_500s_are_retried_until_delivered_and_the_token_is_never_logged(
    station: Station, stub: list[StubBackend], caplog: pytest.LogCaptureFixture
) -> None:
    server = StubBackend(Reply(500, b"boom"), Reply(500, b"boom"), Reply(201))
    stub.append(server)
    station.make(1)
    with caplog.at_level(logging.DEBUG):
        result = Uploader(station.outbox, config(server.url, token=TOKEN), FAST).drain(budget_s=30)
    entry = station.outbox.entries()[0]
    assert result.delivered == 1 and entry.state == "delivered" and entry.attempts == 3
    assert all(r["headers"]["Authorization"] == f"Bearer {TOKEN}" for r in server.requests)
    assert TOKEN not in caplog.text and len(caplog.records) > 0


def test_429_with_retry_after_waits_that_long(station: Station, stub: list[StubBackend]) -> None:
    server = StubBackend(Reply(429, b"{}", {"Retry-After": "1"}), Reply(201))
    stub.append(server)
    station.make(1)
    uploader = Uploader(station.outbox, config(server.url), FAST, clock=lambda: NOW)
    first = uploader.upload_pass()
    assert first.failed == 1 and station.outbox.entries()[0].next_attempt_at == NOW + 1
    assert uploader.upload_pass().failed == 0 and len(server.requests) == 1  # not due yet: not sent
    assert uploader.upload_pass(force=True).delivered == 1


def test_a_backend_that_hangs_times_out_and_the_report_waits(station: Station, stub: list[StubBackend]) -> None:
    server = StubBackend(Reply(hang=True), Reply(201))
    stub.append(server)
    station.make(1)
    uploader = Uploader(station.outbox, config(server.url, timeout_s=0.3), FAST)
    assert uploader.upload_pass().failed == 1
    entry = station.outbox.entries()[0]
    assert entry.state == "pending" and "did not answer in time" in (entry.last_error or "")
    assert uploader.drain(budget_s=30).delivered == 1


def test_garbage_instead_of_http_leaves_the_report_pending(station: Station, stub: list[StubBackend]) -> None:
    server = StubBackend(Reply(garbage=True), Reply(200, b"\xff\xfe not json"))
    stub.append(server)
    station.make(1)
    uploader = Uploader(station.outbox, config(server.url), FAST)
    assert uploader.upload_pass().failed == 1
    assert "cannot reach the backend" in (station.outbox.entries()[0].last_error or "")
    assert uploader.upload_pass(force=True).delivered == 1  # a 200 is delivered whatever its body


def test_a_tampered_envelope_and_an_unknown_key_are_rejected_with_the_receivers_reason(
    station: Station, receiver: ReceiverProcess, tmp_path: Path
) -> None:
    good, tampered = station.make(2)
    envelope = dict(tampered.envelope)
    envelope["payload"] = base64.b64encode(tampered.payload.replace(b"Pixel 7", b"Pixel 9", 1)).decode()
    with station.outbox._write() as db:
        db.execute("UPDATE reports SET envelope = ? WHERE report_id = ?", (json.dumps(envelope), tampered.report["report_id"]))
    for stored in Station(tmp_path / "stranger").make(1):
        station.outbox.add(stored)
    Uploader(station.outbox, config(receiver.url), FAST).drain()
    errors = {e.report_id: (e.state, e.last_error) for e in station.outbox.entries()}
    assert errors.pop(good.report["report_id"]) == ("delivered", None)
    assert errors.pop(tampered.report["report_id"])[1].startswith("400: envelope: bad signature")
    (state, reason), = errors.values()
    assert state == "rejected" and reason.startswith("403: envelope: signed by unknown key")
    assert [r["report_id"] for r in receiver.reports()] == [good.report["report_id"]]


def test_tls_with_our_own_ca_delivers_and_without_it_is_refused(station: Station, tmp_path: Path) -> None:
    ca_pem, cert_pem, key_pem = _self_signed_chain()
    for name, data in (("ca.pem", ca_pem), ("cert.pem", cert_pem), ("key.pem", key_pem)):
        (tmp_path / name).write_bytes(data)
    db = tmp_path / "backend.sqlite3"
    assert run_backend_cli("enroll", str(station.root / "pub.pem"), "--db", str(db)).returncode == 0
    backend = ReceiverProcess(db, "--tls-cert", str(tmp_path / "cert.pem"), "--tls-key", str(tmp_path / "key.pem"))
    try:
        assert backend.url.startswith("https://127.0.0.1:")
        station.make(1)
        untrusted = Uploader(station.outbox, config(backend.url), FAST)
        assert untrusted.upload_pass().failed == 1
        assert "CERTIFICATE_VERIFY_FAILED" in (station.outbox.entries()[0].last_error or "")
        trusted = Uploader(station.outbox, config(backend.url, ca_bundle=tmp_path / "ca.pem"), FAST)
        assert trusted.upload_pass(force=True).delivered == 1
        trusted.close()
        assert len(backend.reports()) == 1
    finally:
        backend.stop()


def _self_signed_chain() -> tuple[bytes, bytes, bytes]:
    """(CA cert, server cert for 127.0.0.1 signed by it, server key), all PEM."""
    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "phonebench test CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    key_pem = key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return ca.public_bytes(pem), cert.public_bytes(pem), key_pem
