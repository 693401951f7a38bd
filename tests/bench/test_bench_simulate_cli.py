"""`phonebench simulate`: simulated phones for other tools, driven over stdin."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import adbutils

ROOT = Path(__file__).resolve().parents[2]


def test_simulate_prints_where_to_connect_and_obeys_its_control_channel() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "agent", "simulate", str(ROOT / "fixtures/android/pixel-7.yaml"),
         str(ROOT / "fixtures/ios/iphone-13.yaml")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        header = [proc.stdout.readline() for _ in range(4)]
        port = int(re.search(r"adb server: 127\.0\.0\.1:(\d+)", header[0]).group(1))
        serial = header[2].split()[1]
        assert "usbmuxd" in header[1] and "iphone-13.yaml" in header[3]
        client = adbutils.AdbClient(host="127.0.0.1", port=port)
        assert serial in [d.serial for d in client.device_list()]
        proc.stdin.write("unplug 1\n")
        proc.stdin.flush()
        while not (line := proc.stdout.readline()).startswith("unplug"):
            assert line, "simulate ended early"
        assert "done" in line
        assert serial not in [d.serial for d in client.device_list()]
        proc.stdin.write("quit\n")
        proc.stdin.flush()
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
