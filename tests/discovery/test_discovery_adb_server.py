"""A station with no adb server running gets the bundled one, and loses it again at exit."""

from __future__ import annotations

import socket
import time

from agent.discovery.adb import AdbSource
from agent.simulator.bench import free_port


def _answers(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_adb_source_starts_the_bundled_server_when_none_runs_and_stops_it() -> None:
    port = free_port()
    source = AdbSource(port=port, start_server=True)
    source._ensure_server()
    try:
        assert _answers(port)
    finally:
        source.stop()
    deadline = time.monotonic() + 10  # kill-server returns before the socket closes
    while _answers(port) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _answers(port)


def test_adb_source_leaves_a_server_it_did_not_start_alone() -> None:
    from agent.links.adb import ensure_adb_server

    port = free_port()
    theirs = ensure_adb_server(port)
    try:
        source = AdbSource(port=port, start_server=True)
        source._ensure_server()
        source.stop()
        assert _answers(port)
    finally:
        theirs.stop()


def test_a_server_that_comes_up_after_the_bench_stopped_is_stopped_too() -> None:
    """A bench quit while the bundled adb was still starting must not leave it running."""
    port = free_port()
    source = AdbSource(port=port, start_server=True)
    source.stop()  # the bench ends first...
    source._ensure_server()  # ...then the start it had begun completes
    deadline = time.monotonic() + 10  # kill-server returns before the socket closes
    while _answers(port) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _answers(port)
