"""What every command keeps to: an error is one ``phonebench: ...`` line and an ExitCode,
``-q``/``-v`` work before and after the command, and ``--json`` is one JSON document that
never holds the backend token. In process, so the checkout's own code answers."""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.cli.main import build_parser, main
from agent.errors import ExitCode

ROOT = Path(__file__).resolve().parents[2]
PIXEL = ROOT / "fixtures" / "android" / "pixel-7.yaml"
TOKEN = "tok-3c1f9e-never-shown"


@pytest.fixture(autouse=True)
def log_level() -> Iterator[None]:
    """main() sets the root logger's level from -q/-v; later tests expect the default back."""
    level = logging.getLogger().level
    yield
    logging.getLogger().setLevel(level)


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


USAGE_MISTAKES = [
    [],
    ["bogus"],
    ["run"],
    ["run", "--fixture"],
    ["keys"],
    ["profiles", "show"],
    ["checks", "list", "--nope"],
    ["outbox", "retry"],
    ["backend", "serve"],
    ["tui", "--adb-port", "x"],
    ["record", "-o", "x.yaml", "--udid", "U", "--adb-port", "5038"],
]


@pytest.mark.parametrize("argv", USAGE_MISTAKES, ids=lambda a: " ".join(a) or "(nothing)")
def test_a_usage_mistake_is_one_line_with_the_prefix_once(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, out, err = cli(capsys, *argv)
    assert code == ExitCode.USAGE == 2
    assert out == ""
    assert err.startswith("phonebench: ") and err.count("\n") == 1 and err.endswith("\n")
    assert not err.startswith("phonebench: phonebench")


def test_a_misspelt_fixture_path_is_a_bad_fixture(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                 isolated_home: Path) -> None:
    missing = tmp_path / "nope.yaml"
    code, out, err = cli(capsys, "run", "--fixture", str(missing))
    assert code == ExitCode.FIXTURE == 3
    assert (out, err) == ("", f"phonebench: {missing}: no such fixture file or folder\n")
    assert not (isolated_home / ".config" / "phonebench").exists()  # no station key made for nothing


def _leaves(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _leaves(child, (*path, name))


def test_every_command_and_action_takes_q_and_v() -> None:
    parsers = list(_leaves(build_parser()))
    assert len(parsers) > 20
    for path, parser in parsers:
        assert {"-q", "--quiet", "-v", "--verbose"} <= set(parser._option_string_actions), " ".join(path)


@pytest.mark.parametrize("flag", ["-q", "-v"])
@pytest.mark.parametrize("argv", [["checks", "list"], ["profiles", "show", "default"], ["keys", "show"],
                                  ["config", "show"], ["outbox"]], ids=" ".join)
def test_q_and_v_work_before_after_and_inside_the_command(capsys: pytest.CaptureFixture[str], argv: list[str],
                                                           flag: str) -> None:
    dest = "quiet" if flag == "-q" else "verbose"
    for placed in ([flag, *argv], [*argv, flag], [argv[0], flag, *argv[1:]]):
        assert getattr(build_parser().parse_args(placed), dest) is True, placed
        code, out, err = cli(capsys, *placed)
        assert code == ExitCode.OK, err
        assert out
    assert not hasattr(build_parser().parse_args(argv), dest)  # unset: commands read it as False


def test_q_leaves_nothing_on_stderr_and_without_it_run_says_where_the_report_went(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = cli(capsys, "run", "--fixture", str(PIXEL), "--out", str(tmp_path), "-q")
    assert (code, err) == (ExitCode.OK, "")
    assert "Pixel 7" in out
    code, out, err = cli(capsys, "-v", "run", "--fixture", str(PIXEL), "--out", str(tmp_path))
    assert code == ExitCode.OK
    assert "battery:" in err and "report written:" in err


@pytest.fixture
def station(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A station with a backend and token configured, two reports, and a receiver database."""
    monkeypatch.setenv("PHONEBENCH_BACKEND_URL", "https://grading.example.com")
    monkeypatch.setenv("PHONEBENCH_BACKEND_TOKEN", TOKEN)
    reports = tmp_path / "reports"
    for _ in range(2):
        assert cli(capsys, "run", "--fixture", str(PIXEL), "--out", str(reports), "-q")[0] == ExitCode.OK
    pem = tmp_path / "station.pem"
    pem.write_text(cli(capsys, "keys", "export")[1])
    db = tmp_path / "received.sqlite3"
    assert cli(capsys, "backend", "enroll", str(pem), "--db", str(db))[0] == ExitCode.OK
    return {"reports": reports, "report": sorted(reports.glob("*.dsse.json"))[0], "db": db}


DATA_COMMANDS = {
    "verify folder": ["verify", "{reports}"],
    "verify file": ["verify", "{report}"],
    "keys show": ["keys", "show"],
    "profiles list": ["profiles", "list"],
    "profiles show": ["profiles", "show", "resale-80"],
    "checks list": ["checks", "list"],
    "config show": ["config", "show"],
    "outbox": ["outbox"],
    "backend list": ["backend", "list", "--db", "{db}"],
}


@pytest.mark.parametrize("name", DATA_COMMANDS)
def test_json_is_one_document_without_the_token(capsys: pytest.CaptureFixture[str], station: dict[str, Path],
                                                name: str) -> None:
    argv = [a.format(**station) for a in DATA_COMMANDS[name]]
    code, out, err = cli(capsys, *argv, "--json")
    assert code == ExitCode.OK, err
    assert isinstance(json.loads(out), dict)
    assert TOKEN not in out + err


def test_json_says_what_the_text_says(capsys: pytest.CaptureFixture[str], station: dict[str, Path]) -> None:
    def doc(*argv: str) -> dict:
        code, out, err = cli(capsys, *argv, "--json")
        assert code == ExitCode.OK, err
        return json.loads(out)

    verified = doc("verify", str(station["reports"]))
    assert (verified["ok"], verified["chain"]) == (True, {"checked": True, "ok": True, "problems": []})
    assert [r["sequence"] for r in verified["reports"]] == [1, 2]
    assert verified["reports"][0]["report"]["device"]["model"] == "Pixel 7"
    assert doc("keys", "show")["keyid"].startswith("sha256:")
    assert {"default", "resale-80"} <= {p["name"] for p in doc("profiles", "list")["profiles"]}
    assert "battery" in doc("profiles", "show", "resale-80")["document"]["checks"]
    assert [c["name"] for c in doc("checks", "list")["checks"]][:4] == ["identity", "battery", "screen", "storage"]
    backend = doc("config", "show")["backend"]
    assert backend == {"url": "https://grading.example.com", "url_from": "PHONEBENCH_BACKEND_URL", "token_set": True,
                       "token_from": "PHONEBENCH_BACKEND_TOKEN", "ca_bundle": None, "timeout_s": 10.0}
