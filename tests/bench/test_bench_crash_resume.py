"""A headless bench stopped mid-session (SIGKILL: no teardown at all; SIGTERM: the orderly way
out), then started again: the phones still plugged in resume, the others become incomplete
reports, nothing is lost."""

from __future__ import annotations

import base64
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent.session.journal import Journal
from tests.bench.test_bench_demo import processes_with_home

ROOT = Path(__file__).resolve().parents[2]
# one phone of each kind stays plugged in: a simulated Android phone's adb serial is its fake
# adbd's address, which changes from one run to the next, so it is known again by its
# simulated port and its own serial (the fixtures sort the same way: the same ports)
PLUGGED = ["android/galaxy-s23.yaml", "ios/iphone-13.yaml"]
PULLED = ["ios/iphone-8.yaml", "android/moto-g7.yaml"]


def _demo(fixtures: Path) -> list[str]:
    return [sys.executable, "-m", "agent", "demo", "--headless", "--fixtures", str(fixtures), "--latency-ms", "150"]


#: a lock read that hangs (for the link's timeout) holds each session open while the other
#: checks finish, so the kill lands mid-session without any timing in the test
HANG = {"android": "dumpsys account", "ios": "service:com.apple.mobile.MCInstall/GetProfileList"}


def _copy(names: list[str], folder: Path, hang: bool = False) -> Path:
    folder.mkdir()
    for name in names:
        text = (ROOT / "fixtures" / name).read_text()
        if hang:
            text += f'\nfaults:\n  - {{kind: hang, at: "{HANG[name.split("/")[0]]}"}}\n'
        (folder / Path(name).name).write_text(text)
    return folder


def _measuring(journal: Path) -> int:
    """Open sessions that have measured all but their hanging check (read-only, while it writes)."""
    if not journal.exists():
        return 0
    db = sqlite3.connect(f"file:{journal}?mode=ro", uri=True, timeout=5)
    try:
        return db.execute("SELECT count(*) FROM (SELECT c.session_id FROM checks c JOIN sessions s ON s.id = c.session_id"
                          " WHERE s.state = 'open' GROUP BY c.session_id HAVING count(*) >= 4)").fetchone()[0]
    except sqlite3.Error:
        return 0
    finally:
        db.close()


def _stop_leftovers(home: Path) -> None:
    """SIGKILL let the demo's adb server outlive it: stop it by its process id."""
    for pid in processes_with_home(home):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGTERM], ids=["sigkill", "sigterm"])
def test_stopped_mid_session_then_restart_resumes_or_closes_every_phone(
        isolated_home: Path, tmp_path: Path, stop: signal.Signals) -> None:
    record = isolated_home / ".local" / "share" / "phonebench" / "demo"
    journal = record / "journal.sqlite3"
    proc = subprocess.Popen(_demo(_copy(PLUGGED + PULLED, tmp_path / "all", hang=True)), cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while _measuring(journal) < 4 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(stop)
        proc.wait(30)
    finally:
        _stop_leftovers(isolated_home)
    assert not list(record.glob("*.dsse.json"))
    before = {e.device_id: e for e in Journal(journal).unfinished()}
    assert len(before) == 4

    try:
        result = subprocess.run(_demo(_copy(PLUGGED, tmp_path / "plugged")), cwd=ROOT, capture_output=True, text=True,
                                timeout=120)
    finally:
        _stop_leftovers(isolated_home)
    assert result.returncode in (0, 4), result.stderr[-3000:]
    reports = {r["report_id"]: r for r in (_payload(p) for p in record.glob("*.dsse.json"))}
    assert len(reports) == 4, result.stdout
    assert "4 unfinished phones from before: 2 resumed, 2 closed as incomplete" in result.stderr, result.stderr[-3000:]
    assert "127.0.0.1" not in result.stdout  # phones are named by fixture, model or port
    slots = json.loads((record / "slots.json").read_text())["ports"]  # the demo's own store
    assert set(slots) == {"sim-1.1", "sim-1.2", "sim-1.3", "sim-1.4"}
    assert Journal(journal).unfinished() == []
    closed = [r for r in reports.values() if r["report_id"] in {e.session_id for e in before.values()}]
    assert len(closed) == 2  # the pulled phones: their report is the cut-off session's
    for report in closed:
        entry = next(e for e in before.values() if e.session_id == report["report_id"])
        assert report["grade"] is None and "cut off" in report["session"]["incomplete_reason"]
        assert entry.port is not None and report["session"]["port"]["path"] == entry.port["path"]
        assert report["session"]["slot"] == slots[report["session"]["port"]["path"]]
        for name, (check, _) in entry.checks.items():  # nothing measured before the kill is lost
            kept = next(c for c in report["checks"] if c["name"] == name)
            assert (kept["outcome"], kept["metrics"]) == (check["outcome"], check["metrics"])
        assert next(c for c in report["checks"] if c["name"] == "locks")["outcome"] == "interrupted"
    resumed = [r for r in reports.values() if r not in closed]
    assert {r["device"]["platform"] for r in resumed} == {"android", "ios"}
    for report in resumed:
        assert report["session"]["complete"] is True
        assert report["session"]["slot"] == slots[report["session"]["port"]["path"]]
        assert any((c["detail"] or "").startswith("measured before the restart") for c in report["checks"])
    verify = subprocess.run([sys.executable, "-m", "agent", "verify", str(record)], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def _payload(path: Path) -> dict:
    return json.loads(base64.b64decode(json.loads(path.read_text())["payload"]))
