"""The real `dumpsys battery` captures under tests/battery/data, for the battery tests.

Each file: a `# source:` line (where it was published), a `# expect:` line (the figures
the battery check must report from it when sysfs is unreadable), `# ---`, then the output.
"""

from __future__ import annotations

import json
from pathlib import Path

DATA = Path(__file__).parent / "data"
CAPTURES = sorted(DATA.glob("dumpsys_battery_*.txt"))


def read_data(name: str) -> tuple[dict, str]:
    """(expect, body text) of one capture."""
    head, body = (DATA / name).read_bytes().split(b"# ---\n", 1)
    lines = head.decode("utf-8").splitlines()
    expect = next(line for line in lines if line.startswith("# expect:"))
    return json.loads(expect[len("# expect:"):]), body.decode("utf-8")
