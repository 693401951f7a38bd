"""Through the command line, a spoilt file a person wrote is one line on stderr, naming the
file and the line, with the README's exit code: 2 usage (the answers file), 3 a bad fixture,
4 a bad profile or config. Never a traceback, never a run that eats memory for minutes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from yaml_cases import AREAS, HOWS, check_message, text_of

ROOT = Path(__file__).resolve().parents[2]
GOOD_FIXTURE = ROOT / "fixtures" / "android" / "pixel-7.yaml"
EXIT = {"fixture": 3, "profile": 4, "config": 4, "answers": 2}


def phonebench(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python3 -m agent`` on this checkout (not whatever ``agent`` is installed), in ``home``."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), HOME=str(home))
    env.update({f"XDG_{kind}_HOME": str(home / f".{kind.lower()}") for kind in ("CONFIG", "DATA", "STATE", "CACHE")})
    # the timeout is a safety net: before the reader was bounded, a bomb ran 20 s into MemoryError
    command = [sys.executable, "-m", "agent", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=ROOT, env=env, check=False)


def error_lines(stderr: str) -> list[str]:
    """stderr without log warnings about check plugins that failed to import (an environment
    with another checkout's entry points installed has them); they are not the error."""
    return [line for line in stderr.splitlines() if not line.startswith("WARNING: skipping check")]


def spoil(area: str, how: str, home: Path) -> tuple[Path, list[str]]:
    """Write the spoilt file where ``area`` is read from, and the command line that reads it."""
    if area == "config":
        path = home / ".config" / "phonebench" / "station.yaml"
        path.parent.mkdir(parents=True)
    else:
        path = home / f"{area}.yaml"
    path.write_text(text_of(area, how), encoding="utf-8")
    args = {
        "fixture": ["run", "--fixture", str(path)],
        "profile": ["run", "--fixture", str(GOOD_FIXTURE), "--profile", str(path)],
        "config": ["config", "show"],
        "answers": ["run", "--fixture", str(GOOD_FIXTURE), "--answers", str(path)],
    }[area]
    return path, args


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("area", AREAS)
def test_a_spoilt_file_is_one_line_and_its_exit_code(tmp_path: Path, area: str, how: str) -> None:
    path, args = spoil(area, how, tmp_path)
    result = phonebench(tmp_path, *args)
    assert result.returncode == EXIT[area], result.stderr
    assert "Traceback" not in result.stderr
    (line,) = error_lines(result.stderr)
    assert line.startswith("phonebench: ")
    check_message(line.removeprefix("phonebench: "), str(path), area, how)
    assert result.stdout == ""


def test_verify_of_100000_brackets_is_one_line_and_exit_7(tmp_path: Path) -> None:
    from agent.report.signing import StationKey

    key = StationKey.load_or_create(tmp_path / "station_ed25519.pem")
    (tmp_path / "pub.pem").write_text(key.public_pem())
    deep = tmp_path / "000001-deep.dsse.json"
    deep.write_text("[" * 100_000)
    result = phonebench(tmp_path, "verify", str(deep), "--pubkey", str(tmp_path / "pub.pem"))
    assert result.returncode == 7, result.stderr
    assert "Traceback" not in result.stderr
    assert error_lines(result.stderr) == [f"phonebench: {deep}: not a JSON envelope (nested more than 64 levels deep)"]
