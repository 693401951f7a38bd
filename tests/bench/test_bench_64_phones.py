"""A 64-phone bench: ``phonebench demo --headless --phones 64`` through the real adb server and
pymobiledevice3, every phone its own, and nothing left running."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

from tests.bench.test_bench_demo import ROOT, processes_with_home


def _report(path: Path) -> dict:
    return json.loads(base64.b64decode(json.loads(path.read_text())["payload"]))


def test_demo_runs_64_phones_each_its_own_to_a_report_and_stops_everything(isolated_home: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    result = subprocess.run(
        [sys.executable, "-m", "agent", "demo", "--headless", "--phones", "64", "--out", str(out)],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [line for line in result.stdout.splitlines() if line.startswith("slot")]
    assert len(rows) == 64
    reports = [_report(p) for p in sorted(out.glob("*.dsse.json"))]
    assert len(reports) == 64
    serials = [r["device"]["serial"] for r in reports if r["device"]["serial"] is not None]  # garbage.yaml: unknown
    assert len(serials) > 56 and len(set(serials)) == len(serials)  # copies are phones of their own
    assert {r["session"]["provenance"] for r in reports} == {"simulated"}
    assert "64 phones" in result.stderr
    assert processes_with_home(isolated_home) == []


def test_demo_refuses_a_bench_of_no_phones_in_one_line(isolated_home: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "agent", "demo", "--headless", "--phones", "0"],
                            capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode != 0
    assert "--phones: 0 is not a bench size" in result.stderr
    assert "Traceback" not in result.stderr
