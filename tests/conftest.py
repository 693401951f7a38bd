"""Every test runs in an isolated machine: its own HOME and XDG folders, so the station
key, reports, pair records (pymobiledevice3) and ~/.android (adb) never touch the real ones."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CAPTURES = Path(__file__).resolve().parent / "data" / "captures"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    for var in ("PHONEBENCH_BACKEND_URL", "PHONEBENCH_BACKEND_TOKEN", "ANDROID_ADB_SERVER_PORT", "USBMUXD_SOCKET_ADDRESS",
                "ANDROID_ADB_SERVER_ADDRESS", "ANDROID_ADB_SERVER_HOST", "ANDROID_SERIAL"):
        monkeypatch.delenv(var, raising=False)
    return home


def read_capture(name: str) -> tuple[dict, bytes]:
    """A capture copied from shared/captures: (expect, body bytes)."""
    import json

    raw = (CAPTURES / name).read_bytes()
    head, body = raw.split(b"# ---\n", 1)
    expect_line = next(line for line in head.decode("utf-8").splitlines() if line.startswith("# expect:"))
    return json.loads(expect_line[len("# expect:"):]), body
