"""Each built-in check declares its metrics once; profiles, the docs and the CLI read that."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.errors import ProfileError
from agent.grading.profile import load_profile
from agent.plugins import BUILTIN_ORDER, load_checks, metrics_markdown

ROOT = Path(__file__).resolve().parents[2]


def _builtin() -> list:
    return [c for c in load_checks() if c.name in BUILTIN_ORDER]


def test_every_built_in_check_declares_its_metrics_with_a_description() -> None:
    for check in _builtin():
        assert check.metrics, check.name
        assert all(spec.description for spec in check.metrics.values()), check.name


def test_docs_metrics_md_is_generated_from_the_declarations() -> None:
    assert (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8") == metrics_markdown(_builtin())


def test_a_profile_naming_an_undeclared_metric_fails_at_load(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    text = (ROOT / "profiles" / "resale-80.yaml").read_text(encoding="utf-8")
    path.write_text(text.replace("metric: state_of_health_percent", "metric: voltage_volts", 1), encoding="utf-8")
    with pytest.raises(ProfileError, match="voltage_volts"):
        load_profile(str(path))


def test_checks_list_metrics_prints_every_declared_metric_with_its_unit(isolated_home: Path) -> None:
    import json
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "agent", "checks", "list", "--metrics", "--json"],
                            capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)["checks"]
    for check in _builtin():
        assert set(listed[check.name]) == set(check.metrics)
    assert listed["battery"]["voltage_mv"]["unit"] == "mV"
