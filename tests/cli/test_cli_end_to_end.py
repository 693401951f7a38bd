"""The CLI end to end: real processes, real files, an isolated HOME."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]

FIXTURES = ROOT / "fixtures"
#: phones ready for checks; fixtures/states/ holds phones that wait for the technician (simulator tests)
READY_DIRS = (FIXTURES / "android", FIXTURES / "ios")
ALL_FIXTURES = sorted(p for d in READY_DIRS for p in d.glob("*.yaml"))


def phonebench(*args: str, cwd: Path = ROOT, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    # this checkout's agent, whatever the cwd and site-packages hold
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH")))))
    if home is not None:  # module-scoped runs start before the per-test HOME exists
        env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".data"))
    return subprocess.run(
        [sys.executable, "-m", "agent", *args], capture_output=True, text=True, timeout=300, cwd=cwd, env=env
    )


def payload(envelope: dict[str, Any]) -> dict[str, Any]:
    return json.loads(base64.b64decode(envelope["payload"]))


def metric_value(report: dict[str, Any], dotted: str) -> Any:
    check, name = dotted.split(".", 1)
    entry = next(c for c in report["checks"] if c["name"] == check)
    return entry["metrics"][name]["value"]


@pytest.fixture(scope="module")
def folder_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    out, home = tmp_path_factory.mktemp("reports"), tmp_path_factory.mktemp("station")
    runs = [phonebench("run", "--fixture", str(d), "--out", str(out), "--json", "-q", home=home) for d in READY_DIRS]
    (out / "station.pem").write_text(phonebench("keys", "export", home=home).stdout)
    failed = [r for r in runs if r.returncode != 0]
    return (failed or runs)[0].__class__(
        runs[0].args, max(r.returncode for r in runs), "".join(r.stdout for r in runs), "".join(r.stderr for r in runs)
    ), out


def test_every_bundled_fixture_runs_to_a_signed_report(folder_run) -> None:
    result, out = folder_run
    assert result.returncode == 0, result.stderr
    envelopes = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(envelopes) == len(ALL_FIXTURES) >= 12
    assert len(list(out.glob("*.dsse.json"))) == len(ALL_FIXTURES)


def test_every_fixture_meets_its_recorded_expectations(folder_run) -> None:
    result, _ = folder_run
    reports = {}
    for line in result.stdout.splitlines():
        report = payload(json.loads(line))
        reports[report["session"]["link"].removeprefix("replay:")] = report
    problems = []
    for path in ALL_FIXTURES:
        expect = (yaml.safe_load(path.read_text()) or {}).get("expect") or {}
        report = reports[path.name]
        if "complete" in expect and report["session"]["complete"] != expect["complete"]:
            problems.append(f"{path.name}: complete {report['session']['complete']} != {expect['complete']}")
        for dotted, want in (expect.get("metrics") or {}).items():
            got = metric_value(report, dotted)
            if isinstance(want, float) and isinstance(got, (int, float)):
                ok = abs(got - want) < 0.05
            else:
                ok = got == want
            if not ok:
                problems.append(f"{path.name}: {dotted} = {got!r}, expected {want!r}")
    assert not problems, "\n".join(problems)


def test_a_folder_of_reports_verifies_with_an_unbroken_chain(folder_run) -> None:
    _, out = folder_run
    result = phonebench("verify", str(out), "--pubkey", str(out / "station.pem"))
    assert result.returncode == 0, result.stderr
    assert "chain" in result.stdout.lower()


def test_one_fixture_prints_a_summary_and_writes_to_the_replay_folder_not_the_station_record(isolated_home: Path) -> None:
    result = phonebench("run", "--fixture", str(FIXTURES / "android" / "pixel-7.yaml"))
    assert result.returncode == 0, result.stderr
    assert "Pixel 7" in result.stdout
    assert "battery" in result.stdout and "grade" in result.stdout
    data = isolated_home / ".local" / "share" / "phonebench"
    written = list((data / "replays").glob("*.dsse.json"))
    assert len(written) == 1
    assert str(written[0]) in result.stdout + result.stderr
    assert not list((data / "reports").glob("*.dsse.json"))  # the station's own record holds real phones only
    assert not (data / "outbox.sqlite3").exists()


def test_json_envelope_verifies_against_the_exported_public_key(tmp_path: Path) -> None:
    result = phonebench("run", "--fixture", str(FIXTURES / "ios" / "iphone-13.yaml"), "--json", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    envelope_file = tmp_path / "envelope.json"
    envelope_file.write_text(result.stdout)
    pem = phonebench("keys", "export")
    assert pem.stdout.startswith("-----BEGIN PUBLIC KEY-----")
    (tmp_path / "station.pem").write_text(pem.stdout)
    ok = phonebench("verify", str(envelope_file), "--pubkey", str(tmp_path / "station.pem"))
    assert ok.returncode == 0, ok.stderr
    tampered = json.loads(result.stdout)
    report = payload(tampered)
    report["grade"] = {"value": "A", "reasons": ["trust me"]}
    tampered["payload"] = base64.b64encode(json.dumps(report).encode()).decode()
    envelope_file.write_text(json.dumps(tampered))
    bad = phonebench("verify", str(envelope_file), "--pubkey", str(tmp_path / "station.pem"))
    assert bad.returncode == 7
    assert "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_problem_phones_get_what_a_technician_expects(tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text("screen.visual: []\ncosmetic_grade: A\n")

    def run(name: str, profile: str = "default") -> dict[str, Any]:
        r = phonebench(
            "run", "--fixture", str(FIXTURES / "android" / name), "--profile", profile,
            "--answers", str(answers), "--json", "--out", str(tmp_path),
        )
        assert r.returncode == 0, r.stderr
        return payload(json.loads(r.stdout))

    def verdict(report: dict[str, Any], check: str) -> str:
        return next(c["verdict"] for c in report["checks"] if c["name"] == check)

    assert verdict(run("worn-battery.yaml", "resale-80"), "battery") == "fail"
    assert verdict(run("storage-counterfeit.yaml"), "storage") == "fail"
    assert verdict(run("replaced-panel.yaml"), "screen") == "warn"
    assert verdict(run("replaced-panel.yaml", "resale-80"), "screen") == "fail"
    disconnected = run("disconnect-mid-battery.yaml")
    assert disconnected["session"]["complete"] is False and disconnected["grade"] is None
    garbage = run("garbage.yaml")
    battery = next(c for c in garbage["checks"] if c["name"] == "battery")
    assert all(m["value"] is None and m["reason"] for m in battery["metrics"].values())


def test_answers_file_feeds_the_questions(tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text("screen.visual: []\ncosmetic_grade: B\nnotes: scuff on frame\n")
    r = phonebench("run", "--fixture", str(FIXTURES / "android" / "pixel-7.yaml"), "--answers", str(answers), "--json", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    report = payload(json.loads(r.stdout))
    assert report["answers"] == {"screen.visual": [], "cosmetic_grade": "B", "notes": "scuff on frame"}
    assert report["grade"]["value"] != "review"


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["run"], 2, "--fixture"),
        (["run", "--fixture", "nowhere.yaml"], 3, "nowhere.yaml"),
        (["run", "--fixture", "{bad}", "--profile", "no-such-profile"], 4, "no-such-profile"),
        (["run", "--fixture", "{bad}"], 3, "bad.yaml:4: not valid YAML"),  # FILE:LINE: what
        (["verify", "nowhere.dsse.json"], 2, "nowhere"),
        (["profiles", "show", "no-such-profile"], 4, "no-such-profile"),
    ],
)
def test_user_mistakes_get_one_line_and_a_distinct_exit_code(tmp_path: Path, args: list[str], code: int, needle: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: phonebench-fixture/1\nplatform: android\nandroid: [not, a, mapping\n")
    result = phonebench(*[a.replace("{bad}", str(bad)) for a in args], cwd=tmp_path)
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    assert needle in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_corrupt_station_key_is_an_error_naming_it_and_is_kept(isolated_home: Path) -> None:
    key = isolated_home / ".config" / "phonebench" / "station_ed25519.pem"
    key.parent.mkdir(parents=True)
    key.write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n")
    result = phonebench("keys", "show")
    assert result.returncode == 6
    assert str(key) in result.stderr and "Traceback" not in result.stderr
    assert key.read_text() == "-----BEGIN PRIVATE KEY-----\nnot a key\n"


def test_keys_profiles_and_checks_are_listed() -> None:
    shown = phonebench("keys", "show")
    assert shown.returncode == 0 and "sha256:" in shown.stdout
    profiles = phonebench("profiles", "list")
    assert "default" in profiles.stdout and "resale-80" in profiles.stdout
    show = phonebench("profiles", "show", "resale-80")
    assert show.returncode == 0 and "sha256:" in show.stdout
    checks = phonebench("checks", "list")
    assert [line.split()[0] for line in checks.stdout.splitlines()][:4] == ["identity", "battery", "screen", "storage"]


def test_a_phone_named_like_markup_or_a_path_stays_data(tmp_path: Path) -> None:
    fixture = tmp_path / "odd.yaml"
    fixture.write_text(
        "format: phonebench-fixture/1\nname: odd\nplatform: android\nsource: test\n"
        "android:\n  serial: ../../x\n  commands:\n    getprop:\n"
        '      stdout: "[ro.product.model]: [[bold]x\\e[2J]\\n[ro.serialno]: [../../x]\\n"\n'
    )
    out = tmp_path / "out"
    result = phonebench("run", "--fixture", str(fixture), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "[bold]x" in result.stdout and "\x1b" not in result.stdout
    assert [p.parent for p in out.rglob("*") if p.is_file()] == [out]
