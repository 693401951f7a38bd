"""Third-party checks: a real plugin distribution, installed with pip, is a peer of the built-ins."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent.errors import ProfileError
from agent.grading.profile import load_profile

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "phonebench-example-check"
PROFILE = """\
format: phonebench-profile/1
name: signed
checks:
  build_tags:
    rules:
      - {metric: release_keys, equals: false, verdict: fail, reason: "not signed with release keys"}
      - {metric: release_keys, equals: true, verdict: pass, reason: "signed with release keys"}
grade:
  scale: [A, F]
  rules:
    - {when: {check: build_tags, verdict: fail}, at_most: F}
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example plugin, installed for real into a folder of its own."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target), str(EXAMPLE)],
                   check=True, capture_output=True, timeout=300)
    return target


def phonebench(site: Path, *argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, "-m", "agent", *argv], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def test_installed_plugin_appears_in_checks_list(site: Path, tmp_path: Path) -> None:
    done = phonebench(site, "checks", "list", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    line = next(line for line in done.stdout.splitlines() if line.startswith("build_tags"))
    assert "phonebench_example_check:BuildTagsCheck" in line and "plugin phonebench-example-check" in line


def test_plugin_check_runs_in_a_session_graded_by_a_profile_naming_it(site: Path, tmp_path: Path) -> None:
    fixture = tmp_path / "tagged.yaml"
    fixture.write_text((ROOT / "fixtures/android/pixel-7.yaml").read_text().replace(
        "  commands:\n", '  commands:\n    "getprop ro.build.tags":\n      stdout: |\n        test-keys\n', 1))
    (tmp_path / "signed.yaml").write_text(PROFILE)
    done = phonebench(site, "run", "--fixture", str(fixture), "--profile", str(tmp_path / "signed.yaml"),
                      "--out", str(tmp_path / "reports"), "--json", "-q", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(base64.b64decode(json.loads(done.stdout)["payload"]))
    check = next(c for c in report["checks"] if c["name"] == "build_tags")
    assert check["outcome"] == "measured"
    assert check["metrics"]["build_tags"] == {"value": "test-keys", "source": "getprop ro.build.tags"}
    assert check["metrics"]["release_keys"]["value"] is False
    assert (check["verdict"], report["grade"]["value"]) == ("fail", "F")


def test_plugin_check_says_what_a_fixture_lacks(site: Path, tmp_path: Path) -> None:
    done = phonebench(site, "run", "--fixture", str(ROOT / "fixtures/android/pixel-7.yaml"),
                      "--out", str(tmp_path / "reports"), "--json", "-q", cwd=tmp_path)
    report = json.loads(base64.b64decode(json.loads(done.stdout)["payload"]))
    check = next(c for c in report["checks"] if c["name"] == "build_tags")
    assert (check["outcome"], check["detail"]) == ("error", "`getprop ro.build.tags`: fixture lacks `getprop ro.build.tags`")


def test_a_plugin_that_fails_to_import_is_skipped_with_a_warning(tmp_path: Path) -> None:
    info = tmp_path / "broken_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[phonebench.checks]\nbroken = broken_plugin:Check\n")
    (tmp_path / "broken_plugin.py").write_text('raise RuntimeError("this plugin is broken")\n')
    done = phonebench(tmp_path, "checks", "list", cwd=tmp_path)
    assert "broken" in done.stdout  # listing reads metadata only
    code = "from agent.plugins import load_checks; print(','.join(c.name for c in load_checks()))"
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    loaded = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "identity,battery,screen,storage,locks"
    assert "skipping check 'broken'" in loaded.stderr and "this plugin is broken" in loaded.stderr


def test_a_profile_naming_a_check_nobody_installed_fails_at_load(tmp_path: Path) -> None:
    path = tmp_path / "signed.yaml"
    path.write_text(PROFILE)
    with pytest.raises(ProfileError, match=r"signed.yaml:4: checks.build_tags: no check named 'build_tags' \(known: battery, identity"):
        load_profile(str(path), known_checks={"identity", "battery", "screen", "storage"})
    assert load_profile(str(path), known_checks={"identity", "build_tags"}).checks == ("build_tags",)
