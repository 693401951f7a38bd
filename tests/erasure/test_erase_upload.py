"""A simulated phone's certificate, from its side record to the reference receiver: the outbox
commands with ``--record erasures-simulated``, ``erase --upload``, and ``backend list`` showing
what the certificate says. Real processes: usbmuxd simulator, pymobiledevice3, the receiver."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent import paths
from agent.cli.main import main
from agent.report.signing import StationKey
from agent.simulator.usbmuxd import UsbmuxdSimulator
from tests.erasure.conftest import UDID, erase, iphone
from tests.outbox.outbox_helpers import ReceiverProcess, run_backend_cli

SIDE = "erasures-simulated"


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[ReceiverProcess]:
    """A receiver that trusts this station's key and takes simulated phones' records."""
    pem = tmp_path / "station.pub.pem"
    pem.write_text(StationKey.load_or_create(paths.key_path()).public_pem())
    db = tmp_path / "backend.sqlite3"
    done = run_backend_cli("enroll", str(pem), "--db", str(db))
    assert done.returncode == 0, done.stderr
    proc = ReceiverProcess(db, "--accept-provenance", "simulated")
    yield proc
    proc.stop()


def outbox(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["outbox", *args])
    return code, capsys.readouterr().out


def test_the_outbox_commands_reach_the_simulated_certificates_and_the_receiver_lists_them(
        usbmuxd: UsbmuxdSimulator, receiver: ReceiverProcess, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    usbmuxd.plug(iphone(find_my=False))
    assert erase(capsys, "--udid", UDID, "--yes", "--simulated")[0] == 0
    code, out = outbox(capsys, "--json")
    assert code == 0 and json.loads(out)["reports"] == []  # the station's own outbox: none of this
    code, out = outbox(capsys, "--record", SIDE, "--json")
    assert code == 0 and json.loads(out)["counts"]["pending"] == 1
    code, out = outbox(capsys, "export", "--record", SIDE, str(tmp_path / "carry"))
    assert code == 0 and len(list((tmp_path / "carry").glob("*.dsse.json"))) == 1
    monkeypatch.setenv("PHONEBENCH_BACKEND_URL", receiver.url)
    code, out = outbox(capsys, "drain", "--record", SIDE)
    assert (code, out) == (0, "delivered 1, rejected 0, still pending 0\n")
    [row] = receiver.reports()
    assert row["kind"] == "erasure" and row["erasure"] == {"result": "erased", "method": "Purge", "serial": "****ASE1"}
    done = run_backend_cli("list", "--db", str(receiver.db))
    assert done.returncode == 0 and "erasure certificate: erased (Purge), serial ****ASE1" in done.stdout
    assert "F17ZK0ERASE1" not in done.stdout


def test_erase_upload_sends_a_simulated_phones_certificate_at_once(
        usbmuxd: UsbmuxdSimulator, receiver: ReceiverProcess, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHONEBENCH_BACKEND_URL", receiver.url)
    usbmuxd.plug(iphone(find_my=False))
    code, _, err = erase(capsys, "--udid", UDID, "--yes", "--simulated", "--upload")
    assert code == 0 and "upload: delivered 1, rejected 0, still pending 0" in err
    assert [r["kind"] for r in receiver.reports()] == ["erasure"]
