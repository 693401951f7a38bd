"""Cards that say where the phone is and what to do, and `p` for a phone's label: to the
station's printer (a TCP listener on 127.0.0.1 stands in for it), else into a PDF file."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agent import paths
from agent.delivery.labels import report_layout
from agent.erasure.job import EraseOptions
from agent.erasure.shift import ShiftStore
from agent.session.events import PhoneRef, PhoneSeen
from agent.tui.erase_flow import EraseRun
from agent.tui.model import clamp_lines
from agent.tui.render import phone_details
from agent.tui.widgets.bench_card import BenchCard
from agent.tui.widgets.phone_view import PhoneView
from tests.tui.conftest import recorded_session, scripted_app, simulated_ports_bench, wait_for

pytestmark = pytest.mark.anyio


def _config(text: str) -> None:
    paths.config_path().parent.mkdir(parents=True, exist_ok=True)
    paths.config_path().write_text(text)


async def test_p_on_a_card_prints_its_phones_label_on_the_configured_printer(tmp_path: Path, tcp_printer: Any) -> None:
    port, received = tcp_printer
    _config(f'printer: {{tcp: "127.0.0.1:{port}"}}\n')
    app = scripted_app(await recorded_session("pixel-7.yaml", 1, tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.model.slots and app.model.slots[1].report is not None, "the report")
        app.query_one("#slot-1", BenchCard).focus()
        await pilot.press("p")
        await wait_for(pilot, lambda: any("label sent" in line for line in app.model.slots[1].log), "the label")
    (job,) = received
    assert job.startswith(b"^XA") and job.rstrip().endswith(b"^XZ")
    assert b"Pixel 7" in job


async def test_p_after_an_erase_here_adds_the_data_erased_line(tmp_path: Path, tcp_printer: Any) -> None:
    """A phone erased from this bench after its report: its label says so, as `phonebench label
    --erasure` does; another phone's certificate adds nothing."""
    port, received = tcp_printer
    _config(f'printer: {{tcp: "127.0.0.1:{port}"}}\n')
    app = scripted_app(await recorded_session("pixel-7.yaml", 1, tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.model.slots and app.model.slots[1].report is not None, "the report")
        report = app.model.slots[1].report
        run = EraseRun(1, "Pixel 7", None, EraseOptions(), None, ShiftStore(8))  # type: ignore[arg-type]
        run.certificate = {"device": {"serial": report["device"]["serial"]}, "result": "erased",
                           "finished_at": "2999-01-02T03:04:05Z", "sanitization": {"method": "purge"}}
        app.erases[1] = run
        app.query_one("#slot-1", BenchCard).focus()
        await pilot.press("p")
        await wait_for(pilot, lambda: len(received) == 1, "the label")
    assert b"Data erased (Purge)" in received[0] and b"2999-01-02" in received[0]
    other = dict(run.certificate, device={"serial": "ANOTHER"})
    assert not [line for line in report_layout(report, certificates=[other]).lines if "erased" in line.text]


async def test_p_in_the_phone_view_without_a_printer_writes_a_pdf_and_says_where(tmp_path: Path) -> None:
    app = scripted_app(await recorded_session("pixel-7.yaml", 1, tmp_path))
    app.label_folder = tmp_path / "labels"
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.model.slots and app.model.slots[1].report is not None, "the report")
        await pilot.press("enter")
        assert isinstance(app.screen, PhoneView)
        await pilot.press("p")
        await wait_for(pilot, lambda: any("label written" in line for line in app.model.slots[1].log), "the label")
    (pdf,) = (tmp_path / "labels").iterdir()
    assert pdf.name == "00000000-0000-4000-8000-000000000001.label.pdf" and pdf.read_bytes().startswith(b"%PDF")
    assert f"label written to {pdf}" in app.model.slots[1].log[-1]


async def test_p_before_a_report_prints_nothing_and_says_so(tmp_path: Path, tcp_printer: Any) -> None:
    port, received = tcp_printer
    _config(f'printer: {{tcp: "127.0.0.1:{port}"}}\n')
    app = scripted_app([PhoneSeen(1, PhoneRef("127.0.0.1:42955", "android", 1), "unauthorized", port="1-1.3")])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: 1 in app.model.slots, "the card")
        app.query_one("#slot-1", BenchCard).focus()
        await pilot.press("p")
        await pilot.pause()
    assert received == [] and app.label_folder.expanduser().exists() is False


async def test_a_card_shows_its_ports_name_and_an_unidentified_phone_its_port_and_state() -> None:
    app = scripted_app([PhoneSeen(1, PhoneRef("127.0.0.1:42955", "android", 1), "unauthorized", port="1-1.3",
                                  port_name="left 3"),
                        PhoneSeen(2, PhoneRef("0123456789ABCDEF", "ios", 2), "trust_pending", port="2-1")])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: len(app.model.slots) == 2, "two cards")
        one, two = app.query_one("#slot-1", BenchCard), app.query_one("#slot-2", BenchCard)
        assert one.border_title == "1 · Android · left 3" and two.border_title == "2 · iPhone · 2-1"
        assert str(one.name_label.render()) == "Android at port left 3"
        assert str(two.name_label.render()) == "iPhone at port 2-1"
        assert str(two.status_label.render()) == "waiting for Trust"
        shown = [str(label.render()) for card in (one, two) for label in (card.name_label, card.status_label)]
        assert not any("127.0.0.1" in s or "0123456789ABCDEF" in s for s in shown)


async def test_a_long_reason_wraps_onto_two_lines_and_the_phone_view_has_it_whole() -> None:
    why = "Allow USB debugging on the phone (tick 'Always allow from this computer')"
    app = scripted_app([PhoneSeen(n, PhoneRef(f"X{n}", "android", n), "unauthorized", why, port=f"1-1.{n}")
                        for n in (1, 2, 3)])  # three cards: a row of 80 columns
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: len(app.model.slots) == 3, "the cards")
        card = app.query_one("#slot-1", BenchCard)
        drawn = str(card.reason_label.render()).split("\n")
        assert len(drawn) == 2 and drawn[0] == "Allow USB debugging on" and drawn[1].endswith("…")
        await pilot.press("enter")
        assert isinstance(app.screen, PhoneView)
    assert why in _plain(phone_details(app.model.slots[1]))


def _plain(renderable: Any) -> str:
    import io

    from rich.console import Console

    console = Console(width=200, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def test_clamp_lines_wraps_at_words_and_marks_what_it_left_out() -> None:
    assert clamp_lines("storage: storage size is not one the model was sold with", 22, 2) == [
        "storage: storage size", "is not one the model…"]
    assert clamp_lines("all checks pass", 22, 2) == ["all checks pass"]
    assert clamp_lines("x" * 30, 10, 2) == ["xxxxxxxxxx", "xxxxxxxxx…"]
    assert clamp_lines("anything", 0, 2) == []


async def test_at_80_columns_a_card_keeps_its_port_and_whole_state_readable(tmp_path: Path) -> None:
    """Three cards of 22 columns inside: the title shortens the platform, not the port, and
    "incomplete · unplugged" is not cut; a wider terminal spells the platform out again."""
    app = scripted_app(await simulated_ports_bench(tmp_path / "out"))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: len(app.model.slots) == 3 and app.model.slots[4].unplugged, "the three cards")
        cards = {slot: app.query_one(f"#slot-{slot}", BenchCard) for slot in (2, 3, 4)}
        assert [cards[s].border_title for s in (2, 3, 4)] == ["2 · And · sim-1.2", "3 · iOS · sim-1.3", "4 · And · sim-1.4"]
        status = cards[4].status_label
        assert str(status.render()) == "incomplete · unplugged" and status.content_size.width >= len("incomplete · unplugged")
        await pilot.resize_terminal(160, 40)
        await wait_for(pilot, lambda: cards[4].border_title == "4 · Android · sim-1.4", "the platform spelled out")
