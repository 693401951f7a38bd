"""Sending labels (ZPL) to the label printer the station config names.

Two ways a bench reaches a thermal printer: straight to its raw TCP port (9100, "JetDirect"),
or through a CUPS queue with ``lp -d QUEUE -o raw`` so CUPS passes the ZPL through untouched.
Either way the bytes are ours (``label_zpl`` escaped every phone string); the queue name is
from the config, checked at load, and goes to ``lp`` as one argument, never through a shell.
A printer that cannot be reached is a PrinterError naming it, never a traceback.
"""

from __future__ import annotations

import socket
import subprocess

from agent.config import Printer
from agent.errors import PrinterError
from agent.text import inert

#: seconds to connect and to hand over a job: a printer on the bench's network answers in far less
TIMEOUT_S = 10.0


def send_labels(data: bytes, printer: Printer, timeout_s: float = TIMEOUT_S) -> None:
    """Send ``data`` (one or more ZPL labels) to ``printer`` as one job."""
    if printer.kind == "tcp":
        assert printer.host is not None and printer.port is not None
        _send_tcp(data, printer.host, printer.port, timeout_s)
    else:
        assert printer.queue is not None
        _send_lp(data, printer.queue, timeout_s)


def _send_tcp(data: bytes, host: str, port: int, timeout_s: float) -> None:
    """Connect, send everything, close our side: the printer prints what it got at the close."""
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        with socket.create_connection((host, port), timeout=timeout_s) as conn:
            conn.sendall(data)
            conn.shutdown(socket.SHUT_WR)
    except OSError as e:
        raise PrinterError(f"printer {where}: cannot send the label ({e.strerror or e})") from e


def _send_lp(data: bytes, queue: str, timeout_s: float) -> None:
    command = ["lp", "-d", queue, "-o", "raw"]
    try:
        done = subprocess.run(command, input=data, capture_output=True, timeout=timeout_s, check=False)
    except FileNotFoundError as e:
        raise PrinterError(f"printer queue {queue}: no lp command (install the CUPS client)") from e
    except (OSError, subprocess.TimeoutExpired) as e:
        raise PrinterError(f"printer queue {queue}: lp failed ({e})") from e
    if done.returncode != 0:
        why = inert(done.stderr.decode("utf-8", "replace").strip().splitlines()[0] if done.stderr.strip() else "")
        raise PrinterError(f"printer queue {queue}: lp exited {done.returncode}{': ' + why if why else ''}")
