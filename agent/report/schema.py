"""The report contract as code: load the schema, validate a report.

``phonebench.report/2`` is what stations write (v2 added ``session.provenance`` and
``session.transport_id``); ``phonebench.report/1`` reports, written before, still verify.
``phonebench.erasure/1`` is the erasure certificate, a document of its own payloadType in
the same chain.

The schema file ships inside the package (``agent/report/``) so a verifier installed from a
wheel checks exactly what a station signed. Validation errors come back as one line that
names the place in the report, because the person reading them is at a terminal, not in a
debugger.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from agent.errors import VerificationError
from agent.text import inert

SCHEMA_ID = "phonebench.report/2"
#: every report schema a verifier accepts, by the id a report names in ``schema``
SCHEMA_FILES = {
    "phonebench.report/1": "report-1.schema.json",
    "phonebench.report/2": "report-2.schema.json",
    "phonebench.erasure/1": "erasure-1.schema.json",
}
#: the erasure certificate's contract (agent/erasure/certificate.py builds it)
ERASURE_SCHEMA_ID = "phonebench.erasure/1"
_REPORT_SCHEMAS = ("phonebench.report/1", "phonebench.report/2")
_MAX_MESSAGE = 200


def load_schema(schema_id: str = SCHEMA_ID) -> dict:
    """A fresh copy of a report schema (callers may change it without harming others)."""
    text = resources.files("agent.report").joinpath(SCHEMA_FILES[schema_id]).read_text(encoding="utf-8")
    return json.loads(text)


@lru_cache(maxsize=len(SCHEMA_FILES))
def _validator(schema_id: str) -> Draft202012Validator:
    schema = load_schema(schema_id)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def validate_report(doc: Any) -> None:
    """Raise VerificationError naming the first place where ``doc`` breaks the contract
    it names (``schema``: v2, or v1 for reports written before it)."""
    named = doc.get("schema") if isinstance(doc, dict) else None
    schema_id = named if isinstance(named, str) and named in _REPORT_SCHEMAS else SCHEMA_ID
    _validate(schema_id, doc, "report")


def validate_certificate(doc: Any) -> None:
    """Raise VerificationError naming the first place where ``doc`` breaks the erasure
    certificate's contract (``phonebench.erasure/1``)."""
    _validate(ERASURE_SCHEMA_ID, doc, "certificate")


def _validate(schema_id: str, doc: Any, what: str) -> None:
    error = best_match(_validator(schema_id).iter_errors(doc))
    if error is not None:
        raise VerificationError(f"{what}: {describe_error(error)}")


def describe_error(error: ValidationError) -> str:
    """``checks[2].metrics.x: 'reason' is a required property``, on one line and short."""
    where = json_path(error.absolute_path)
    message = error.message if len(error.message) <= _MAX_MESSAGE else error.message[: _MAX_MESSAGE - 3] + "..."
    line = f"{where}: {message}" if where else message
    # metric names and values come from phones: keep the line one line, and inert on a terminal
    return inert(" ".join(line.split()))


def json_path(parts: Any) -> str:
    """``["checks", 2, "metrics", "x"]`` -> ``checks[2].metrics.x``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
