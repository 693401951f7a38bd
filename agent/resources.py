"""Where the bundled profiles and fixtures live, installed or in a checkout.

A wheel carries them under ``agent/data/``; an editable install or a checkout has them
at the repository's top level.
"""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """Return the bundled folder ``name`` ("profiles" or "fixtures")."""
    installed = _HERE / "data" / name
    if installed.is_dir():
        return installed
    return _HERE.parent / name
