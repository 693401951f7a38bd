"""Who signs an erasure certificate: the station config's ``operator``, else the name the
technician gave at the shift's first erase, kept for ``shift_hours`` (config, default 8).

    resolve_operator(given, config_operator, store) -> Signer | None   None: ask, then store.remember(name)

The name is kept in the station's state dir (``operator.json``: the name and when it was
given, UTC). A file that is missing, unreadable, malformed or older than the shift is no
name at all: the next erase asks again; it never stops an erase. A name given (``--operator``,
typed at the prompt) follows the station config's rule (``check_name``): a name with control
characters (a newline, an escape sequence) or longer than ``MAX_OPERATOR`` characters is
refused with a one-line error, never silently changed. A stored name is made inert and capped.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from agent import paths
from agent.config import MAX_OPERATOR
from agent.jsonfile import load_json
from agent.text import inert, printable

log = logging.getLogger(__name__)

SHIFT_FILE = "operator.json"
#: why a certificate names no operator: the erase ran without a person to ask
NOBODY_ASKED = "no operator: none in the station config or --operator, and nobody to ask (--yes, or no terminal)"
#: the same, said of the run it was: --yes, or answers read from a stdin that is not a terminal
NOBODY_ASKED_YES = "no operator: none in the station config or --operator, and --yes asks nobody"
NOT_ASKED_NO_TERMINAL = ("no operator: none in the station config or --operator, and stdin is not a terminal "
                         "(the name is asked only on one)")
NOT_GIVEN = "no operator: the technician gave no name"
NOT_GIVEN_EOF = "no operator: no name given (end of input)"


def check_name(text: str, where: str = "--operator") -> str:
    """``text`` stripped, as a certificate carries it; ValueError with a one-line reason when
    it holds control characters (a newline, an escape sequence), is empty, or is longer than
    MAX_OPERATOR characters. The same rule as the station config's ``operator``."""
    name = text.strip()
    if not name:
        raise ValueError(f"{where}: no name given")
    if not name.isprintable():
        raise ValueError(f"{where}: control characters in the name '{printable(name[:MAX_OPERATOR])}'")
    if len(name) > MAX_OPERATOR:
        raise ValueError(f"{where}: a name of {len(name)} characters; at most {MAX_OPERATOR}")
    return name


@dataclass(frozen=True)
class Signer:
    """The operator on a certificate: ``name`` None only with a ``reason``; ``source`` is
    option, config, shift (remembered) or asked."""

    name: str | None
    source: str
    reason: str | None = None


def clean_name(text: object) -> str | None:
    """A typed name as a certificate may carry it, or None when it is not text or nothing
    printable is left."""
    if not isinstance(text, str):
        return None
    name = inert(text.strip())[:MAX_OPERATOR].strip()
    return name or None


class ShiftStore:
    """The name given at this shift's first erase. ``clock`` gives seconds since the epoch."""

    def __init__(self, shift_hours: float = 8.0, path: Path | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.shift_s = shift_hours * 3600.0
        self.path = path or paths.state_dir() / SHIFT_FILE
        self.clock = clock

    def current(self) -> str | None:
        """The name still within its shift, else None (and why, in the log)."""
        try:
            doc = load_json(self.path.read_bytes())
            name, since = clean_name(doc["operator"]), float(doc["since_epoch"])
            if not math.isfinite(since):
                raise ValueError("since_epoch is not a finite number")
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError, KeyError, OverflowError, RecursionError) as e:
            log.warning("%s: not a shift's operator (%s); asking again", self.path, type(e).__name__)
            return None
        age = self.clock() - since
        return name if 0 <= age < self.shift_s else None

    def remember(self, name: str) -> None:
        """Keep ``name`` for the shift; a state dir that cannot be written only means asking again."""
        doc = {"operator": name, "since_epoch": self.clock(),
               "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.clock()))}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            partial = self.path.with_suffix(".partial")
            partial.write_text(json.dumps(doc), encoding="utf-8")
            os.replace(partial, self.path)
        except OSError as e:
            log.warning("%s: cannot keep the shift's operator (%s)", self.path, e.strerror or e)


def resolve_operator(given: str | None, config_operator: str | None, store: ShiftStore) -> Signer | None:
    """The signer without asking anyone: ``--operator``, then the config, then this shift's
    name; None when the technician must be asked."""
    for name, source in ((given, "option"), (config_operator, "config")):
        if clean_name(name):
            return Signer(clean_name(name), source)
    stored = store.current()  # read (and warned about) only when nobody else names the operator
    return Signer(clean_name(stored), "shift") if clean_name(stored) else None
