"""``phonebench outbox``, ``config show`` and ``backend``: what a technician or an operator sees."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from outbox_helpers import (
    ReceiverProcess,
    Station,
    receiver,  # noqa: F401  (fixture)
    run_backend_cli,
)

from agent import paths
from agent.cli import main as cli
from agent.delivery.outbox import Outbox

MINE = ("agent.cli.outbox", "agent.cli.config", "agent.cli.backend")


def test_delivery_commands_are_wired_into_the_cli() -> None:
    assert set(MINE) <= set(cli.COMMAND_MODULES)


@pytest.fixture
def station(tmp_path: Path) -> Station:
    """A station whose outbox is the one the CLI reads (paths.outbox_path())."""
    return Station(tmp_path / "station", outbox_path=paths.outbox_path())


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_outbox_lists_each_report_with_state_attempts_and_last_error(
    station: Station, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = station.make(2)
    station.outbox.mark_rejected(first.report["report_id"], "400: envelope:\x1b[2J bad")
    code, out, _ = run(capsys, "outbox")
    assert code == 0
    assert f"1  {first.report['report_id']}  rejected    1 tries" in out and "400: envelope:\\x1b[2J bad" in out
    assert f"2  {second.report['report_id']}  pending" in out
    assert "1 pending, 0 delivered, 1 rejected" in out


def test_outbox_json_gives_counts_and_rows(station: Station, capsys: pytest.CaptureFixture[str]) -> None:
    station.make(3)
    code, out, _ = run(capsys, "outbox", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["counts"] == {"pending": 3, "delivered": 0, "rejected": 0}
    assert [r["sequence"] for r in doc["reports"]] == [1, 2, 3] and doc["reports"][0]["attempts"] == 0


def test_drain_without_a_backend_fails_with_one_line_and_keeps_the_reports(
    station: Station, capsys: pytest.CaptureFixture[str]
) -> None:
    station.make(2)
    code, _, err = run(capsys, "outbox", "drain")
    assert code == 8 and err.startswith("phonebench: no backend configured: 2 report(s) stay in the outbox")
    assert err.count("\n") == 1
    assert Outbox().counts()["pending"] == 2


def test_drain_delivers_to_the_backend_named_in_the_environment(
    station: Station, receiver: ReceiverProcess, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    station.make(2)
    monkeypatch.setenv("PHONEBENCH_BACKEND_URL", receiver.url)
    code, out, _ = run(capsys, "outbox", "drain")
    assert (code, out) == (0, "delivered 2, rejected 0, still pending 0\n")
    assert len(receiver.reports()) == 2


def test_retry_one_or_all_makes_rejected_reports_pending(station: Station, capsys: pytest.CaptureFixture[str]) -> None:
    made = station.make(3)
    for stored in made:
        station.outbox.mark_rejected(stored.report["report_id"], "403: unknown key")
    assert run(capsys, "outbox", "retry", made[0].report["report_id"])[:2] == (
        0, "1 report(s) due now; `phonebench outbox drain` sends them\n")
    assert run(capsys, "outbox", "retry", "--all")[1].startswith("3 report(s) due now")  # pending ones too
    assert Outbox().counts() == {"pending": 3, "delivered": 0, "rejected": 0}


def test_retry_needs_an_id_or_all(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "outbox", "retry")
    assert code == 2 and "one of the arguments ID --all is required" in err


def test_export_writes_what_is_not_delivered(station: Station, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    made = station.make(2)
    code, out, _ = run(capsys, "outbox", "export", str(tmp_path / "usb"))
    assert code == 0 and out == f"wrote 2 envelope(s) to {tmp_path / 'usb'}\n"
    assert sorted(p.name for p in (tmp_path / "usb").iterdir()) == [s.path.name for s in made]


def test_config_show_masks_the_token(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PHONEBENCH_BACKEND_URL", "https://grading.example.com")
    monkeypatch.setenv("PHONEBENCH_BACKEND_TOKEN", "hunter2-secret")
    code, out, _ = run(capsys, "config", "show")
    assert code == 0 and "hunter2-secret" not in out
    assert "token:       ******** (from PHONEBENCH_BACKEND_TOKEN)" in out
    assert "backend:     https://grading.example.com (from PHONEBENCH_BACKEND_URL)" in out


def test_a_bad_config_file_is_exit_4_with_the_line(capsys: pytest.CaptureFixture[str]) -> None:
    paths.config_path().parent.mkdir(parents=True, exist_ok=True)
    paths.config_path().write_text("backend:\n  url: nowhere\n")
    code, _, err = run(capsys, "config", "show")
    assert code == 4 and err == f"phonebench: {paths.config_path()}:2: backend.url: expected an http:// or https:// URL, got 'nowhere'\n"


def test_backend_enroll_and_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    station = Station(tmp_path / "st")
    db = tmp_path / "b.sqlite3"
    code, out, _ = run(capsys, "backend", "enroll", str(station.root / "pub.pem"), "--db", str(db))
    assert code == 0 and out == f"enrolled {station.key.keyid}\n"
    code, out, _ = run(capsys, "backend", "list", "--db", str(db), "--json")
    assert code == 0 and json.loads(out) == {"reports": []}


def test_backend_enroll_of_a_file_that_is_not_a_key_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "junk.pem").write_text("hello\n")
    done = run_backend_cli("enroll", str(tmp_path / "junk.pem"), "--db", str(tmp_path / "b.sqlite3"))
    assert done.returncode == 6 and done.stderr.startswith(f"phonebench backend: {tmp_path / 'junk.pem'}: not a PEM public key")
    assert "Traceback" not in done.stderr


def test_backend_serve_wants_cert_and_key_together(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "backend", "serve", "--port", "0", "--db", str(tmp_path / "b"), "--tls-cert", "c.pem")
    assert code == 2 and "--tls-cert and --tls-key go together" in err
