"""The simulated phone's side of lockdown TLS.

A real iPhone has an RSA key pair; it hands the public half out as ``DevicePublicKey``,
the host builds a root, a host and a device certificate around it and sends them in the
Pair request. From then on the phone answers TLS (StartSession's EnableSessionSSL and
every service with EnableServiceSSL) with that DeviceCertificate and its own private key,
and accepts the host only if it presents the HostCertificate it paired with.

pymobiledevice3's certificates have empty subjects, and the host certificate's issuer
(empty) equals its subject, so OpenSSL takes it for self-signed and normal chain checking
fails. We pin instead: the host certificate is the only trust anchor, verified as a partial
chain, and the peer's DER is compared to it once more after the handshake.

One key pair serves every simulated phone in a process: RSA generation is the slow part
and nothing in the protocol needs phones to differ.
"""

from __future__ import annotations

import os
import ssl
import tempfile
from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


@cache
def _device_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@cache
def device_public_key_pem() -> bytes:
    """What lockdownd answers for ``DevicePublicKey`` (PKCS#1 PEM, as iPhones send it)."""
    return _device_key().public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)


@cache
def _device_key_pem() -> bytes:
    return _device_key().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def server_context(device_cert_pem: bytes, host_cert_pem: bytes) -> ssl.SSLContext:
    """A TLS server context presenting ``device_cert_pem`` and trusting exactly
    ``host_cert_pem`` as the client."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    # ssl offers no way to load a chain from memory; the file lives for one call
    fd, name = tempfile.mkstemp(suffix=".pem")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(device_cert_pem + b"\n" + _device_key_pem())
        ctx.load_cert_chain(name)
    finally:
        os.unlink(name)
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    ctx.load_verify_locations(cadata=host_cert_pem.decode("ascii"))
    return ctx


def is_pinned_peer(ssl_object: ssl.SSLObject | None, host_cert_pem: bytes) -> bool:
    """True when the TLS peer presented exactly the paired host certificate."""
    if ssl_object is None:
        return False
    der = ssl_object.getpeercert(binary_form=True)
    if der is None:
        return False
    pinned = x509.load_pem_x509_certificate(host_cert_pem).public_bytes(serialization.Encoding.DER)
    return der == pinned
