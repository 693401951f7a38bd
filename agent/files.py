"""Writing files that other people and programs rely on: whole or not at all.

A reader sees the old file or the new one, never half of one, even after a power cut
or a stick pulled mid-write. Callers turn OSError into their own area's error.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: bytes, *, keep_existing: bool = False) -> None:
    """Write ``data`` to a temporary file (mode 0600) beside ``path``, fsync it, move it into
    place and fsync the folder. Raises OSError; leaves no temporary file behind.

    ``keep_existing``: a file already at ``path`` wins and ``data`` is dropped, even when
    another process put it there a moment ago (a hard link, unlike a rename, never replaces)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp: Path | None = Path(name)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if keep_existing:
            with contextlib.suppress(FileExistsError):
                os.link(name, path)
        else:
            os.replace(name, path)
            tmp = None
        fsync_dir(path.parent)
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)


def fsync_dir(folder: Path) -> None:
    """Make a rename or link in ``folder`` survive a power cut."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
