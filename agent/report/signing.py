"""The station key and DSSE envelopes around reports.

A station has one Ed25519 key for its whole life: it names the station (``keyid``) and
links its reports into one chain. Losing it silently would start a new, unlinked chain
that looks like a different station, so an unreadable key file is an error, never a reason
to make a new key. A key others on the machine can read is refused too, as ssh refuses
one: anyone who can read it can sign reports in this station's name. Envelopes follow
DSSE v1: the signature covers PAE(type, payload), so a payload cannot be replayed under
another type.

Two kinds of document share the key, the envelope and the chain, told apart by payloadType
(``PAYLOAD_TYPES``: each with the schema its payload must meet): diagnostics reports and
erasure certificates.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import shlex
import stat
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from agent.errors import SigningError, UnknownKeyError, VerificationError
from agent.files import write_atomic
from agent.jsonfile import load_json
from agent.report.schema import validate_certificate, validate_report
from agent.text import inert

PAYLOAD_TYPE = "application/vnd.phonebench.report+json"
ERASURE_PAYLOAD_TYPE = "application/vnd.phonebench.erasure+json"
#: every payloadType a station signs, with the check its payload must pass
PAYLOAD_TYPES: Mapping[str, Callable[[Any], None]] = {
    PAYLOAD_TYPE: validate_report,
    ERASURE_PAYLOAD_TYPE: validate_certificate,
}


def canonical_json(doc: Any) -> bytes:
    """The one byte form of a report: what is signed and what the chain digests."""
    try:
        text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        return text.encode("utf-8")
    except (TypeError, ValueError) as e:  # UnicodeEncodeError (lone surrogates) is a ValueError
        raise SigningError(f"report: cannot be written as canonical JSON ({e})") from e


def payload_digest(payload: bytes) -> str:
    return "sha256:" + hashlib.sha256(payload).hexdigest()


def keyid_for(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def load_public_key(data: bytes, where: str) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm) as e:
        raise SigningError(f"{where}: not a PEM public key ({_first_line(e)})") from e
    if not isinstance(key, Ed25519PublicKey):
        raise SigningError(f"{where}: holds a {_kind(key)} public key, expected Ed25519")
    return key


class StationKey:
    """The station's private key, loaded from (or, the first time, created at) one file."""

    def __init__(self, private_key: Ed25519PrivateKey, path: Path | None = None) -> None:
        self._private_key = private_key
        self.path = path
        self.public_key: Ed25519PublicKey = private_key.public_key()
        self.keyid: str = keyid_for(self.public_key)

    @classmethod
    def load_or_create(cls, path: Path) -> StationKey:
        if not path.exists():
            _create_key_file(path)
        return cls.load(path)

    @classmethod
    def load(cls, path: Path) -> StationKey:
        """The key at ``path``; SigningError saying what is wrong with the file otherwise."""
        try:
            data = path.read_bytes()
        except OSError as e:
            raise SigningError(f"{path}: cannot read the station key ({e.strerror or e})") from e
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except TypeError as e:
            raise SigningError(f"{path}: the station key is password-protected; it must be unencrypted") from e
        except (ValueError, UnsupportedAlgorithm) as e:
            raise SigningError(f"{path}: not a readable PEM private key, corrupt or truncated ({_first_line(e)})") from e
        if not isinstance(key, Ed25519PrivateKey):
            raise SigningError(f"{path}: holds a {_kind(key)} private key, expected Ed25519")
        _check_private(path)  # after parsing: a file that is no key at all says that first
        return cls(key, path)

    def public_pem(self) -> str:
        pem = self.public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        return pem.decode("ascii")

    def default_station_id(self) -> str:
        return "station-" + self.keyid.removeprefix("sha256:")[:12]

    def sign(self, payload: bytes, payload_type: str = PAYLOAD_TYPE) -> dict:
        """The DSSE envelope carrying ``payload`` as ``payload_type`` (a report by default)."""
        sig = self._private_key.sign(pae(payload_type, payload))
        return {
            "payloadType": payload_type,
            "payload": base64.b64encode(payload).decode("ascii"),
            "signatures": [{"keyid": self.keyid, "sig": base64.b64encode(sig).decode("ascii")}],
        }


def payload_type_of(envelope: Any) -> str:
    """The envelope's payloadType when it is one a station signs; VerificationError otherwise."""
    kind = envelope.get("payloadType") if isinstance(envelope, dict) else None
    if not isinstance(kind, str) or kind not in PAYLOAD_TYPES:
        raise VerificationError(f"envelope: payloadType is not {PAYLOAD_TYPE} or {ERASURE_PAYLOAD_TYPE}")
    return kind


def open_envelope(envelope: Any) -> tuple[bytes, str, bytes]:
    """(payload, keyid, sig) of a well-formed envelope; nothing is trusted yet."""
    if not isinstance(envelope, dict):
        raise VerificationError("envelope: expected a JSON object")
    payload_type_of(envelope)
    signatures = envelope.get("signatures")
    if not isinstance(signatures, list) or len(signatures) != 1 or not isinstance(signatures[0], dict):
        raise VerificationError("envelope: expected exactly one signature")
    keyid = signatures[0].get("keyid")
    if not isinstance(keyid, str) or not keyid:
        raise VerificationError("envelope: the signature has no keyid")
    payload = _b64("payload", envelope.get("payload"))
    sig = _b64("signature", signatures[0].get("sig"))
    return payload, keyid, sig


def verify_envelope(envelope: Any, keys: Mapping[str, Ed25519PublicKey]) -> dict:
    """The document inside ``envelope`` (a report, or a certificate by its payloadType), once
    its signature, form and schema check out."""
    payload, keyid, sig = open_envelope(envelope)
    kind = payload_type_of(envelope)
    key = keys.get(keyid)
    if key is None:
        raise UnknownKeyError(f"envelope: signed by unknown key {_shown(keyid)}")
    try:
        key.verify(sig, pae(kind, payload))
    except InvalidSignature as e:
        raise VerificationError(f"envelope: bad signature for key {_shown(keyid)}") from e
    try:
        report = load_json(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise VerificationError(f"envelope: the payload is not JSON ({_first_line(e)})") from e
    if canonical_json(report) != payload:
        raise VerificationError("envelope: the payload is not canonical JSON")
    PAYLOAD_TYPES[kind](report)
    if report["station"]["key_id"] != keyid:
        raise VerificationError(f"{_what(kind)}: station.key_id {report['station']['key_id']} is not the signing key {keyid}")
    return report


def is_certificate(doc: Mapping[str, Any]) -> bool:
    """Whether a verified document is an erasure certificate (else a report)."""
    return str(doc.get("schema", "")).startswith("phonebench.erasure/")


def _what(kind: str) -> str:
    return "certificate" if kind == ERASURE_PAYLOAD_TYPE else "report"


def _create_key_file(path: Path) -> None:
    """Write a new key so that no reader ever sees half a file and no racer is overwritten."""
    _make_private_dirs(path.parent)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        write_atomic(path, pem, keep_existing=True)  # mode 0600; a key another process made first stays
    except OSError as e:
        raise SigningError(f"{path}: cannot create the station key ({e.strerror or e})") from e


def _check_private(path: Path) -> None:
    """Refuse a key file that its group or others may read, write or run (ssh's rule);
    Windows has no such mode bits, so there the folder's ACL is what protects the key."""
    if os.name == "nt":
        return
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError as e:
        raise SigningError(f"{path}: cannot read the station key ({e.strerror or e})") from e
    if mode & 0o077:
        raise SigningError(f"{path}: the station key is open to others (mode {mode:04o}); "
                           f"run `chmod 600 {shlex.quote(str(path))}` if it is yours")


def _make_private_dirs(folder: Path) -> None:
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for created in reversed(missing):
        created.mkdir(mode=0o700, exist_ok=True)
        os.chmod(created, 0o700)  # mkdir's mode is filtered by the umask


def _b64(what: str, value: Any) -> bytes:
    if not isinstance(value, str):
        raise VerificationError(f"envelope: the {what} is not a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as e:
        raise VerificationError(f"envelope: the {what} is not valid base64") from e


def _kind(key: object) -> str:
    return type(key).__name__.removeprefix("_").replace("PrivateKey", "").replace("PublicKey", "") or "unknown"


def _first_line(e: BaseException) -> str:
    lines = str(e).strip().splitlines()
    return lines[0] if lines else type(e).__name__


def _shown(text: str) -> str:
    """An untrusted string from an envelope, made safe to put in a one-line message."""
    text = text if len(text) <= 80 else text[:77] + "..."
    return inert(text)
