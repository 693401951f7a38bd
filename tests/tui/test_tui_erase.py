"""``x`` erases a phone from the bench, end to end through the simulators: the iPhone through
pymobiledevice3 and the fake usbmuxd + lockdownd, the Android phone through the real adb
server and the fake adbd, with the test doing the technician's recovery menu step."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.widgets import Input

from agent.cli.main import main
from agent.delivery.ledger import SideRecord
from agent.links.adb import AdbServer
from agent.session.hub import Hub
from agent.session.operator import AnswersOperator
from agent.session.station import open_station
from agent.simulator import AdbdSimulator
from agent.simulator.usbmuxd import UsbmuxdSimulator
from agent.tui.app import BenchApp
from agent.tui.erase_flow import EraseRun
from agent.tui.question_queue import TuiOperator
from agent.tui.widgets.erase_dialog import EraseDialog
from tests.erasure.conftest import IMEI, UDID, iphone
from tests.erasure.test_erase_android import GOOGLE, commands
from tests.simulator_adb.conftest import adb_server, make_fixture  # noqa: F401  (adb_server is a fixture)
from tests.tui.conftest import ANSWERS, burst, wait_for

pytestmark = pytest.mark.anyio


@pytest.fixture
def bench(tmp_path: Path, adb_server: AdbServer) -> Iterator[Callable[..., BenchApp]]:  # noqa: F811
    """A live bench over the simulators (questions answered ahead, so sessions finish alone)."""

    def make(usbmuxd: UsbmuxdSimulator | None = None) -> BenchApp:
        station = open_station("default", record=SideRecord(tmp_path / "out"), operator=AnswersOperator(ANSWERS, {}))
        hub = Hub(adb_port=adb_server.port, adb_host="127.0.0.1", usbmux_address=usbmuxd.socket_address if usbmuxd else None,
                  usb=False, start_adb=False, simulated=True, rejoin_s=0.5)
        return BenchApp(hub.supervisor(station), TuiOperator(), "default")

    yield make


@pytest.fixture
def usbmuxd() -> Iterator[Callable[[float | None], UsbmuxdSimulator]]:
    sims: list[UsbmuxdSimulator] = []

    def start(erase_return_s: float | None = 0.3) -> UsbmuxdSimulator:
        sims.append(UsbmuxdSimulator(erase_return_s=erase_return_s).start())
        return sims[-1]

    yield start
    for sim in sims:
        sim.stop()


@pytest.fixture
def adbd(adb_server: AdbServer) -> Iterator[Callable[..., AdbdSimulator]]:  # noqa: F811
    sims: list[AdbdSimulator] = []

    def start(fixture: Any) -> AdbdSimulator:
        sims.append(AdbdSimulator(fixture, adb_server_port=adb_server.port, recovery_wipe_s=None).start())
        return sims[-1]

    yield start
    for sim in sims:
        sim.stop()


async def start_erase(pilot: Any) -> EraseRun:
    """Wait for the phone's checks to end, pick its card and press x."""
    app = pilot.app
    await wait_for(pilot, lambda: app.model.slots and all(
        v.state in ("done", "incomplete", "error") for v in app.model.slots.values()), "the phone's checks")
    slot = min(app.model.slots)
    app.grid.focus_slot(slot)
    await pilot.press("x")
    await wait_for(pilot, lambda: slot in app.erases, "the erase")
    return app.erases[slot]


async def answer(pilot: Any, run: EraseRun, kind: str, text: str, paste: bool = False) -> None:
    """Type ``text`` and enter; ``paste``: as a terminal pastes it, into the same field (a key
    press costs the Pilot about 60 ms of waiting for the app to idle)."""
    def asked() -> bool:  # the dialog shows the question and its field has the keys (drawn on a tick)
        screen = pilot.app.screen
        return (run.prompt is not None and run.prompt.kind == kind and isinstance(screen, EraseDialog)
                and screen.focused is screen.query_one("#erase-answer", Input))

    await wait_for(pilot, asked, f"the {kind} prompt")
    if paste:
        field = pilot.app.screen.query_one("#erase-answer", Input)
        field.post_message(events.Paste(text))
        await wait_for(pilot, lambda: field.value == text, f"the {kind} pasted")
        await pilot.press("enter")
    else:
        await pilot.press(*text, "enter")


async def finished(pilot: Any, run: EraseRun) -> None:
    await wait_for(pilot, lambda: run.finished and pilot.app.model.slots[run.slot].erasure == run.card_line(),
                   "the end of the erase", limit=3000)


def shown(app: BenchApp) -> str:
    dialog = app.screen
    assert isinstance(dialog, EraseDialog)
    return " ".join(str(w.render()) for w in dialog.query("Static, Label"))


async def test_erasing_a_simulated_iphone_from_the_tui_signs_a_certificate_verify_accepts(
        bench: Callable[..., BenchApp], usbmuxd: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The technician confirms with the last four digits and gives a name; the card says erased."""
    sim = usbmuxd()
    sim.plug(iphone(find_my=False))
    app = bench(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        run = await start_erase(pilot)
        await answer(pilot, run, "digits", IMEI[-4:])
        await answer(pilot, run, "name", "Ann [b]Tech[/b]")
        await finished(pilot, run)
        assert run.certificate is not None and run.certificate["result"] == "erased", run.certificate
        assert run.certificate["operator"] == "Ann [b]Tech[/b]"  # text, never markup
        assert "certificate" in shown(app) and "erased, verified" in shown(app)
        view = app.model.slots[run.slot]
        assert view.status() == "erased" and run.certificate["report_id"][:8] in view.reason()
        assert [line for line in run.lines if "left the bench" in line or "back on USB" in line]
        phone = app.supervisor.phones[UDID.replace("-", "").upper()]  # still in its slot
        assert phone.slot == run.slot and phone.session is None and phone.erased  # and no session by itself
    capsys.readouterr()
    assert main(["verify", str(tmp_path / "out")]) == 0


async def test_erasing_a_simulated_android_phone_while_the_technician_wipes_it_in_recovery(
        bench: Callable[..., BenchApp], adbd: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The dialog walks through the recovery menu while the agent watches; then it verifies."""
    sim = adbd(make_fixture("tui-wipe", commands=commands()))
    app = bench()
    async with app.run_test(size=(120, 40)) as pilot:
        run = await start_erase(pilot)
        await answer(pilot, run, "digits", IMEI[-4:])
        await answer(pilot, run, "name", "Bo")
        await wait_for(pilot, lambda: run.recovery and "Wipe data/factory reset" in shown(app), "the recovery menu",
                       limit=3000)
        sim.wipe()  # the technician's menu step
        await finished(pilot, run)
        assert run.certificate is not None and run.certificate["result"] == "erased", run.certificate
        assert run.certificate["verification"]["by"] == "agent" and run.certificate["operator"] == "Bo"
    capsys.readouterr()
    assert main(["verify", str(tmp_path / "out")]) == 0


async def test_find_my_on_is_refused_in_the_tui_with_what_to_do(bench: Callable[..., BenchApp], usbmuxd: Any) -> None:
    sim = usbmuxd()
    sim.plug(iphone(find_my=True))
    app = bench(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        run = await start_erase(pilot)
        await wait_for(pilot, lambda: run.finished, "the refusal")
        assert run.phase == "refused" and run.certificate is None
        assert "Find My is on" in shown(app) and "sign out of the Apple ID" in shown(app) and "--force" not in shown(app)
        assert app.model.slots[run.slot].erase_state is None  # nothing was erased: the card keeps its look


async def test_a_google_account_is_refused_in_the_tui(bench: Callable[..., BenchApp], adbd: Any) -> None:
    sim = adbd(make_fixture("tui-google", commands=commands(accounts=GOOGLE)))
    app = bench()
    async with app.run_test(size=(120, 40)) as pilot:
        run = await start_erase(pilot)
        await wait_for(pilot, lambda: run.finished, "the refusal")
        assert run.phase == "refused" and "Settings > Accounts" in shown(app) and "someone@" not in shown(app)
    assert sim.fixture.android is not None and sim.fixture.android.state == "device"  # never rebooted


async def test_a_wrong_last_four_erases_nothing(bench: Callable[..., BenchApp], usbmuxd: Any) -> None:
    sim = usbmuxd()
    sim.plug(iphone(find_my=False))
    app = bench(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        run = await start_erase(pilot)
        await answer(pilot, run, "digits", "0000")
        await wait_for(pilot, lambda: run.finished, "the refusal")
        assert run.phase == "refused" and "last four" in shown(app)


async def test_keys_typed_behind_enter_in_the_erase_dialog_never_reach_the_signed_name(
        bench: Callable[..., BenchApp], usbmuxd: Any) -> None:
    """``Bob Enter zz`` in one burst: the certificate's operator is "Bob" (Enter answers with
    what was typed before it; the keys behind it were for no question on screen)."""
    sim = usbmuxd()
    sim.plug(iphone(find_my=False))
    app = bench(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        run = await start_erase(pilot)
        await answer(pilot, run, "digits", IMEI[-4:])
        await wait_for(pilot, lambda: run.prompt is not None and run.prompt.kind == "name" and isinstance(
            app.screen, EraseDialog) and app.screen.focused is app.screen.query_one("#erase-answer", Input),
            "the name prompt")
        burst(app, ["B", "o", "x", "backspace", "b", "enter", "z", "z"])
        await finished(pilot, run)
        assert run.certificate is not None and run.certificate["operator"] == "Bob"


async def test_an_iphone_unplugged_mid_erase_in_the_tui_is_not_verified(
        bench: Callable[..., BenchApp], usbmuxd: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The phone is pulled while it erases: the certificate and the card say not verified."""
    sim = usbmuxd(2.0)
    sim.plug(iphone(find_my=False))
    app = bench(sim)
    app.erase_wait_s = 4.0
    async with app.run_test(size=(120, 40)) as pilot:
        run = await start_erase(pilot)
        await answer(pilot, run, "digits", IMEI[-4:])
        await answer(pilot, run, "name", "Cy")
        await wait_for(pilot, lambda: UDID in sim._returning, "the phone away", limit=3000)
        sim.unplug(UDID)
        await finished(pilot, run)
        assert run.certificate is not None and run.certificate["result"] == "not_verified"
        assert app.model.slots[run.slot].status() == "erase not verified"
        assert "erase NOT verified" in shown(app)
    capsys.readouterr()
    assert main(["verify", str(tmp_path / "out")]) == 0


async def test_a_name_with_control_characters_or_too_long_is_refused_and_asked_again(
        bench: Callable[..., BenchApp], usbmuxd: Any) -> None:
    """The CLI's rule for a typed name: refused with a line saying why, never silently cleaned."""
    sim = usbmuxd()
    sim.plug(iphone(find_my=False))
    app = bench(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        run = await start_erase(pilot)
        await answer(pilot, run, "digits", IMEI[-4:])
        await answer(pilot, run, "name", "A" * 70, paste=True)
        await wait_for(pilot, lambda: run.prompt is not None and "at most 64" in run.prompt.text, "the name refused")
        assert run.prompt.kind == "name" and "Type your name again" in shown(app)
        app.screen.query_one("#erase-answer", Input).value = "Ann\x1b[31m"  # pasted with an escape sequence
        await pilot.press("enter")
        await wait_for(pilot, lambda: run.prompt is not None and "control characters" in run.prompt.text,
                       "the name refused again")
        await pilot.press(*"Ann", "enter")
        await finished(pilot, run)
        assert run.certificate is not None and run.certificate["operator"] == "Ann"
