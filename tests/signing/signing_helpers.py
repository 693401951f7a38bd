"""Sample reports that follow the report contract to the letter, every section filled, and
the fixtures every signing test uses (imported by name: a conftest.py here would shadow
the top-level one that other test folders import from). The outbox tests and
benchmarks/outbox_drain.py take their reports from ``sample_report`` too."""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from agent.report.chain import ReportStore
from agent.report.signing import StationKey, canonical_json

_BASE: dict[str, Any] = {
    "schema": "phonebench.report/2",
    "report_id": "",
    "started_at": "2026-11-28T16:20:49.123Z",
    "finished_at": "2026-11-28T16:20:51.004Z",
    "station": {"id": "station-3fa2b1c09d7e", "key_id": None},
    "agent": {"name": "phonebench", "version": "0.1.0"},
    "profile": {"name": "default", "digest": "sha256:" + "ab" * 32},
    "session": {"link": "adb:2B151FDH2000AB", "slot": 3, "complete": True, "incomplete_reason": None,
                "provenance": "usb", "transport_id": "usb:1-1.3"},
    "device": {
        "platform": "android",
        "manufacturer": "Google",
        "brand": "google",
        "model": "Pixel 7",
        "model_code": "panther",
        "marketing_name": "Pixel 7",
        "serial": "2B151FDH2000AB",
        "imei": ["358240051111110"],
        "os_version": "14",
        "build": "UQ1A.240205.004",
        "emulator": False,
        "catalog_key": "google-pixel-7",
    },
    "checks": [
        {
            "name": "battery",
            "title": "Battery",
            "outcome": "measured",
            "detail": None,
            "metrics": {
                "cycle_count": {"value": 312, "source": "cat /sys/class/power_supply/battery/cycle_count"},
                "state_of_health_percent": {
                    "value": 91.2,
                    "source": "cat /sys/class/power_supply/battery/charge_full",
                    "method": "charge_full/charge_full_design",
                },
                "temperature_c": {"value": None, "source": "dumpsys battery", "reason": "no 'temperature:' line"},
            },
            "verdict": "pass",
            "reasons": ["battery state of health 91.2% >= 80%"],
        },
        {
            "name": "storage",
            "title": "Storage",
            "outcome": "error",
            "detail": "df exited with status 1",
            "metrics": {"total_bytes": {"value": None, "source": "df -k /data", "reason": "df failed"}},
            "verdict": "review",
            "reasons": ["storage could not be measured"],
        },
    ],
    "answers": {"screen.visual": [], "cosmetic_grade": "B", "notes": "scuff on frame"},
    "grade": {"value": "B", "reasons": ["cosmetic grade B", "all checks pass"]},
}


def sample_report(**changes: Any) -> dict[str, Any]:
    """A report as the engine hands it to the store: complete except ``chain``.

    ``changes`` maps dotted paths to new values: ``sample_report(**{"device.serial": "x"})``."""
    report = copy.deepcopy(_BASE)
    report["report_id"] = str(uuid.uuid4())
    for dotted, value in changes.items():
        *parents, last = dotted.split(".")
        node: Any = report
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        node[last] = value
    return report


def chained(report: dict[str, Any], key: StationKey, sequence: int, previous_digest: str | None) -> dict[str, Any]:
    """``report`` as a signed station would have it: its key id and a chain link."""
    done = copy.deepcopy(report)
    done["station"]["key_id"] = key.keyid
    done["chain"] = {"sequence": sequence, "previous_digest": previous_digest}
    return done


def signed(report: dict[str, Any], key: StationKey) -> dict[str, Any]:
    return key.sign(canonical_json(report))


def write_envelope(path: Path, envelope: dict[str, Any]) -> None:
    path.write_text(json.dumps(envelope, indent=2) + "\n", encoding="ascii")


@pytest.fixture
def key(tmp_path: Path) -> StationKey:
    return StationKey.load_or_create(tmp_path / "keys" / "station_ed25519.pem")


@pytest.fixture
def other_key(tmp_path: Path) -> StationKey:
    return StationKey.load_or_create(tmp_path / "other" / "station_ed25519.pem")


@pytest.fixture
def store(tmp_path: Path) -> ReportStore:
    return ReportStore(tmp_path / "reports", tmp_path / "state" / "chain.json")
