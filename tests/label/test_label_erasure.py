"""The "Data erased" line on each label stock and format, and what ``label --erasure CERT``
says when a certificate adds no line (another phone's, one that is not ``erased``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agent import paths
from agent.cli.main import main
from agent.errors import ExitCode
from agent.report.chain import ReportStore
from agent.report.label import SIZES, _chars, erased_line, label_fields, layout
from agent.report.signing import ERASURE_PAYLOAD_TYPE, StationKey
from tests.erasure.test_certificate import certificate
from tests.label.zpl_parse import labels, texts


def signed_certificate(folder: Path, serial: str, result: str = "passed") -> Path:
    """A certificate of ``serial``, signed by the station key, finished now (after the report)."""
    key = StationKey.load_or_create(paths.key_path())
    cert = certificate(key, result)
    cert["device"]["serial"] = serial
    return ReportStore(folder, folder / "chain.json").commit(cert, key, ERASURE_PAYLOAD_TYPE).path


def run(capsysbinary: pytest.CaptureFixture[bytes], *args: str) -> tuple[int, bytes, str]:
    code = main(["label", *args])
    out, err = capsysbinary.readouterr()
    return code, out, err.decode()


@pytest.mark.parametrize("size", sorted(SIZES))
def test_the_erased_line_keeps_its_method_and_whole_date_on_every_stock(
        make_report: Any, capsysbinary: pytest.CaptureFixture[bytes], tmp_path: Path, size: str) -> None:
    saved = make_report()
    cert = signed_certificate(tmp_path / "certs", saved.report["device"]["serial"])
    code, out, err = run(capsysbinary, str(saved.path), "--erasure", str(cert), "--size", size)
    assert code == ExitCode.OK, err
    (one,) = labels(out.decode("ascii"))
    shown = texts(one)
    line = erased_line(certificate(StationKey.load_or_create(paths.key_path())))
    assert line is not None and line.startswith("Data erased (Purge) 20")
    date = line.rsplit(" ", 1)[1]
    assert " ".join(t for t in shown if t.startswith("Data erased") or t == date) == line  # whole: nothing cut
    fields = label_fields(saved.report, certificate(StationKey.load_or_create(paths.key_path())))
    placed = layout(fields, SIZES[size])  # what PDF and PNG draw too
    width = SIZES[size].width - SIZES[size].margin - placed.lines[0].x
    erased = [t for t in placed.lines if t.text.startswith("Data erased") or t.text == date]
    assert all(len(t.text) <= _chars(width, t.height) and not t.text.endswith(".") for t in erased)
    for fmt in ("png", "pdf"):
        target = tmp_path / f"label-{size}.{fmt}"
        code, _, err = run(capsysbinary, str(saved.path), "--erasure", str(cert), "--size", size,
                           "--format", fmt, "-o", str(target))
        assert code == ExitCode.OK and target.stat().st_size > 0, err


def test_a_certificate_that_is_not_erased_adds_no_line_and_says_why(
        make_report: Any, capsysbinary: pytest.CaptureFixture[bytes], tmp_path: Path) -> None:
    saved = make_report()
    cert = signed_certificate(tmp_path / "certs", saved.report["device"]["serial"], "not_verified")
    code, out, err = run(capsysbinary, str(saved.path), "--erasure", str(cert))
    assert code == ExitCode.OK and "says not_verified, not erased" in err
    assert not any(t.startswith("Data erased") for t in texts(labels(out.decode("ascii"))[0]))


def test_another_phones_certificate_is_refused(
        make_report: Any, capsysbinary: pytest.CaptureFixture[bytes], tmp_path: Path) -> None:
    saved = make_report()
    cert = signed_certificate(tmp_path / "certs", "SOMEONEELSE1")
    code, out, err = run(capsysbinary, str(saved.path), "--erasure", str(cert))
    assert code == ExitCode.USAGE and out == b"" and "another phone" in err and len(err.splitlines()) == 1
