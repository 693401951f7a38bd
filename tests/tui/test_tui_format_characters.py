"""A phone's name with bidi overrides, isolates or zero-width characters is shown with
those characters escaped (``\\u202e``), in the summary, on the card and in the phone view,
so it cannot make a line read backwards or pass for another phone's name."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from rich.console import Console

from agent.check import CheckResult, Metric
from agent.report.summary import render_row, render_summary
from agent.session.events import CheckFinished, DeviceIdentified, PhoneRef, PhoneSeen, SessionStarted, SlotEvent
from agent.text import inert, printable
from agent.tui.model import SlotView, check_dict
from agent.tui.render import phone_details
from agent.tui.widgets.bench_card import BenchCard
from tests.tui.conftest import scripted_app, wait_for

#: "Pixel 7" then an override that makes the rest, a fake verdict, read right to left
MODEL = "Pixel 7\u202e\u2066A edarg\u2069\u200b\ufeff\u2028x"
ESCAPED = "Pixel 7\\u202e\\u2066A edarg\\u2069\\u200b\\ufeff\\u2028x"


def _hidden(text: str) -> list[str]:
    """Every character in ``text`` that a terminal would not show as itself."""
    return [f"U+{ord(c):04X}" for c in text if unicodedata.category(c) in ("Cf", "Cc", "Zl", "Zp") and c != "\n"]


@pytest.mark.parametrize("char", ["\u202e", "\u202d", "\u2066", "\u2067", "\u2068", "\u2069", "\u200b", "\u200e",
                                  "\u200f", "\u061c", "\ufeff", "\u00ad", "\U000e0041", "\u2028", "\u2029"])
def test_printable_escapes_every_format_character(char: str) -> None:
    code = ord(char)
    assert printable(f"a{char}b") == (f"a\\u{code:04x}b" if code <= 0xFFFF else f"a\\U{code:08x}b")
    assert inert(f"a{char}b") == "a?b"


def test_printable_still_escapes_c0_and_c1_and_keeps_ordinary_text() -> None:
    assert printable("\x1b[2J\x9b1m\x00") == "\\x1b[2J\\x9b1m\\x00"
    assert printable("Galaxy S23 Ultra · 256 GB · é ü 中文 📱") == "Galaxy S23 Ultra · 256 GB · é ü 中文 📱"


def _report() -> dict[str, Any]:
    return {
        "report_id": "0" * 8 + "-0000-0000-0000-" + "0" * 12,
        "station": {"key_id": "sha256:" + "0" * 64},
        "profile": {"name": "default"},
        "session": {"complete": True},
        "device": {"platform": "android", "os_version": "14\u202e", "model": MODEL, "serial": "SER\u2066IAL"},
        "checks": [{"name": "battery", "verdict": "review", "outcome": "error", "detail": "said \u202eti",
                    "metrics": {}, "reasons": ["battery error: \u2067x"]}],
        "grade": {"value": "review", "reasons": ["why \u200b"]},
    }


def test_the_summary_escapes_format_characters_in_the_phones_strings() -> None:
    shown = render_summary(_report()) + "\n" + render_row("f.json", _report(), None)
    assert _hidden(shown) == []
    assert f"model {ESCAPED}, serial SER\\u2066IAL" in shown and "said \\u202eti" in shown


def _view() -> SlotView:
    view = SlotView(slot=1, device_id="SER", platform="android", model=MODEL)
    view.device = {"model": MODEL, "manufacturer": "Goo\u202egle", "serial": "SER\u2066IAL"}
    view.checks["battery"] = check_dict("battery", CheckResult(
        "measured", {"technology": Metric("Li\u202eion", "dumpsys battery")}, detail="d\u200bd"))
    return view


def test_the_phone_view_escapes_format_characters_in_the_phones_strings() -> None:
    console = Console(record=True, width=300, color_system=None)
    console.print(phone_details(_view()))
    shown = console.export_text()
    assert _hidden(shown) == []
    for escaped in (ESCAPED, "Goo\\u202egle", "SER\\u2066IAL", "Li\\u202eion", "d\\u200bd"):
        assert escaped in shown


@pytest.mark.anyio
async def test_the_card_escapes_format_characters_in_the_phones_name() -> None:
    phone = PhoneRef("SER", "android", 1, MODEL)
    app = scripted_app([
        PhoneSeen(1, PhoneRef("SER", "android", 1), "checking"),
        SlotEvent(1, SessionStarted("s", phone, "replay:x", ("identity",))),
        SlotEvent(1, DeviceIdentified("s", phone, {"platform": "android", "model": MODEL, "serial": "SER"})),
    ])
    async with app.run_test(size=(200, 40)) as pilot:
        await wait_for(pilot, lambda: 1 in app.model.slots and app.model.slots[1].device, "the phone")
        await pilot.pause()
        name = str(app.query_one(BenchCard).name_label.render())
        assert name == ESCAPED and _hidden(name) == []
