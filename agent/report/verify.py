"""``phonebench verify``: signature, schema and chain of one report or a folder of them.

Erasure certificates (their own payloadType) verify alike and sit in the same chain as the
station's reports; each line says which kind it is.

A bad signature or a report that breaks the schema is an error (the file cannot be
trusted at all). A chain with a missing or replaced report is a finding: every report
in it still verifies on its own, and the person reading the result needs to see which
link is missing, between which two files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from agent import paths
from agent.errors import DataRefused, VerificationError
from agent.jsonfile import load_json
from agent.report.signing import (
    StationKey,
    canonical_json,
    is_certificate,
    keyid_for,
    load_public_key,
    payload_digest,
    verify_envelope,
)
from agent.text import inert


@dataclass(frozen=True)
class VerifiedReport:
    path: Path
    report: dict
    keyid: str


@dataclass(frozen=True)
class VerifyResult:
    reports: tuple[VerifiedReport, ...]
    chain_ok: bool | None
    problems: tuple[str, ...]


def verify_path(path: Path, pubkey_pem: bytes | None = None, station_key: StationKey | None = None) -> VerifyResult:
    """Verify a ``.dsse.json`` file, or every one in a folder and the chain they form. A
    folder whose chain head is known (the station's report folder: the station's chain
    state; any other: its own ``chain.json``) is anchored: its newest report must be the
    one the head names, so deleting the newest reports shows."""
    key = trusted_key(pubkey_pem, station_key)
    if path.is_file():
        return VerifyResult((verify_file(path, key),), None, ())
    if not path.is_dir():
        raise VerificationError(f"{path}: no such file or folder")
    files = sorted(path.glob("*.dsse.json"))
    if not files:
        raise VerificationError(f"{path}: no *.dsse.json reports in this folder")
    reports = tuple(sorted((verify_file(f, key) for f in files), key=_sequence))
    problems = tuple(chain_problems(reports)) + tuple(head_problems(reports, _head_file(path)))
    return VerifyResult(reports, not problems, problems)


def head_problems(reports: tuple[VerifiedReport, ...], head_file: Path | None) -> list[str]:
    """The newest report against the chain head the station stored (none known: nothing to say)."""
    if head_file is None or not head_file.exists():
        return []
    try:
        head = load_json(head_file.read_bytes())
        sequence, digest = head["sequence"], head["digest"]
    except (OSError, ValueError, TypeError, KeyError):
        return [f"head: {head_file} cannot be read as a chain head"]
    newest = reports[-1]
    if type(sequence) is not int or _sequence(newest) < sequence:
        return [f"head: {head_file.name} is at sequence {sequence} but the newest report is "
                f"{_sequence(newest)} ({newest.path.name}): {_missing(_sequence(newest) + 1, sequence)} missing"]
    if _sequence(newest) == sequence and payload_digest(canonical_json(newest.report)) != digest:
        return [f"head: {newest.path.name} is not the report {head_file.name} names at sequence {sequence}"]
    return []  # a head behind the newest report: the station died between the two writes


def _head_file(folder: Path) -> Path | None:
    try:
        if folder.resolve() == paths.reports_dir().resolve():
            return paths.chain_state_path()
    except OSError:
        return None
    own = folder / "chain.json"
    return own if own.exists() else None


def verify_file(path: Path, key: Ed25519PublicKey) -> VerifiedReport:
    """One envelope; VerificationError (or UnknownKeyError) naming the file when it fails."""
    try:
        envelope = load_json(path.read_bytes())
    except OSError as e:
        raise VerificationError(f"{path}: cannot read ({e.strerror or e})") from e
    except DataRefused as e:
        raise VerificationError(f"{path}: not a JSON envelope ({e})") from e
    except ValueError as e:
        raise VerificationError(f"{path}: not a JSON envelope") from e
    keyid = keyid_for(key)
    try:
        report = verify_envelope(envelope, {keyid: key})
    except VerificationError as e:
        raise type(e)(f"{path}: {e}") from e
    return VerifiedReport(path, report, keyid)


def chain_problems(reports: tuple[VerifiedReport, ...]) -> list[str]:
    """Gaps, breaks and forks in reports sorted by sequence, each naming the files involved."""
    problems: list[str] = []
    first = reports[0]
    if _sequence(first) > 1:
        problems.append(f"gap: {_missing(1, _sequence(first) - 1)} missing before {first.path.name}")
    for prev, cur in zip(reports, reports[1:], strict=False):
        want, got = _sequence(prev) + 1, _sequence(cur)
        if got < want:
            problems.append(f"fork: sequence {got} is in both {prev.path.name} and {cur.path.name}")
        elif got > want:
            problems.append(f"gap: {_missing(want, got - 1)} missing between {prev.path.name} and {cur.path.name}")
        else:
            named = cur.report["chain"]["previous_digest"]
            actual = payload_digest(canonical_json(prev.report))
            if named != actual:
                problems.append(
                    f"break: {cur.path.name} names previous digest {_short(named)} "
                    f"but {prev.path.name} has {_short(actual)}"
                )
    return problems


def format_summary(result: VerifyResult) -> str:
    """A few lines for a terminal: what each report says, then the state of the chain."""
    lines = [_report_line(r) for r in result.reports]
    if result.chain_ok is None:
        lines.append("chain: not checked (a single report)")
    elif result.chain_ok:
        first, last = _sequence(result.reports[0]), _sequence(result.reports[-1])
        lines.append(f"chain: ok ({len(result.reports)} reports, sequences {first}-{last})")
    else:
        lines.append(f"chain: {len(result.problems)} problem(s)")
        lines.extend(f"  {p}" for p in result.problems)
    return "\n".join(lines)


def result_json(result: VerifyResult) -> dict:
    """The result as data for scripts: every verified report (its payload as signed) and the chain."""
    return {
        "ok": result.chain_ok is not False,
        "chain": {"checked": result.chain_ok is not None, "ok": result.chain_ok, "problems": list(result.problems)},
        "reports": [
            {"path": str(r.path), "keyid": r.keyid, "sequence": _sequence(r), "report_id": r.report["report_id"],
             "kind": "erasure" if is_certificate(r.report) else "report", "report": r.report}
            for r in result.reports
        ],
    }


def trusted_key(pubkey_pem: bytes | None, station_key: StationKey | None = None) -> Ed25519PublicKey:
    """The key reports must be signed with: ``pubkey_pem`` (PEM), else the station's own."""
    if pubkey_pem is not None:
        return load_public_key(pubkey_pem, "the given public key")
    if station_key is not None:
        return station_key.public_key
    key_file = paths.key_path()
    if not key_file.exists():
        raise VerificationError(f"no public key given and no station key at {key_file}")
    return StationKey.load(key_file).public_key


def _report_line(verified: VerifiedReport) -> str:
    report = verified.report
    if is_certificate(report):
        return _certificate_line(verified)
    device = report["device"]
    name = device.get("marketing_name") or device.get("model") or "unknown device"
    grade = report["grade"]["value"] if report["grade"] else "none (incomplete)"
    line = (
        f"{verified.path.name}: #{report['chain']['sequence']} {device.get('platform') or '?'} {name}"
        f" serial {device.get('serial') or '?'} grade {grade} report {report['report_id']} key {_short(verified.keyid)}"
    )
    return _plain(line)


def _certificate_line(verified: VerifiedReport) -> str:
    cert = verified.report
    device, method = cert["device"], cert["sanitization"]["method"]
    line = (
        f"{verified.path.name}: #{cert['chain']['sequence']} erasure {device.get('platform')} "
        f"{device.get('model') or 'unknown device'} serial {device.get('serial') or '?'} {method} "
        f"result {cert['result']} certificate {cert['report_id']} key {_short(verified.keyid)}"
    )
    return _plain(line)


def _sequence(verified: VerifiedReport) -> int:
    return verified.report["chain"]["sequence"]


def _missing(low: int, high: int) -> str:
    return f"sequence {low} is" if low == high else f"sequences {low}-{high} are"


def _short(digest: str | None) -> str:
    return "none" if digest is None else digest[:19] + ".."


def _plain(text: str) -> str:
    """Phone-given strings, kept to one printable line so they cannot steer a terminal."""
    return inert(text)

