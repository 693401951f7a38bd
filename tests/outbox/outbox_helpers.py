"""Shared pieces of the outbox tests: real signed reports (the signing tests' sample
report), a receiver process on loopback, and a stub server that answers whatever a test
scripts (imported by name: a conftest.py here would shadow the top-level one)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from agent.config import StationConfig
from agent.delivery.outbox import Outbox
from agent.delivery.uploader import RetryPolicy
from agent.report.chain import ReportStore, StoredReport
from agent.report.signing import StationKey
from tests.signing.signing_helpers import sample_report

ROOT = Path(__file__).resolve().parents[2]
#: backoff small enough that retries happen within a test, big enough to be real
FAST = RetryPolicy(base_s=0.01, max_s=0.05, jitter=0.5, max_retry_after_s=1.0)


@dataclass
class Station:
    """A station's key and report store in a temp folder, and its outbox."""

    root: Path
    outbox_path: Path | None = None  # default: in ``root``
    key: StationKey = field(init=False)
    store: ReportStore = field(init=False)
    outbox: Outbox = field(init=False)

    def __post_init__(self) -> None:
        self.key = StationKey.load_or_create(self.root / "key.pem")
        self.store = ReportStore(self.root / "reports", self.root / "chain.json")
        self.outbox = Outbox(self.outbox_path or self.root / "outbox.sqlite3")
        (self.root / "pub.pem").write_text(self.key.public_pem())

    def make(self, count: int) -> list[StoredReport]:
        """``count`` real reports, signed, chained and queued, named as an unconfigured station names itself."""
        made = []
        for _ in range(count):
            report = sample_report()
            report["station"]["id"] = self.key.default_station_id()
            stored = self.store.commit(report, self.key)
            assert self.outbox.add(stored)
            made.append(stored)
        return made


def config(url: str | None, **changes: Any) -> StationConfig:
    return StationConfig(path=Path("/nonexistent/station.yaml"), backend_url=url, timeout_s=changes.pop("timeout_s", 2.0),
                         **changes)


def run_backend_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "agent.backend", *args], capture_output=True, text=True,
                          timeout=60, cwd=ROOT)


class ReceiverProcess:
    """``python -m agent.backend serve`` as a real process on loopback."""

    def __init__(self, db: Path, *extra: str, port: int = 0) -> None:
        self.db = db
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "agent.backend", "serve", "--port", str(port), "--db", str(db), *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        )
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if "listening on" not in line:
            self.stop()
            raise RuntimeError(f"receiver did not start: {line!r} {self.proc.stderr.read() if self.proc.stderr else ''}")
        self.url = line.split("listening on ", 1)[1].split()[0]

    def reports(self) -> list[dict[str, Any]]:
        done = run_backend_cli("list", "--db", str(self.db), "--json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)["reports"]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream:
                stream.close()


@pytest.fixture
def station(tmp_path: Path) -> Iterator[Station]:
    made = Station(tmp_path / "station")
    yield made
    made.outbox.close()


@pytest.fixture
def receiver(tmp_path: Path, station: Station) -> Iterator[ReceiverProcess]:
    """A receiver that trusts ``station``'s key."""
    db = tmp_path / "backend.sqlite3"
    done = run_backend_cli("enroll", str(station.root / "pub.pem"), "--db", str(db))
    assert done.returncode == 0, done.stderr
    proc = ReceiverProcess(db)
    yield proc
    proc.stop()


# -- a stub backend for answers the real one never gives ------------------------------------------

@dataclass
class Reply:
    status: int = 201
    body: bytes = b'{"ok": true}'
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False  # never answer (until the test ends)
    garbage: bool = False  # answer bytes that are not HTTP


class StubBackend:
    """Answers each POST with the next scripted Reply (the last one repeats) and records requests."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies) or [Reply()]
        self.requests: list[dict[str, Any]] = []
        self.released = threading.Event()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                stub.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                reply = stub.replies.pop(0) if len(stub.replies) > 1 else stub.replies[0]
                if reply.hang:
                    stub.released.wait(30)
                    return
                if reply.garbage:
                    self.wfile.write(b"\x00\xffnot http at all\r\n\r\n")
                    return
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env
