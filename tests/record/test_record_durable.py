"""What is signed is kept and queued, whatever dies when: real processes, real files, real SQLite."""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PIXEL = ROOT / "fixtures" / "android" / "pixel-7.yaml"
#: SIGKILLs of `phonebench run` (30 before, but most of the 15 at a random moment came after the run had ended)
KILLS = 20


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH")))))
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".data"))
    return env


def phonebench(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "agent", *args], capture_output=True, text=True, timeout=120,
                          env=_env(home), cwd=ROOT)


def _queued(outbox: Path) -> set[str]:
    with sqlite3.connect(outbox) as db:
        return {row[0] for row in db.execute("SELECT report_id FROM reports")}


def _on_disk(folder: Path) -> set[str]:
    return {p.name.split("-", 1)[1].removesuffix(".dsse.json") for p in folder.glob("*.dsse.json")}


def _run(home: Path, copies: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "agent", "run", "--fixture", str(PIXEL), "--upload", "-q",
                             "--out", str(copies)],
                            env=_env(home), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _kill_when(proc: subprocess.Popen[str], folder: Path, before: int, at_file: bool, at_s: float) -> None:
    """SIGKILL ``proc`` right after a new report file appears (``at_file``), else ``at_s`` after its start."""
    deadline = time.monotonic() + at_s
    while time.monotonic() < deadline and proc.poll() is None:
        if at_file and len(list(folder.glob("*.dsse.json"))) > before:
            break
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)


def test_twenty_sigkills_lose_no_signed_report(tmp_path: Path) -> None:
    """Half the kills land right after a report's file appears; the others at moments spread
    over the life of a run that was not killed (one in each tenth of it, at random within it),
    from the interpreter's start through the session, the signing and the writes."""
    random.seed(7)
    folder, outbox = tmp_path / ".data" / "phonebench" / "replays", tmp_path / ".data" / "phonebench" / "replays" / "outbox.sqlite3"
    copies = tmp_path / "copies"  # --out: a copy of each report, with no gap whatever dies when
    assert phonebench(tmp_path, "keys", "show").returncode == 0  # the key exists before the first kill
    started = time.monotonic()
    assert _run(tmp_path, copies).wait(timeout=120) == 0  # how long a whole run lives on this machine now
    life_s = time.monotonic() - started
    moments = [life_s * (k + random.random()) / (KILLS // 2) for k in range(KILLS // 2)]
    random.shuffle(moments)
    for n in range(KILLS):
        before = len(list(folder.glob("*.dsse.json")))
        at_file = n % 2 == 0
        _kill_when(_run(tmp_path, copies), folder, before, at_file, at_s=60.0 if at_file else moments.pop())
        if (folder / "outbox.sqlite3").exists():  # no command has mended anything yet
            assert _on_disk(folder) <= _queued(outbox), f"kill {n}: a signed report on disk is not queued"
    # any phonebench command that opens the record mends the rest: here, one more run
    last = phonebench(tmp_path, "run", "--fixture", str(PIXEL), "-q", "--out", str(copies))
    assert last.returncode == 0, last.stderr
    assert _on_disk(folder) <= _queued(outbox)
    verified = phonebench(tmp_path, "verify", str(folder))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "chain: ok" in verified.stdout
    copied = phonebench(tmp_path, "verify", str(copies))
    assert copied.returncode == 0 and "chain: ok" in copied.stdout, copied.stdout + copied.stderr


def test_a_row_whose_file_is_gone_is_written_again_from_the_row(tmp_path: Path) -> None:
    assert phonebench(tmp_path, "run", "--fixture", str(PIXEL), "-q").returncode == 0
    folder = tmp_path / ".data" / "phonebench" / "replays"
    (only,) = folder.glob("*.dsse.json")
    kept = only.read_bytes()
    only.unlink()
    assert phonebench(tmp_path, "run", "--fixture", str(PIXEL), "-q").returncode == 0
    assert only.read_bytes() == kept
    assert phonebench(tmp_path, "verify", str(folder)).returncode == 0


def test_deleting_the_newest_report_fails_verify(tmp_path: Path) -> None:
    for _ in range(3):
        assert phonebench(tmp_path, "run", "--fixture", str(PIXEL), "-q").returncode == 0
    folder = tmp_path / ".data" / "phonebench" / "replays"
    assert phonebench(tmp_path, "verify", str(folder)).returncode == 0
    max(folder.glob("*.dsse.json")).unlink()
    result = phonebench(tmp_path, "verify", str(folder))
    assert result.returncode == 7
    assert "sequence 3 is missing" in result.stdout + result.stderr


@pytest.mark.parametrize("damage", [b"", b"this is not a database" * 100])
def test_a_corrupt_or_truncated_outbox_is_exit_8_naming_rebuild_and_rebuild_loses_nothing(tmp_path: Path, damage: bytes) -> None:
    assert phonebench(tmp_path, "run", "--fixture", str(PIXEL), "-q").returncode == 0
    data = tmp_path / ".data" / "phonebench"
    outbox = data / "replays" / "outbox.sqlite3"
    outbox.write_bytes(damage)
    result = phonebench(tmp_path, "run", "--fixture", str(PIXEL), "-q")
    assert result.returncode == 8
    (line,) = [x for x in result.stderr.splitlines() if x.startswith("phonebench:")]
    assert str(outbox) in line and "phonebench outbox rebuild" in line
    assert outbox.read_bytes() == damage  # never silently replaced


def test_outbox_rebuild_sets_the_broken_file_aside_and_queues_every_report_again(tmp_path: Path) -> None:
    data = tmp_path / ".data" / "phonebench"
    assert phonebench(tmp_path, "keys", "show").returncode == 0
    # the station's own record, as a live bench fills it: made here through the ledger itself
    code = (
        "from agent.delivery.ledger import station_ledger\n"
        "from agent.delivery.outbox import Outbox\n"
        "from agent.report.signing import StationKey\n"
        "from agent import paths\n"
        "from tests.signing.signing_helpers import sample_report\n"
        "ledger = station_ledger(StationKey.load(paths.key_path()), Outbox())\n"
        "for _ in range(3):\n"
        "    r = sample_report(); r['station']['key_id'] = None; ledger.save(r)\n"
    )
    made = subprocess.run([sys.executable, "-c", code], env=_env(tmp_path), cwd=ROOT, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    outbox = data / "outbox.sqlite3"
    ids = _queued(outbox)
    assert len(ids) == 3
    outbox.write_bytes(b"garbage" * 50)
    listing = phonebench(tmp_path, "outbox")
    assert listing.returncode == 8 and "outbox rebuild" in listing.stderr
    rebuilt = phonebench(tmp_path, "outbox", "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert _queued(outbox) == ids
    assert list(data.glob("outbox.sqlite3.broken-*"))


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs util-linux unshare for a private tmpfs")
def test_a_full_disk_is_exit_8_and_loses_nothing(tmp_path: Path) -> None:
    assert phonebench(tmp_path, "run", "--fixture", str(PIXEL), "-q").returncode == 0
    data = tmp_path / ".data" / "phonebench"
    copy = tmp_path / "saved"
    shutil.copytree(data, copy)
    script = (
        f'mount -t tmpfs -o size=256k tmpfs "{data}" && cp -a "{copy}/." "{data}/" && '
        f'head -c 10000000 /dev/zero > "{data}/filler" 2>/dev/null; '
        f'"{sys.executable}" -m agent run --fixture "{PIXEL}" -q; echo "exit=$?"; '
        f'rm -f "{data}/filler"; "{sys.executable}" -m agent verify "{data}/replays"; echo "verify=$?"'
    )
    result = subprocess.run(["unshare", "-rm", "sh", "-c", script], env=_env(tmp_path), cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert "exit=8" in result.stdout, result.stdout + result.stderr
    errors = [x for x in result.stderr.splitlines() if x.startswith("phonebench:")]
    assert len(errors) == 1, result.stderr
    assert "disk full" in errors[0] or "No space left" in errors[0], errors[0]
    assert "verify=0" in result.stdout, result.stdout + result.stderr


def test_upload_without_a_backend_says_so_and_keeps_the_replays_queued(tmp_path: Path) -> None:
    result = phonebench(tmp_path, "run", "--fixture", str(PIXEL), "--upload")
    assert result.returncode == 0, result.stderr
    (line,) = [x for x in result.stderr.splitlines() if x.startswith("upload:")]
    assert "backend" in line
    outbox = tmp_path / ".data" / "phonebench" / "replays" / "outbox.sqlite3"
    assert len(_queued(outbox)) == 1
    assert not (tmp_path / ".data" / "phonebench" / "outbox.sqlite3").exists()


def test_a_side_records_broken_outbox_names_its_own_rebuild_and_that_rebuild_loses_nothing(tmp_path: Path) -> None:
    for _ in range(2):
        assert phonebench(tmp_path, "run", "--fixture", str(PIXEL), "-q").returncode == 0
    outbox = tmp_path / ".data" / "phonebench" / "replays" / "outbox.sqlite3"
    ids = _queued(outbox)
    outbox.write_bytes(b"")
    failed = phonebench(tmp_path, "run", "--fixture", str(PIXEL), "-q")
    assert failed.returncode == 8 and "outbox rebuild --record replays" in failed.stderr
    rebuilt = phonebench(tmp_path, "outbox", "rebuild", "--record", "replays")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert _queued(outbox) == ids
    assert phonebench(tmp_path, "run", "--fixture", str(PIXEL), "-q").returncode == 0


def test_an_outbox_that_refuses_the_row_is_exit_8_and_leaves_no_unqueued_report(tmp_path: Path) -> None:
    assert phonebench(tmp_path, "run", "--fixture", str(PIXEL), "-q").returncode == 0
    folder = tmp_path / ".data" / "phonebench" / "replays"
    with sqlite3.connect(folder / "outbox.sqlite3") as db:  # as a full disk would refuse the insert
        db.execute("CREATE TRIGGER full BEFORE INSERT ON reports BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")
    result = phonebench(tmp_path, "run", "--fixture", str(PIXEL), "-q")
    assert result.returncode == 8, result.stderr
    assert len(list(folder.glob("*.dsse.json"))) == 1  # the refused report was never written
    assert _on_disk(folder) <= _queued(folder / "outbox.sqlite3")


def test_a_listing_works_on_a_read_only_data_folder(tmp_path: Path) -> None:
    if shutil.which("unshare") is None:
        pytest.skip("needs util-linux unshare for a private read-only mount")
    code = (
        "from agent.delivery.ledger import station_ledger\n"
        "from agent.delivery.outbox import Outbox\n"
        "from agent.report.signing import StationKey\n"
        "from agent import paths\n"
        "from tests.signing.signing_helpers import sample_report\n"
        "ledger = station_ledger(StationKey.load_or_create(paths.key_path()), Outbox())\n"
        "r = sample_report(); r['station']['key_id'] = None; ledger.save(r)\n"
    )
    made = subprocess.run([sys.executable, "-c", code], env=_env(tmp_path), cwd=ROOT, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    data = tmp_path / ".data" / "phonebench"
    script = (f'mount --bind "{data}" "{data}" && mount -o remount,bind,ro "{data}" && '
              f'! touch "{data}/probe" 2>/dev/null && "{sys.executable}" -m agent outbox --json')
    result = subprocess.run(["unshare", "-rm", "sh", "-c", script], env=_env(tmp_path), cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert '"pending": 1' in result.stdout
