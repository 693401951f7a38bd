"""``phonebench label``: a bag or tray label for a signed report, or one for each in a folder.

Every report is verified against the station key (or ``--pubkey``) before anything is
written: if one does not verify, no label at all is made (exit 7), so a label in a tray always
stands for a report a backend will accept. ZPL goes to a thermal printer (``--print``, through
the station config's ``printer:``) or to stdout / ``-o FILE``; PDF is one page a label; PNG is
one file a label, into ``-o DIR`` for a folder.

Erasure certificates are not labelled on their own: a verified certificate that says
``erased`` for a report's phone (in the folder, or given with ``--erasure``) adds a
"Data erased" line to that report's label. A certificate given with ``--erasure`` that adds no
line says why on stderr: one that does not say ``erased`` (``not_verified``, ``failed``) or
that is older than the report is skipped (exit 0); one of another phone (no report here has
its serial) is refused, exit 2 (USAGE), nothing printed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from agent.cli.common import info
from agent.errors import ConfigError, ExitCode, UsageError

if TYPE_CHECKING:  # the renderers (segno, fpdf2, Pillow) load only when a label is made
    from agent.report.label import Layout
    from agent.report.verify import VerifiedReport

FORMATS = ("zpl", "pdf", "png")
#: label stocks, as agent.report.label.SIZES names them
SIZES = ("2x1", "4x6")
_SUFFIX = ".dsse.json"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("label", help="a bag or tray label (ZPL, PDF or PNG) for a signed report, or each in a folder")
    p.add_argument("path", type=Path, metavar="REPORT|DIR")
    p.add_argument("--format", choices=FORMATS, default="zpl", help="zpl for thermal printers (default), pdf or png")
    p.add_argument("--size", choices=SIZES, default="2x1", help="label size in inches (default 2x1)")
    p.add_argument("-o", "--output", type=Path, metavar="FILE|DIR",
                   help="write here instead of stdout (a folder for png labels of a folder)")
    p.add_argument("--print", dest="send", action="store_true", help="send the ZPL to the station config's printer")
    p.add_argument("--pubkey", type=Path, metavar="FILE", help="verify against this public key (PEM)")
    p.add_argument("--erasure", type=Path, action="append", default=[], metavar="CERT",
                   help="an erasure certificate (.dsse.json) whose 'data erased' line goes on its phone's label")
    p.set_defaults(func=cmd_label)


def cmd_label(args: argparse.Namespace) -> int:
    _check_options(args)
    from agent.report.label import SIZES as STOCKS
    from agent.report.label import erasure_for, label_fields, layout
    from agent.report.signing import is_certificate

    given = [v for f in args.erasure for v in _verified(f, args.pubkey)]
    verified = _verified(args.path, args.pubkey) + given
    reports = [v for v in verified if not is_certificate(v.report)]
    certificates = [v.report for v in verified if is_certificate(v.report)]
    if not reports:
        raise UsageError(f"{args.path}: only erasure certificates here; label the phone's report (--erasure CERT adds the line)")
    for cert in given:
        _check_given(args, cert, [r.report for r in reports])
    layouts = [layout(label_fields(r.report, erasure_for(r.report, certificates)), STOCKS[args.size]) for r in reports]
    if args.send:
        _print(layouts)
    elif args.format == "png":
        _write_png(args, reports, layouts)
    else:
        _emit(args.output, _zpl(layouts) if args.format == "zpl" else _pdf(layouts))
    info(args, f"{len(layouts)} label(s), {args.format} {args.size}")
    return ExitCode.OK


def _check_given(args: argparse.Namespace, cert: VerifiedReport, reports: list[dict]) -> None:
    """Say why a certificate given with ``--erasure`` adds no line; UsageError for another phone's."""
    from agent.report.signing import is_certificate
    from agent.text import printable

    doc = cert.report
    if not is_certificate(doc):
        raise UsageError(f"{cert.path}: --erasure takes an erasure certificate; this is a diagnostics report")
    serial = (doc.get("device") or {}).get("serial")
    mine = [r for r in reports if serial and (r.get("device") or {}).get("serial") == serial]
    if not mine:
        raise UsageError(f"{cert.path}: the erasure certificate of another phone (serial {printable(serial)}); "
                         "no report here is of that phone, so no label gets its line")
    if doc.get("result") != "erased":
        info(args, f"{cert.path}: the certificate says {printable(doc.get('result'))}, not erased: "
                   "no Data erased line")
    elif all(str(doc.get("finished_at", "")) < str(r.get("finished_at", "")) for r in mine):
        info(args, f"{cert.path}: the erase came before the report (a later report supersedes it): "
                   "no Data erased line")


def _check_options(args: argparse.Namespace) -> None:
    """Refuse what cannot work before verifying anything: one-line usage errors."""
    if not args.path.exists():
        raise UsageError(f"{args.path}: no such file or folder")
    if args.send and args.format != "zpl":
        raise UsageError("--print sends ZPL to a label printer: leave out --format or give --format zpl")
    if args.send and args.output is not None:
        raise UsageError("--print and -o: give one")
    if args.format == "png" and args.path.is_dir() and args.output is None:
        raise UsageError("png labels for a folder are one file each: give -o DIR")
    if args.format != "zpl" and args.output is None and not args.send and sys.stdout.isatty():
        raise UsageError(f"{args.format} is binary: give -o FILE or redirect stdout")


def _verified(path: Path, pubkey: Path | None) -> list[VerifiedReport]:
    """Every report under ``path``, verified; the first that does not verify raises (exit 7)."""
    from agent.report.verify import trusted_key, verify_file

    pem = None
    if pubkey is not None:
        try:
            pem = pubkey.read_bytes()
        except OSError as e:
            raise UsageError(f"{pubkey}: cannot read public key: {e.strerror or e}") from e
    key = trusted_key(pem)
    files = sorted(path.glob(f"*{_SUFFIX}")) if path.is_dir() else [path]
    if not files:
        raise UsageError(f"{path}: no *{_SUFFIX} reports in this folder")
    return [verify_file(f, key) for f in files]


def _zpl(layouts: list[Layout]) -> bytes:
    from agent.delivery.labels import zpl_bytes

    return zpl_bytes(layouts)


def _pdf(layouts: list[Layout]) -> bytes:
    from agent.report.label_image import pdf_labels

    return pdf_labels(layouts)


def _print(layouts: list[Layout]) -> None:
    from agent.config import load_config
    from agent.delivery.printer import send_labels

    config = load_config()
    if config.printer is None:
        raise ConfigError(f"no label printer in the station config {config.path}: "
                          'add printer: {tcp: "host:9100"} or printer: {cups: QUEUE}')
    send_labels(_zpl(layouts), config.printer)


def _write_png(args: argparse.Namespace, reports: list[VerifiedReport], layouts: list[Layout]) -> None:
    """One report: stdout or ``-o FILE``. A folder: ``-o DIR/<report file's name>.png`` each."""
    from agent.report.label_image import png_label

    if not args.path.is_dir():
        _emit(args.output, png_label(layouts[0]))
        return
    folder: Path = args.output
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"{folder}: cannot make the folder ({e.strerror or e})") from e
    for report, lay in zip(reports, layouts, strict=True):
        _emit(folder / (report.path.name.removesuffix(_SUFFIX) + ".png"), png_label(lay))


def _emit(output: Path | None, data: bytes) -> None:
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    from agent.files import write_atomic

    try:
        write_atomic(output, data)
    except OSError as e:
        raise UsageError(f"{output}: cannot write ({e.strerror or e})") from e
