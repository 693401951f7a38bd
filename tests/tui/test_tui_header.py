"""The header line: phones waiting on a question are counted as needing the technician, apart
from the ones still checking; counts of zero are left out, and it fits 80 columns."""

from __future__ import annotations

from typing import Any

import pytest

from agent.questions import ALL
from agent.session.events import PhoneRef, PhoneSeen, QuestionAsked, SessionStarted, SlotEvent
from tests.tui.conftest import scripted_app, wait_for

pytestmark = pytest.mark.anyio


def _checking(slot: int) -> list[Any]:
    phone = PhoneRef(f"SER{slot}", "android", slot)
    return [PhoneSeen(slot, phone, "checking"),
            SlotEvent(slot, SessionStarted(f"s{slot}", phone, "replay:x", ("identity", "screen")))]


def _asking(slot: int) -> list[Any]:
    phone = PhoneRef(f"SER{slot}", "android", slot)
    return [*_checking(slot), SlotEvent(slot, QuestionAsked(f"s{slot}", phone, ALL["cosmetic_grade"]))]


def _waiting(slot: int) -> list[Any]:
    return [PhoneSeen(slot, PhoneRef(f"SER{slot}", "android", slot), "unauthorized", "Allow USB debugging")]


async def _header(events: list[Any], slots: int) -> str:
    app = scripted_app(events)
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: len(app.model.slots) == slots and _applied(app, events), "the scripted bench")
        return str(app.status_line.render())


def _applied(app: Any, events: list[Any]) -> bool:
    """Each slot's last scripted event is on the model (a question asked shows as asking)."""
    asked = {e.slot for e in events if isinstance(e, SlotEvent) and isinstance(e.event, QuestionAsked)}
    return all(app.model.slots[slot].asking for slot in asked)


@pytest.mark.parametrize(
    ("events", "slots", "counts"),
    [
        ([*_checking(1), *_asking(2), *_waiting(3)], 3, "3 phones: 1 needs you, 1 checking, 0 done, 1 waiting"),
        ([*_asking(1), *_asking(2)], 2, "2 phones: 2 need you, 0 done"),
        ([*_checking(1), *_checking(2)], 2, "2 phones: 2 checking, 0 done"),
    ],
)
async def test_phones_with_a_question_open_are_counted_apart_from_checking(events: list[Any], slots: int, counts: str) -> None:
    assert await _header(events, slots) == f"phonebench · default · {counts}"


async def test_at_80_columns_the_header_drops_the_names_rather_than_a_count() -> None:
    events = [*_checking(1), *_asking(2), *_waiting(3)]
    broken = PhoneSeen(8, PhoneRef("SER8", "android", 8), "error", "adb: no such device")
    app = scripted_app([*events, *_asking(4), *_checking(5), *_waiting(6), *_waiting(7), broken])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: len(app.model.slots) == 8, "the scripted bench")
        header = str(app.status_line.render())
    assert header == "default · 8 phones: 2 need you, 2 checking, 0 done, 3 waiting, 1 error"
