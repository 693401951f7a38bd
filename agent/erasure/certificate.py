"""The erasure certificate (schema ``phonebench.erasure/1``, agent/report/erasure-1.schema.json).

Its fields follow NIST SP 800-88 Rev. 1, section 4.8 and the sample certificate of
Appendix G: manufacturer, model, serial number and IMEI; media type; sanitization method
(Clear, Purge) and technique; the tool and its version; verification method and result;
date and time; who did it (station and operator). The certificate says ``erased`` only
when verification passed: an erase that could not be verified (the phone never came back,
it was unplugged during the checks) is ``not_verified``, one whose checks failed ``failed``.
A verification that did not finish (the erase was interrupted, the phone did not come back or
could not be read) names in ``verification.method`` only the checks that ran
(``unfinished_verification``): null, with ``method_reason``, when none did.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple

from agent import __version__
from agent.jsonfile import load_json
from agent.links.base import Provenance
from agent.report.build import utc_now

VerificationResult = Literal["passed", "failed", "not_verified"]
MEDIA = {"type": "flash", "description": "the phone's built-in NAND flash storage (not removable)"}
INTERRUPTED_UNCHECKED = "the erase was interrupted before any verification check ran"


@dataclass(frozen=True)
class ErasedDevice:
    """What names the phone on the record; ``None`` where the phone did not say."""

    platform: str
    manufacturer: str | None
    model: str | None
    serial: str | None
    imei: str | None
    os_version: str | None
    #: why ``imei`` is None (a phone without a modem, one that would not say): on the record
    imei_reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        doc = dict(self.__dict__)
        if self.imei is not None or self.imei_reason is None:
            doc.pop("imei_reason")
        return doc


@dataclass(frozen=True)
class Sanitization:
    """How the phone was sanitized, in 800-88 terms (``method``: clear or purge) and why
    that method applies (``reason``); ``command`` is what was sent to the phone."""

    method: Literal["clear", "purge"]
    technique: str
    reason: str
    tool: str
    tool_version: str | None
    command: str
    options: dict[str, Any] = field(default_factory=dict)
    forced: bool = False
    forced_reason: str | None = None
    #: why ``tool_version`` is None
    tool_version_reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        tool: dict[str, Any] = {"name": self.tool, "version": self.tool_version}
        if self.tool_version is None and self.tool_version_reason:
            tool["version_reason"] = self.tool_version_reason
        doc = {
            "method": self.method, "technique": self.technique, "reason": self.reason,
            "tool": tool,
            "command": self.command, "options": dict(self.options), "forced": self.forced,
        }
        return doc | ({"forced_reason": self.forced_reason} if self.forced else {})


@dataclass(frozen=True)
class Verification:
    """What was checked after the erase, by whom, and what was found (one line per finding)."""

    method: str | None
    result: VerificationResult
    findings: tuple[str, ...] = ()
    by: Literal["agent", "technician"] = "agent"
    technician_answer: str | None = None
    #: why ``method`` is None (nothing was checked)
    method_reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"method": self.method, "by": self.by, "result": self.result,
                               "findings": [f[:512] for f in self.findings[:32]]}
        if self.method is None:
            doc["method_reason"] = (self.method_reason or "no verification check ran")[:512]
        return doc | ({"technician_answer": self.technician_answer} if self.by == "technician" else {})


class Checked(NamedTuple):
    """One verification check that ran: its part of the method (what was asked and what a
    fresh phone answers), whether the phone passed it, and the finding line."""

    part: str
    ok: bool
    line: str


def check_findings(checked: Sequence[Checked]) -> tuple[str, ...]:
    return tuple(("ok: " if c.ok else "FAILED: ") + c.line for c in checked)


def unfinished_verification(findings: Sequence[str], lead: str, checked: Sequence[Checked],
                            unchecked: str) -> Verification:
    """A verification that did not finish (the erase interrupted, the phone not back or not
    readable): ``not_verified``, ``findings`` first, then the checks that ran. The method is
    ``lead`` and the parts of those checks, never one that did not run; null with the reason
    ``unchecked`` when none ran."""
    if not checked:
        return Verification(None, "not_verified", tuple(findings), method_reason=unchecked)
    method = lead + ", ".join(c.part for c in checked)
    return Verification(method, "not_verified", (*findings, *check_findings(checked)))


@dataclass(frozen=True)
class ErasureRun:
    """One erase as it happened, before it is a certificate: the engine's result."""

    certificate_id: str
    started_at: str
    provenance: Provenance
    link: str | None
    device: ErasedDevice
    sanitization: Sanitization
    verification: Verification


def result_of(verification: Verification) -> str:
    """``erased`` only for a verified erase."""
    return {"passed": "erased", "failed": "failed"}.get(verification.result, "not_verified")


def build_certificate(
    run: ErasureRun, *, station_id: str, key_id: str, operator: str | None, diagnostics_report_id: str | None,
    operator_reason: str | None = None, diagnostics_reason: str | None = None,
) -> dict[str, Any]:
    """The certificate document, without its chain link (the store adds it). With no
    ``operator``, ``operator_reason`` (when given) says why nobody is named; with no
    ``diagnostics_report_id``, ``diagnostics_reason`` says why."""
    why = {"operator_reason": operator_reason} if not operator and operator_reason else {}
    if diagnostics_report_id is None and diagnostics_reason:
        why["diagnostics_report_id_reason"] = diagnostics_reason
    return why | {
        "schema": "phonebench.erasure/1",
        "report_id": run.certificate_id,
        "started_at": run.started_at,
        "finished_at": utc_now(),
        "station": {"id": station_id, "key_id": key_id},
        "agent": {"name": "phonebench", "version": __version__},
        "operator": operator or None,
        "session": {"link": run.link, "provenance": run.provenance.kind, "transport_id": run.provenance.transport_id},
        "device": run.device.to_json(),
        "media": dict(MEDIA),
        "sanitization": run.sanitization.to_json(),
        "verification": run.verification.to_json(),
        "result": result_of(run.verification),
        "diagnostics_report_id": diagnostics_report_id,
    }


def latest_diagnostics_report(folders: list[Path], serial: str | None) -> str | None:
    """The report id of the newest diagnostics report for ``serial`` in ``folders`` (by
    chain sequence, then file name), or None. Only a pointer: the payloads are read, not
    verified (``phonebench verify`` is where reports are judged)."""
    if not serial:
        return None
    found: list[tuple[str, str]] = []
    for folder in folders:
        for path in sorted(folder.glob("*.dsse.json")) if folder.is_dir() else []:
            report = _payload(path)
            if report is None or not str(report.get("schema")).startswith("phonebench.report/"):
                continue  # not a diagnostics report, or not one this reader can use: skipped
            device = report.get("device")
            if isinstance(device, dict) and device.get("serial") == serial:
                found.append((str(report.get("finished_at", "")), report["report_id"]))
    return max(found)[1] if found else None


def _payload(path: Path) -> dict[str, Any] | None:
    try:
        envelope = load_json(path.read_bytes())
        doc = load_json(base64.b64decode(envelope["payload"], validate=True))
    except (OSError, ValueError, KeyError, TypeError, binascii.Error, RecursionError):
        return None
    return doc if isinstance(doc, dict) and isinstance(doc.get("report_id"), str) else None
