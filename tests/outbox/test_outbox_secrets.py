"""The backend token stays a secret: refused at load when it could not be sent as it is,
and scrubbed from everything the uploader stores or logs, whatever the backend echoes."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from outbox_helpers import Station, config

from agent import paths
from agent.cli import main as cli
from agent.config import load_config
from agent.delivery.scrub import MASK, Scrubber, ScrubFilter
from agent.delivery.uploader import Uploader, _one_line
from agent.errors import ConfigError

TOKEN = "pb-tok-7f3a9c0e-SENTINEL-d41d8cd9"
#: a piece of the token: a cut or an escape must not leave this behind either
PIECE = "7f3a9c0e-SENTI"


# -- a backend that echoes the header ---------------------------------------------------------

class EchoBackend:
    """Answers each POST with the next status, its body quoting the request's Authorization header."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        echo = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status = echo.statuses.pop(0) if len(echo.statuses) > 1 else echo.statuses[0]
                header = self.headers.get("Authorization", "")
                body = (json.dumps({"error": f"bad request: Authorization: {header}"}) if status == 400 and echo.json
                        else f"<pre>{status}\nAuthorization: {header}\n</pre>")
                echo.json = not echo.json
                raw = body.encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: Any) -> None:
                pass

        self.json = True
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


@pytest.fixture
def echo() -> Iterator[EchoBackend]:
    backend = EchoBackend(400, 400, 401, 500)
    yield backend
    backend.stop()


# -- refused at load -----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("token", "what"),
    [
        (TOKEN + "\r", "is a carriage return (CR: a file saved on Windows?)"),
        ("pb-tok-caf\u00e9-SENTINEL", "is not ASCII"),
        ("pb-tok two-SENTINEL", "is a space"),
        ("pb-tok-\x1b[2J-SENTINEL", "is a control character (U+001B)"),
    ],
)
def test_a_token_from_the_environment_that_cannot_be_sent_is_refused_without_quoting_it(token: str, what: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(Path("/nonexistent.yaml"), env={"PHONEBENCH_BACKEND_TOKEN": token})
    message = str(caught.value)
    assert message.startswith("$PHONEBENCH_BACKEND_TOKEN: the token's character") and what in message
    assert "SENTINEL" not in message and "\n" not in message


@pytest.mark.parametrize(
    ("value", "what"),
    [
        (f'"{TOKEN}\\r"', "is a carriage return"),
        (f'"{TOKEN} "', "is a space"),
        ('"pb-tok-\u00fc-SENTINEL"', "is not ASCII"),
        ("123456789", "expected text, got a whole number"),
    ],
)
def test_a_token_in_the_file_that_cannot_be_sent_is_refused_with_file_and_line(
    tmp_path: Path, value: str, what: str
) -> None:
    path = tmp_path / "station.yaml"
    path.write_text(f"profile: default\nbackend:\n  url: https://b.example\n  token: {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    message = str(caught.value)
    assert message.startswith(f"{path}:4: backend.token: ") and what in message
    assert "SENTINEL" not in message and "123456789" not in message and "\n" not in message


def test_a_config_built_in_code_with_a_bad_token_stops_the_uploader(tmp_path: Path) -> None:
    station = Station(tmp_path)
    with pytest.raises(ConfigError, match=r"^backend\.token: the token's character 34 of 34 is a carriage return"):
        Uploader(station.outbox, config("http://127.0.0.1:9", token=TOKEN + "\r"))
    station.outbox.close()


# -- scrubbed ------------------------------------------------------------------------------------

def test_an_http_library_error_that_quotes_the_header_is_scrubbed(echo: EchoBackend) -> None:
    """The message h11 gives for a header with a CR in it, as it was stored before."""
    with httpx.Client(transport=httpx.HTTPTransport()) as client:
        with pytest.raises(httpx.HTTPError) as caught:
            client.post(echo.url, headers={"Authorization": f"Bearer {TOKEN}\r"})
    assert TOKEN in str(caught.value)  # what the scrubber is for
    assert TOKEN not in _one_line(str(caught.value), Scrubber(TOKEN + "\r"))
    assert _one_line(f"Illegal header value b'Bearer {TOKEN}\\r'", Scrubber(TOKEN)) == f"Illegal header value b'Bearer {MASK}'"


def test_the_token_is_scrubbed_before_the_reason_is_cut_to_length() -> None:
    text = "x" * 170 + f" {TOKEN} and more"  # cut first, the reason would keep PIECE but not all of TOKEN
    assert PIECE in text[:197] and TOKEN not in text[:197]
    assert PIECE not in _one_line(text, Scrubber(TOKEN)) and len(_one_line(text, Scrubber(TOKEN))) <= 200


def test_any_bearer_credential_is_scrubbed_even_one_that_is_not_ours() -> None:
    assert Scrubber(TOKEN)("got Authorization: Bearer someone-elses") == f"got Authorization: Bearer {MASK}"


def test_a_logged_exception_that_quotes_the_token_is_scrubbed(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.scrub")
    scrub = ScrubFilter(Scrubber(TOKEN))
    logger.addFilter(scrub)
    try:
        with caplog.at_level(logging.INFO):
            try:
                raise RuntimeError(f"header {TOKEN!r} refused")
            except RuntimeError:
                logger.exception("upload pass failed for %s", TOKEN)
    finally:
        logger.removeFilter(scrub)
    assert "RuntimeError" in caplog.text and MASK in caplog.text
    assert TOKEN not in caplog.text and PIECE not in caplog.text
    assert caplog.records[0].exc_info is None  # a handler showing str(exception) sees nothing either


# -- end to end -------------------------------------------------------------------------------------

def files_holding(folder: Path, needle: bytes) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_a_token_echoed_by_the_backend_is_in_no_outbox_log_json_or_report(
    tmp_path: Path, echo: EchoBackend, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture,
) -> None:
    station = Station(tmp_path / "station", outbox_path=paths.outbox_path())
    station.make(4)
    monkeypatch.setenv("PHONEBENCH_BACKEND_URL", echo.url)
    monkeypatch.setenv("PHONEBENCH_BACKEND_TOKEN", TOKEN)
    caplog.set_level(logging.DEBUG)
    drained = cli.main(["-v", "outbox", "drain"])  # 400 json, 400 text: rejected; 401: waits
    station.outbox.retry(None)
    cli.main(["-v", "outbox", "drain"])  # 500 from here on: waits with the backend's reason
    listed = cli.main(["outbox", "--json"])
    out, err = capsys.readouterr()
    errors = [e.last_error for e in station.outbox.entries()]
    station.outbox.close()
    assert drained == 8 and listed == 0 and all(errors[:3]), errors  # the backend's answers were kept...
    assert any("Authorization: Bearer" in e for e in errors if e)  # ...with what it echoed, masked
    seen = out + err + caplog.text + "".join(f"{r.getMessage()} {r.exc_text}" for r in caplog.records)
    for needle in (TOKEN, PIECE):
        assert needle not in seen
        assert files_holding(paths.data_dir(), needle.encode()) == []
        assert files_holding(tmp_path, needle.encode()) == []
