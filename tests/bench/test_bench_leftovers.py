"""The traces a simulated bench leaves for the next one: what a sweep removes and what it
must never touch (a live owner's things, a folder that is not one of ours)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from agent.simulator import leftovers


def dead_pid() -> int:
    """The pid of a process that has ended and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def socket_folder() -> Path:
    return Path(tempfile.mkdtemp(prefix=leftovers.SOCKET_DIR_PREFIX))


def plant(pid: int, folder: str | None) -> Path:
    """A trace as another process would have written it."""
    path = leftovers.traces_dir() / f"{pid}-0-planted.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"pid": pid, "adb_port": None, "socket_dir": folder}))
    return path


def test_a_dead_owners_socket_folder_and_trace_are_removed() -> None:
    folder = socket_folder()
    trace = plant(dead_pid(), str(folder))
    assert [t.socket_dir for t in leftovers.sweep()] == [str(folder)]
    assert not folder.exists() and not trace.exists()


def test_a_live_owners_things_stay() -> None:
    folder = socket_folder()
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) as owner:
        try:
            trace = plant(owner.pid, str(folder))
            assert leftovers.sweep() == []
            assert folder.exists() and trace.exists()
        finally:
            owner.kill()
    leftovers.sweep()
    assert not folder.exists()


def test_this_process_own_running_bench_is_not_swept() -> None:
    folder = socket_folder()
    mine = leftovers.Trace(os.getpid(), None, str(folder))
    mine.write()
    try:
        assert leftovers.sweep() == []
        assert folder.exists()
    finally:
        mine.remove()
        mine.remove_folder()


def test_a_trace_naming_a_folder_that_is_not_ours_removes_nothing(tmp_path: Path) -> None:
    """A trace is untrusted input: only phonebench-usbmuxd-* folders in the temp dir go."""
    precious = tmp_path / "precious"
    precious.mkdir()
    trace = plant(dead_pid(), str(precious))
    leftovers.sweep()
    assert precious.exists() and not trace.exists()


def test_a_broken_trace_is_dropped() -> None:
    path = plant(dead_pid(), None)
    path.write_text("{not json")
    assert leftovers.sweep() == []
    assert not path.exists()
