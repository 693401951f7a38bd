"""``phonebench label``: verified first, then written, or sent to the station's label printer."""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from agent import paths
from agent.cli.main import main
from agent.errors import ExitCode
from tests.label.conftest import FIXTURES, ROOT, payload_of
from tests.label.zpl_parse import labels, qr_data


def label(capsysbinary: pytest.CaptureFixture[bytes], *args: str) -> tuple[int, bytes, str]:
    """``phonebench label ARGS`` in process: (exit code, stdout bytes, stderr text)."""
    code = main(["label", *args])
    out, err = capsysbinary.readouterr()
    return code, out, err.decode()


def tamper(path: Path) -> None:
    """Change the signed payload (the grade) and keep the old signature."""
    envelope = json.loads(path.read_text())
    report = payload_of(path)
    report["grade"] = {"value": "A", "reasons": []}
    envelope["payload"] = base64.b64encode(json.dumps(report).encode()).decode()
    path.write_text(json.dumps(envelope))


def station_config(text: str) -> None:
    paths.config_path().parent.mkdir(parents=True, exist_ok=True)
    paths.config_path().write_text(text)


def test_zpl_for_a_report_goes_to_stdout(make_report, capsysbinary) -> None:
    saved = make_report()
    code, out, err = label(capsysbinary, str(saved.path))
    assert code == ExitCode.OK, err
    (one,) = labels(out.decode("ascii"))
    assert qr_data(one).startswith(f"phonebench:{saved.report['report_id']}:sha256:")


def test_a_folder_gives_one_label_per_report(make_report, capsysbinary, tmp_path) -> None:
    folder = tmp_path / "reports"
    for name in ("pixel-7.yaml", "moto-g7.yaml"):
        make_report(FIXTURES / "android" / name, folder)
    code, out, _ = label(capsysbinary, str(folder), "--size", "4x6")
    assert code == ExitCode.OK and len(labels(out.decode("ascii"))) == 2
    code, _, _ = label(capsysbinary, str(folder), "--format", "png", "-o", str(tmp_path / "png"))
    pngs = sorted((tmp_path / "png").glob("*.png"))
    assert code == ExitCode.OK and [p.stem for p in pngs] == [p.name.removesuffix(".dsse.json")
                                                              for p in sorted(folder.glob("*.dsse.json"))]
    for png, report in zip(pngs, sorted(folder.glob("*.dsse.json")), strict=True):
        (text,) = [c.text for c in zxingcpp.read_barcodes(Image.open(png), formats=zxingcpp.BarcodeFormat.QRCode)]
        assert text.split(":")[1] == payload_of(report)["report_id"]


def test_a_report_that_does_not_verify_gets_no_label(make_report, capsysbinary, tmp_path) -> None:
    folder = tmp_path / "reports"
    make_report(folder=folder)
    bad = make_report(FIXTURES / "android" / "moto-g7.yaml", folder).path
    tamper(bad)
    out_file = tmp_path / "labels.pdf"
    for args in ([str(bad)], [str(folder)], [str(folder), "--format", "pdf", "-o", str(out_file)]):
        code, out, err = label(capsysbinary, *args)
        assert code == ExitCode.VERIFY and out == b"" and not out_file.exists()
        assert err.count("\n") == 1 and bad.name in err


def test_a_report_signed_by_another_key_does_not_verify_against_pubkey(make_report, capsysbinary, tmp_path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    other = tmp_path / "other.pem"
    other.write_bytes(Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    code, out, _ = label(capsysbinary, str(make_report().path), "--pubkey", str(other))
    assert code == ExitCode.VERIFY and out == b""


def test_print_sends_the_zpl_to_the_tcp_printer(make_report, capsysbinary, tcp_printer) -> None:
    port, received = tcp_printer
    station_config(f'printer: {{tcp: "127.0.0.1:{port}"}}\n')
    saved = make_report()
    code, out, err = label(capsysbinary, str(saved.path), "--print")
    assert code == ExitCode.OK, err
    assert out == b""
    _, zpl, _ = label(capsysbinary, str(saved.path))
    assert received == [zpl]


def test_an_unreachable_printer_is_one_line_and_exit_printer(make_report, capsysbinary) -> None:
    with socket.socket() as probe:  # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    station_config(f'printer: {{tcp: "127.0.0.1:{port}"}}\n')
    code, _, err = label(capsysbinary, str(make_report().path), "--print")
    assert code == ExitCode.PRINTER and err.count("\n") == 1 and f"127.0.0.1:{port}" in err


def test_print_without_a_printer_in_the_config_is_a_config_error(make_report, capsysbinary) -> None:
    code, _, err = label(capsysbinary, str(make_report().path), "--print")
    assert code == ExitCode.CONFIG and "printer" in err


def fake_lp(folder: Path, exit_code: int = 0) -> Path:
    """An ``lp`` that records its arguments and standard input beside itself."""
    folder.mkdir()
    script = folder / "lp"
    script.write_text(f"""#!{sys.executable}
import json, sys
from pathlib import Path
here = Path(__file__).parent
(here / "args.json").write_text(json.dumps(sys.argv[1:]))
(here / "stdin.bin").write_bytes(sys.stdin.buffer.read())
if {exit_code}:
    print("lp: The printer or class does not exist.", file=sys.stderr)
sys.exit({exit_code})
""")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return folder


def test_print_through_cups_runs_lp_with_the_queue_and_the_zpl(make_report, capsysbinary, tmp_path, monkeypatch) -> None:
    bin_dir = fake_lp(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    station_config("printer:\n  cups: Zebra_GK420d\n")
    saved = make_report()
    code, _, err = label(capsysbinary, str(saved.path), "--print")
    assert code == ExitCode.OK, err
    assert json.loads((bin_dir / "args.json").read_text()) == ["-d", "Zebra_GK420d", "-o", "raw"]
    _, zpl, _ = label(capsysbinary, str(saved.path))
    assert (bin_dir / "stdin.bin").read_bytes() == zpl


def test_lp_refusing_the_job_is_exit_printer_with_its_reason(make_report, capsysbinary, tmp_path, monkeypatch) -> None:
    bin_dir = fake_lp(tmp_path / "bin", exit_code=1)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    station_config("printer:\n  cups: nosuchqueue\n")
    code, _, err = label(capsysbinary, str(make_report().path), "--print")
    assert code == ExitCode.PRINTER and "does not exist" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "what"),
    [
        (["--format", "pdf", "--print"], "--print sends ZPL"),
        (["--print", "-o", "x.zpl"], "--print and -o"),
    ],
)
def test_options_that_cannot_work_are_usage_errors(make_report, capsysbinary, args: list[str], what: str) -> None:
    code, _, err = label(capsysbinary, str(make_report().path), *args)
    assert code == ExitCode.USAGE and what in err


def test_the_command_end_to_end_from_run_to_pdf(tmp_path: Path) -> None:
    """Real processes: ``run --fixture --out`` then ``label DIR --format pdf -o FILE``."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), HOME=str(tmp_path),
               XDG_CONFIG_HOME=str(tmp_path / ".config"), XDG_DATA_HOME=str(tmp_path / ".data"))

    def phonebench(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "agent", *args], capture_output=True, text=True,
                              timeout=300, cwd=ROOT, env=env)

    out = tmp_path / "out"
    assert phonebench("run", "--fixture", str(FIXTURES / "ios"), "--out", str(out), "-q").returncode == 0
    pdf = tmp_path / "labels.pdf"
    done = phonebench("label", str(out), "--format", "pdf", "-o", str(pdf))
    assert done.returncode == 0, done.stderr
    count = len(list(out.glob("*.dsse.json")))
    assert count >= 2 and len(re.findall(rb"/Type\s*/Page(?!s)", pdf.read_bytes())) == count
