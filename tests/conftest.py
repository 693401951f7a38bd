"""Every test runs in an isolated machine: its own HOME and XDG folders, so the station
key, reports, pair records (pymobiledevice3) and ~/.android (adb) never touch the real ones.

The machine is isolated from ``pytest_configure`` on, before any fixture of any scope runs
(a module-scoped fixture runs before a test's autouse ones), and each test then gets a HOME
of its own. At the end of the run the real HOME must be as it was, and no adb server or
usbmuxd simulator a test started may still be running: either fails the run.

Under pytest-xdist each worker is such a run of its own (its own session HOME, adb servers on
ports it picks, usbmuxd socket folders of its own); the workers inherit the real HOMEs from
the process that started them, which checks the real HOME once more when all have ended.

Every adb server the tests start serves simulated phones over TCP only. adb's libusb backend
holds ``adb start-server`` for 3 s waiting for a USB scan that never ends on a machine without
USB, so the tests ask for its native backend (``ADB_LIBUSB=0``) unless the caller chose one."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CAPTURES = Path(__file__).resolve().parent / "data" / "captures"
ENV_CLEARED = ("PHONEBENCH_BACKEND_URL", "PHONEBENCH_BACKEND_TOKEN", "ANDROID_ADB_SERVER_PORT", "USBMUXD_SOCKET_ADDRESS",
               "ANDROID_ADB_SERVER_ADDRESS", "ANDROID_ADB_SERVER_HOST", "ANDROID_SERIAL")
#: what a phonebench run, adb or pymobiledevice3 would write under a HOME
WATCHED = (".config/phonebench", ".local/share/phonebench", ".local/state/phonebench", ".android", ".pymobiledevice3")
#: the real HOMEs, handed by the first pytest process to its xdist workers (which start under its isolated HOME)
REAL_HOMES = "PHONEBENCH_TESTS_REAL_HOMES"
_real_homes: list[Path] = []
_snapshot: dict[Path, tuple[int, int] | None] = {}


def isolated_env(home: Path) -> dict[str, str]:
    return {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "XDG_CACHE_HOME": str(home / ".cache"),
    }


def pytest_configure(config: pytest.Config) -> None:
    """Before collection and every fixture: remember the real HOMEs, then leave them."""
    inherited = os.environ.get(REAL_HOMES)
    if inherited:
        homes = {Path(home) for home in inherited.split(os.pathsep)}
    else:
        homes = {Path(os.environ.get("HOME", "~")).expanduser(), Path(pwd.getpwuid(os.getuid()).pw_dir)}
    _real_homes[:] = sorted(homes)
    os.environ[REAL_HOMES] = os.pathsep.join(str(home) for home in _real_homes)
    _snapshot.update(_listing())
    session_home = Path(tempfile.mkdtemp(prefix="phonebench-tests-home-"))
    config.add_cleanup(lambda: shutil.rmtree(session_home, ignore_errors=True))
    os.environ.update(isolated_env(session_home))
    for var in ENV_CLEARED:
        os.environ.pop(var, None)
    os.environ.setdefault("ADB_LIBUSB", "0")


def pytest_sessionfinish(session: pytest.Session) -> None:
    """In the process that handed the tests to xdist workers: the real HOME once more, after
    every worker has ended (each worker also checks it, and its own servers, in its session)."""
    if not session.config.pluginmanager.has_plugin("dsession"):
        return
    changed = _changed()
    if changed:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        reporter.write_sep("=", f"the test run wrote under the real HOME: {changed[:20]}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _changed() -> list[str]:
    return sorted(str(p) for p, stamp in _listing().items() if _snapshot.get(p) != stamp)


def _listing() -> dict[Path, tuple[int, int] | None]:
    """Every file and folder under the watched places of the real HOMEs, with mtime and size."""
    found: dict[Path, tuple[int, int] | None] = {}
    for home in _real_homes:
        for name in WATCHED:
            top = home / name
            found[top] = _stamp(top)
            if top.is_dir():
                for path in top.rglob("*"):
                    found[path] = _stamp(path)
    return found


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.lstat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


@pytest.fixture(scope="session", autouse=True)
def machine_left_as_found() -> Iterator[None]:
    """Fails the run if a test wrote under a real HOME, or left an adb server or a usbmuxd
    simulator it started running (each is a leak a user would find on their bench)."""
    yield
    from agent.links.adb import answers, started_servers
    from agent.simulator.usbmuxd import live_socket_dirs

    changed = _changed()
    assert not changed, f"the test run wrote under the real HOME: {changed[:20]}"
    servers = [port for port in started_servers() if answers(port)]
    assert not servers, f"adb servers started by tests still answer on ports {servers}"
    folders = [str(f) for f in live_socket_dirs() if f.exists()]
    assert not folders, f"usbmuxd simulators started by tests were never stopped: {folders}"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("home")
    for var, value in isolated_env(home).items():
        monkeypatch.setenv(var, value)
    for var in ENV_CLEARED:
        monkeypatch.delenv(var, raising=False)
    return home


def read_capture(name: str) -> tuple[dict, bytes]:
    """A capture copied from shared/captures: (expect, body bytes)."""
    import json

    raw = (CAPTURES / name).read_bytes()
    head, body = raw.split(b"# ---\n", 1)
    expect_line = next(line for line in head.decode("utf-8").splitlines() if line.startswith("# expect:"))
    return json.loads(expect_line[len("# expect:"):]), body


@pytest.fixture
def tcp_printer() -> Iterator[tuple[int, list[bytes]]]:
    """A one-job raw TCP label printer (port 9100's protocol) on an ephemeral 127.0.0.1 port:
    accepts one connection and keeps what it read until close: (port, jobs received)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(30)
    received: list[bytes] = []

    def serve() -> None:
        try:
            conn, _ = server.accept()
        except OSError:
            return
        with conn:
            chunks = []
            while chunk := conn.recv(65536):
                chunks.append(chunk)
            received.append(b"".join(chunks))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    address = server.getsockname()
    yield address[1], received
    if thread.is_alive():  # no job came: wake the accept rather than wait out its timeout
        with contextlib.suppress(OSError):
            socket.create_connection(address, timeout=5).close()
    thread.join(timeout=30)
    server.close()
