"""Exporting one signed report to a folder the technician picks (a USB stick, a share).

The file is the stored envelope byte for byte, so ``phonebench verify`` and anyone
comparing digests see exactly what the station signed and kept. Its name is the report id,
which the engine made (a UUID), never anything a phone said about itself.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.errors import OutboxError
from agent.files import write_atomic

DEFAULT_FOLDER = Path("~/phonebench-exports")


@dataclass(frozen=True)
class StoredEnvelope:
    """The report shown when the technician asked, so a re-run finishing meanwhile changes nothing."""

    report_id: str
    envelope: dict[str, Any]
    path: Path


def file_name(report_id: str) -> str:
    """``<report_id>.dsse.json``; anything but a canonical UUID is refused."""
    try:
        canonical = str(uuid.UUID(report_id))
    except (ValueError, TypeError, AttributeError) as e:
        raise OutboxError(f"report id {report_id!r} is not a UUID: not exporting it") from e
    if canonical != report_id:
        raise OutboxError(f"report id {report_id!r} is not a UUID: not exporting it")
    return f"{canonical}.dsse.json"


def export_envelope(stored: StoredEnvelope, folder: Path) -> Path:
    """Copy the stored envelope into ``folder`` (made if need be); returns the file written."""
    target = folder.expanduser().absolute() / file_name(stored.report_id)
    source = Path(stored.path)
    try:
        data = source.read_bytes()
    except OSError as e:
        raise OutboxError(f"{source}: cannot read the stored report ({e.strerror or e})") from e
    try:
        same = json.loads(data) == stored.envelope
    except ValueError:
        same = False
    if not same:
        raise OutboxError(f"{source}: no longer holds report {stored.report_id}; not exporting it")
    _write_whole(target, data)
    return target


def _write_whole(path: Path, data: bytes) -> None:
    """A reader of the folder sees the whole file or none (a stick pulled mid-write leaves nothing)."""
    try:
        write_atomic(path, data)
    except OSError as e:
        raise OutboxError(f"{path}: cannot write ({e.strerror or e})") from e
