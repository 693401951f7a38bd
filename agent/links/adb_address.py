"""Where the adb server is, read as adb and adbutils read it: the one place that looks at
``ANDROID_ADB_SERVER_ADDRESS``, ``ANDROID_ADB_SERVER_HOST``, ``ANDROID_ADB_SERVER_PORT`` and
``ANDROID_SERIAL``.

adb itself takes the server's host from ``ANDROID_ADB_SERVER_ADDRESS`` and its port from
``ANDROID_ADB_SERVER_PORT`` (``-H``/``-P`` win over both) and the phone from ``ANDROID_SERIAL``
(``-s`` wins). adbutils' ``AdbClient`` reads ``ANDROID_ADB_SERVER_HOST`` and
``ANDROID_ADB_SERVER_PORT`` when it is given no host or port (``BaseClient.__init__``), and
``AdbClient.device()`` falls back to ``ANDROID_SERIAL``. A technician whose shell points adb at
another server must not find phonebench talking to, or starting, a different one; so every
adb call takes its address from here, and an option given on the command line wins.

No adbutils import: the CLI and the Hub resolve the address before any phone is there.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from agent.errors import ConfigError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5037
ENV_ADDRESS = "ANDROID_ADB_SERVER_ADDRESS"  # adb's name for the host
ENV_HOST = "ANDROID_ADB_SERVER_HOST"  # adbutils' name for the host
ENV_PORT = "ANDROID_ADB_SERVER_PORT"
ENV_SERIAL = "ANDROID_SERIAL"
#: adb starts a server only for an address on this machine; so do we
_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class AdbAddress:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT

    @property
    def local(self) -> bool:
        return self.host in _LOCAL_HOSTS

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def adb_address(port: int | None = None, host: str | None = None, env: Mapping[str, str] | None = None) -> AdbAddress:
    """The adb server to talk to: ``port``/``host`` when given, else the environment's, else
    127.0.0.1:5037. A port variable that is not a port is a ConfigError, as it is an error to adb."""
    env = os.environ if env is None else env
    host = host or env.get(ENV_ADDRESS, "").strip() or env.get(ENV_HOST, "").strip() or DEFAULT_HOST
    return AdbAddress(host, _port(env.get(ENV_PORT, "")) if port is None else port)


def android_serial(env: Mapping[str, str] | None = None) -> str | None:
    """The phone adb would pick without ``-s``: ``ANDROID_SERIAL``, or None."""
    env = os.environ if env is None else env
    return env.get(ENV_SERIAL, "").strip() or None


def _port(value: str) -> int:
    text = value.strip()
    if not text:
        return DEFAULT_PORT
    if not (text.isascii() and text.isdigit() and 0 < int(text) < 65536):
        raise ConfigError(f"${ENV_PORT} must be a port number (1-65535), got {value!r}")
    return int(text)


@contextmanager
def fit_for_adbutils() -> Iterator[None]:
    """Around ``import adbutils``, which builds a client at import with
    ``int($ANDROID_ADB_SERVER_PORT)``: a bad value is our ConfigError rather than its
    ValueError, and an empty or padded one (the default, for adb) reaches it as the number."""
    raw = os.environ.get(ENV_PORT)
    port = str(adb_address().port)
    if raw is None or raw == port:
        yield
        return
    os.environ[ENV_PORT] = port
    try:
        yield
    finally:
        os.environ[ENV_PORT] = raw
