"""`phonebench demo --headless`: the README's first command, end to end in a subprocess."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READY = len(list((ROOT / "fixtures").glob("android/*.yaml"))) + len(list((ROOT / "fixtures").glob("ios/*.yaml")))


def processes_with_home(home: Path) -> list[int]:
    """Processes (an adb server, say) still running with this test's HOME."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"HOME={home}".encode() in environ:
            found.append(int(entry.name))
    return found


def test_demo_runs_every_bundled_phone_to_a_report_and_stops_everything(isolated_home: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    result = subprocess.run(
        [sys.executable, "-m", "agent", "demo", "--headless", "--out", str(out)],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [line for line in result.stdout.splitlines() if line.startswith("slot")]
    assert len(rows) == READY
    assert len(list(out.glob("*.dsse.json"))) == READY
    assert "INCOMPLETE" in next(r for r in rows if "disconnect-mid-battery" in r)
    assert processes_with_home(isolated_home) == []
    data = isolated_home / ".local" / "share" / "phonebench"
    assert len(list((data / "demo").glob("*.dsse.json"))) == READY  # the demo's own record
    assert not list((data / "reports").glob("*.dsse.json")) and not (data / "outbox.sqlite3").exists()


def test_demo_stopped_by_sigterm_leaves_no_adb_server(isolated_home: Path, tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "agent", "demo", "--headless", "--out", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
    )
    assert proc.stdout is not None
    proc.stdout.readline()  # the first phone's line: the bench is up
    proc.send_signal(signal.SIGTERM)
    proc.wait(60)
    deadline = time.monotonic() + 10  # adb's kill-server returns before the server has gone
    while processes_with_home(isolated_home) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_with_home(isolated_home) == []
