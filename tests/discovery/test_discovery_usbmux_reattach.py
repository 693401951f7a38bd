"""usbmuxd's list, phone by phone: a phone leaves with its last entry, and a new USB entry
while an older one is still listed is a re-plug whose Detached comes late."""

from __future__ import annotations

from agent.discovery.usbmux import attach_changes

UDID = "00008110-001C45E83A0B401E"
OTHER = "00008030-000A1C2E3E02802E"


def test_a_phone_attached_and_detached_is_present_then_gone() -> None:
    assert attach_changes({}, {1: (UDID, True)}) == [(UDID, True)]
    assert attach_changes({1: (UDID, True)}, {}) == [(UDID, False)]


def test_plugged_in_again_under_a_new_device_id_before_the_old_one_is_detached_leaves_then_arrives() -> None:
    assert attach_changes({1: (UDID, True)}, {1: (UDID, True), 2: (UDID, True)}) == [(UDID, False), (UDID, True)]
    assert attach_changes({1: (UDID, True), 2: (UDID, True)}, {2: (UDID, True)}) == []  # the late Detached


def test_the_same_phone_on_wifi_too_is_one_phone_that_leaves_with_its_last_entry() -> None:
    assert attach_changes({1: (UDID, True)}, {1: (UDID, True), 2: (UDID, False)}) == []
    assert attach_changes({1: (UDID, True), 2: (UDID, False)}, {2: (UDID, False)}) == []
    assert attach_changes({2: (UDID, False)}, {}) == [(UDID, False)]


def test_other_phones_are_not_touched() -> None:
    assert attach_changes({1: (UDID, True)}, {1: (UDID, True), 3: (OTHER, True)}) == [(OTHER, True)]
