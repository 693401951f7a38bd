"""A pytest plugin: recorded phones in your own CI.

Installed with phonebench (entry point ``pytest11``), so a test of your own check or
profile can run it against a fixture file without a phone, a station key or a server:

    def test_worn_battery_fails_my_profile(phonebench_session):
        report = phonebench_session("fixtures/worn.yaml", profile="profiles/mine.yaml",
                                    answers={"cosmetic_grade": "B", "screen.visual": []})
        battery = next(c for c in report["checks"] if c["name"] == "battery")
        assert battery["metrics"]["cycle_count"]["value"] == 1100
        assert battery["verdict"] == "fail"

    def test_my_check_reads_the_build_tags(phonebench_check):
        result = phonebench_check("build_tags", "fixtures/pixel.yaml")
        assert result.metrics["release_keys"].value is True

Fixtures (each a function; a ``phone`` argument is a fixture path, a Fixture or a Phone):

- ``phonebench_phone(path)``: a Phone replayed in process from a fixture file.
- ``phonebench_simulated_phone(path)``: a Phone behind the real protocol stack: a fake adbd
  attached to a private adb server, or a fake usbmuxd that pymobiledevice3 reaches. Slower;
  stopped at the end of the test.
- ``phonebench_session(phone, profile="default", answers=None)``: a whole session; returns
  the signed report's document (schema ``phonebench.report/2``).
- ``phonebench_check(name, phone, profile="default", answers=None)``: one check (identity
  runs first, as in a session, so the check sees the catalog model); returns its CheckResult.

Everything a session writes (station key, reports, chain, pair records, adb keys) goes to
the test's temporary folder; nothing touches the machine's own station.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
from collections.abc import Callable, Coroutine, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from agent.check import CheckResult
from agent.errors import UsageError
from agent.fixtures.format import Fixture, load_fixture
from agent.links.base import Link

T = TypeVar("T")


@dataclass(frozen=True)
class Phone:
    """A phone a test can run sessions on: ``link()`` connects anew each time, so every
    session gets a fresh link in its own event loop."""

    fixture: Fixture
    link: Callable[[], Link]

    @property
    def device_id(self) -> str:
        return self.fixture.device_id


def replayed(phone: Any) -> Phone:
    """A path, a Fixture or a Phone as a Phone (paths and Fixtures are replayed in process)."""
    from agent.links.replay import replay_link

    if isinstance(phone, Phone):
        return phone
    fixture = phone if isinstance(phone, Fixture) else load_fixture(Path(phone))
    return Phone(fixture, lambda: replay_link(fixture))


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to the end, also from inside a running event loop (pytest-asyncio)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def make_test_bench(home: Path, profile: str = "default", answers: Mapping[str, Any] | None = None) -> Any:
    """A Station whose key, reports and chain live under ``home``; answers are checked
    against the questions like an answers file."""
    from agent.delivery.ledger import side_ledger
    from agent.grading.catalog import load_catalog
    from agent.grading.profile import load_profile
    from agent.plugins import load_checks
    from agent.report.signing import StationKey
    from agent.session.engine import Station
    from agent.session.operator import AnswersOperator, validate_answers

    checked = validate_answers("answers", answers or {})
    checks = load_checks()
    key = StationKey.load_or_create(home / "station_ed25519.pem")
    return Station(
        profile=load_profile(profile, known_checks={c.name for c in checks}),
        checks=checks,
        catalog=load_catalog(),
        station_id=key.default_station_id(),
        sink=side_ledger(key, home / "reports"),
        operator=AnswersOperator(checked, {}),
    )


async def session_report(link: Link, bench: Any) -> dict[str, Any]:
    """The report of one session over ``link``; a failed session is a LinkError."""
    from agent.errors import LinkError
    from agent.session.engine import run_session
    from agent.session.events import ReportSaved, SessionFailed

    report: dict[str, Any] | None = None
    try:
        async for event in run_session(link, bench):
            if isinstance(event, ReportSaved):
                report = event.report
            elif isinstance(event, SessionFailed):
                raise LinkError(event.error)
    finally:
        await link.close()
    assert report is not None
    return report


async def check_result(name: str, link: Link, bench: Any) -> CheckResult:
    """One check's result over ``link``, identity first as in a session."""
    from agent.session.engine import run_session
    from agent.session.events import CheckFinished

    bench.checks = [c for c in bench.checks if c.name in ("identity", name)]
    if not any(c.name == name for c in bench.checks):
        raise UsageError(f"no check named {name!r} is installed")
    found: CheckResult | None = None
    try:
        async for event in run_session(link, bench):
            if isinstance(event, CheckFinished) and event.check == name:
                found = event.result
    finally:
        await link.close()
    assert found is not None
    return found


@pytest.fixture
def phonebench_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where this test's station key, reports and chain live."""
    return tmp_path_factory.mktemp("phonebench")


@pytest.fixture
def phonebench_phone() -> Callable[[Any], Phone]:
    return replayed


@pytest.fixture
def phonebench_session(phonebench_home: Path) -> Callable[..., dict[str, Any]]:
    def session(phone: Any, profile: str = "default", answers: Mapping[str, Any] | None = None) -> dict[str, Any]:
        bench = make_test_bench(phonebench_home, profile, answers)
        return run_sync(session_report(replayed(phone).link(), bench))

    return session


@pytest.fixture
def phonebench_check(phonebench_home: Path) -> Callable[..., CheckResult]:
    def check(name: str, phone: Any, profile: str = "default", answers: Mapping[str, Any] | None = None) -> CheckResult:
        bench = make_test_bench(phonebench_home, profile, answers)
        return run_sync(check_result(name, replayed(phone).link(), bench))

    return check


@pytest.fixture
def phonebench_simulated_phone(phonebench_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Any], Phone]]:
    with contextlib.ExitStack() as stack:
        shared: dict[str, Any] = {}
        yield lambda phone: _simulate(replayed(phone).fixture, phonebench_home, monkeypatch, stack, shared)


def _simulate(fixture: Fixture, home: Path, monkeypatch: pytest.MonkeyPatch, stack: contextlib.ExitStack,
              shared: dict[str, Any]) -> Phone:
    """Start the phone's simulator; every iPhone of a test shares one usbmuxd, as on a bench."""
    if fixture.platform == "ios":
        from agent.links.ios import PmdIosLink
        from agent.simulator.usbmuxd import UsbmuxdSimulator

        usbmuxd = shared.get("usbmuxd")
        if usbmuxd is None:
            usbmuxd = shared["usbmuxd"] = stack.enter_context(UsbmuxdSimulator().start())
        usbmuxd.plug(fixture)
        address = usbmuxd.socket_address
        return Phone(fixture, lambda: PmdIosLink(fixture.device_id, pair_records=home / "pair_records", usbmux_address=address,
                                                    simulated=True))
    from agent.links.adb import AdbAndroidLink, ensure_adb_server
    from agent.simulator import AdbdSimulator
    from agent.simulator.bench import free_port

    with monkeypatch.context() as env:
        env.setenv("HOME", str(home))  # the adb server keeps its key under the HOME it starts with
        server = ensure_adb_server(free_port(), host="127.0.0.1")
    stack.callback(server.stop)
    adbd = AdbdSimulator(fixture, adb_server_port=server.port).start()
    stack.callback(adbd.stop)
    return Phone(fixture, lambda: AdbAndroidLink(adbd.serial, server.host, server.port, simulated=True))


