"""What a simulated bench leaves behind if it is killed (SIGKILL, a power cut): its adb
server, a daemon of its own that outlives it, and its usbmuxd socket folder in /tmp.

A running bench writes a small trace naming both under the station's state dir; a
clean stop removes it. The next ``demo`` or ``simulate`` sweeps the traces whose owner is
dead: it stops that adb server and removes that folder. A trace is read as untrusted
input: only a folder that looks like one of ours, directly in the temp dir, is removed.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from agent.paths import state_dir

log = logging.getLogger(__name__)

SOCKET_DIR_PREFIX = "phonebench-usbmuxd-"
#: the traces this process wrote: its own benches are alive, whatever their pid says
_MINE: set[Path] = set()


def traces_dir() -> Path:
    return state_dir() / "simulated-benches"


@dataclass(frozen=True)
class Trace:
    """One running simulated bench: its pid, the adb server it started (if any) and
    its usbmuxd socket folder (if any)."""

    pid: int
    adb_port: int | None
    socket_dir: str | None
    #: fixed when made: HOME may change while the bench runs (tests give each test its own)
    path: Path = field(init=False, compare=False)

    def __post_init__(self) -> None:
        folder = Path(self.socket_dir).name if self.socket_dir else "-"
        object.__setattr__(self, "path", traces_dir() / f"{self.pid}-{self.adb_port or 0}-{folder}.json")

    def write(self) -> None:
        """Whole or not at all (a reader never sees half a trace)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".part")
        partial.write_text(json.dumps({"pid": self.pid, "adb_port": self.adb_port, "socket_dir": self.socket_dir}))
        os.replace(partial, self.path)
        _MINE.add(self.path)

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)
        _MINE.discard(self.path)

    def clean(self) -> None:
        """Stop the adb server and remove the socket folder, for a dead owner."""
        if self.adb_port is not None:
            _stop_adb(self.adb_port)
        self.remove_folder()

    def remove_folder(self) -> None:
        if self.socket_dir is not None and _ours(Path(self.socket_dir)):
            shutil.rmtree(self.socket_dir, ignore_errors=True)


def sweep() -> list[Trace]:
    """Clean what dead simulated benches left; returns their traces."""
    swept = []
    for path in sorted(set(traces_dir().glob("*.json")) - _MINE):
        trace = _read(path)
        if trace is not None and _alive(trace.pid):
            continue
        if trace is not None:
            log.info("cleaning up after simulated bench %d (adb port %s, %s)", trace.pid, trace.adb_port, trace.socket_dir)
            trace.clean()
            swept.append(trace)
        path.unlink(missing_ok=True)
    return swept


def _read(path: Path) -> Trace | None:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        pid, port, folder = raw["pid"], raw["adb_port"], raw["socket_dir"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(pid, int) or pid <= 0:
        return None
    port = port if isinstance(port, int) and 0 < port < 65536 else None
    return Trace(pid, port, folder if isinstance(folder, str) else None)


def _alive(pid: int) -> bool:
    """A pid that is ours now, on a trace we did not write, is a dead owner (pids come round
    again, in containers often); so is a zombie: killed, its parent has yet to notice."""
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False  # no /proc (macOS): a live pid is taken at its word


def _ours(folder: Path) -> bool:
    return folder.name.startswith(SOCKET_DIR_PREFIX) and folder.parent == Path(tempfile.gettempdir()) and not folder.is_symlink()


def _stop_adb(port: int) -> None:
    from agent.links.adb import answers, stop_adb_server

    if not answers(port):
        return
    try:
        stop_adb_server(port, timeout=5.0)
    except Exception as e:  # a leftover we could not stop is worth a line, not a failed start
        log.warning("could not stop the leftover adb server on port %d: %s", port, e)
