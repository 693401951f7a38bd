"""The simulated phone accepts, in TLS, only the host certificate it paired with."""

from __future__ import annotations

import os
import socket
import ssl
import tempfile
import threading

from agent.simulator.ios_certs import device_public_key_pem, is_pinned_peer, server_context


def _client_context(cert: bytes, key: bytes) -> ssl.SSLContext:
    from pymobiledevice3.service_connection import create_ssl_context

    fd, name = tempfile.mkstemp(suffix=".pem")
    with os.fdopen(fd, "wb") as f:
        f.write(cert + b"\n" + key)
    try:
        return create_ssl_context(name)
    finally:
        os.unlink(name)


def _handshake(server: ssl.SSLContext, client: ssl.SSLContext, pinned: bytes) -> bool:
    """Run one handshake over a socket pair; True when the server saw the pinned host."""
    near, far = socket.socketpair()
    result: list[bool] = []

    def serve() -> None:
        try:
            with server.wrap_socket(near, server_side=True) as tls:
                result.append(is_pinned_peer(tls, pinned))
        except (ssl.SSLError, OSError):
            result.append(False)

    thread = threading.Thread(target=serve)
    thread.start()
    with far:
        try:
            client.wrap_socket(far, server_hostname=None).close()
        except (ssl.SSLError, OSError):
            pass  # the refused client learns it here; the server's verdict is what counts
    thread.join(10)
    near.close()
    return result == [True]


def test_session_tls_accepts_the_paired_host_and_refuses_another() -> None:
    from pymobiledevice3.ca import generate_pairing_cert_chain

    host_cert, host_key, device_cert, _root, _root_key = generate_pairing_cert_chain(device_public_key_pem())
    other_cert, other_key, *_ = generate_pairing_cert_chain(device_public_key_pem())
    server = server_context(device_cert, host_cert)

    assert _handshake(server, _client_context(host_cert, host_key), host_cert)
    assert not _handshake(server, _client_context(other_cert, other_key), host_cert)
