"""PmdIosLink over the real pymobiledevice3 and the fake usbmuxd: same answers as the
replay link, and the errors a technician can act on."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from agent import paths
from agent.errors import LinkDisconnected, LinkError, LinkTimeout
from agent.fixtures.format import Fixture
from agent.links.ios import PmdIosLink, TrustDenied, TrustPending
from agent.links.replay import ReplayIosLink
from agent.simulator.usbmuxd import UsbmuxdSimulator
from checks.commands import IOREG_BATTERY, LOCKDOWN_BATTERY, LOCKDOWN_DEFAULT
from tests.simulator_ios.conftest import UDID, faults, ios_fixture

READS: list[tuple[str, str, str | None]] = [
    ("lockdown", LOCKDOWN_DEFAULT, None),
    ("lockdown", LOCKDOWN_DEFAULT, "ProductType"),
    ("lockdown", LOCKDOWN_DEFAULT, "NoSuchKey"),
    ("lockdown", LOCKDOWN_BATTERY, None),
    ("lockdown", LOCKDOWN_BATTERY, "BatteryCurrentCapacity"),
    ("lockdown", "com.apple.no.such.domain", None),
    ("ioregistry", IOREG_BATTERY, None),
    ("ioregistry", "NoSuchEntry", None),
]


async def _read(link: Any, read: tuple[str, str, str | None], timeout: float = 10) -> Any:
    kind, name, key = read
    if kind == "ioregistry":
        return await link.ioregistry(name, timeout=timeout)
    return await link.lockdown_value(name, key, timeout=timeout)


def _with_link(udid: str, body: Callable[[PmdIosLink], Awaitable[Any]]) -> Any:
    async def run() -> Any:
        link = PmdIosLink(udid)
        try:
            return await body(link)
        finally:
            await link.close()

    return asyncio.run(run())


def _replay(fixture: Fixture) -> list[Any]:
    link = ReplayIosLink(fixture)
    return asyncio.run(_all(link))


async def _all(link: Any) -> list[Any]:
    return [await _read(link, read) for read in READS]


def test_live_reads_equal_the_replay_of_the_same_fixture(usbmuxd: UsbmuxdSimulator) -> None:
    fixture = ios_fixture()
    usbmuxd.plug(fixture)
    assert _with_link(UDID, _all) == _replay(fixture)


def test_garbage_faults_answer_what_the_replay_answers(usbmuxd: UsbmuxdSimulator) -> None:
    garbage = faults(("garbage", f"lockdown:{LOCKDOWN_BATTERY}"), ("garbage", f"ioregistry:{IOREG_BATTERY}"))
    fixture = ios_fixture(faults=garbage)
    usbmuxd.plug(fixture)
    live = _with_link(UDID, _all)
    assert live == _replay(fixture)
    assert live[3] != fixture.ios.lockdown[LOCKDOWN_BATTERY]  # type: ignore[union-attr]


def test_pair_records_are_kept_in_the_station_folder(usbmuxd: UsbmuxdSimulator) -> None:
    usbmuxd.plug(ios_fixture())
    _with_link(UDID, lambda link: link.connect())
    assert (paths.data_dir() / "pair_records" / f"{UDID}.plist").is_file()


def test_trust_pending_guides_the_technician_then_works_once_trusted(usbmuxd: UsbmuxdSimulator) -> None:
    usbmuxd.plug(ios_fixture(pairing="trust_pending"))

    async def body(link: PmdIosLink) -> Any:
        with pytest.raises(TrustPending, match="Tap Trust on the phone and enter its passcode"):
            await link.lockdown_value("", "ProductType")
        await asyncio.to_thread(usbmuxd.trust, UDID)
        return await link.lockdown_value("", "ProductType")

    assert _with_link(UDID, body) == "iPhone12,1"


def test_a_denied_trust_says_the_phone_refused(usbmuxd: UsbmuxdSimulator) -> None:
    usbmuxd.plug(ios_fixture(pairing="denied"))
    with pytest.raises(TrustDenied, match="The phone refused to trust this station"):
        _with_link(UDID, lambda link: link.lockdown_value("", "ProductType"))


def test_a_disconnect_fault_unplugs_the_phone_for_good(usbmuxd: UsbmuxdSimulator) -> None:
    usbmuxd.plug(ios_fixture(faults=faults(("disconnect", f"lockdown:{LOCKDOWN_BATTERY}"))))

    async def body(link: PmdIosLink) -> list[str]:
        assert await link.lockdown_value("", "ProductType") == "iPhone12,1"
        raised = []
        for read in (LOCKDOWN_BATTERY, LOCKDOWN_DEFAULT):
            with pytest.raises(LinkDisconnected) as info:
                await link.lockdown_value(read)
            raised.append(str(info.value))
        return raised

    raised = _with_link(UDID, body)
    assert all(UDID in message for message in raised)
    assert usbmuxd.udids == []


def test_a_hang_fault_times_out_and_other_reads_still_work(usbmuxd: UsbmuxdSimulator) -> None:
    usbmuxd.plug(ios_fixture(faults=faults(("hang", f"ioregistry:{IOREG_BATTERY}"))))

    async def body(link: PmdIosLink) -> Any:
        with pytest.raises(LinkTimeout, match="did not answer within 0.5 s"):
            await link.ioregistry(IOREG_BATTERY, timeout=0.5)
        return await link.lockdown_value(LOCKDOWN_BATTERY, "BatteryCurrentCapacity")

    assert _with_link(UDID, body) == 87


def test_a_phone_slower_than_the_timeout_times_out(usbmuxd: UsbmuxdSimulator) -> None:
    usbmuxd.plug(ios_fixture(delay_ms=3000))
    with pytest.raises(LinkTimeout):
        _with_link(UDID, lambda link: link.lockdown_value(LOCKDOWN_BATTERY, timeout=0.3))


def test_a_phone_that_is_not_plugged_in_is_disconnected(usbmuxd: UsbmuxdSimulator) -> None:
    with pytest.raises(LinkDisconnected, match=UDID):
        _with_link(UDID, lambda link: link.connect())


def test_no_usbmuxd_is_a_link_error_that_says_so(usbmuxd: UsbmuxdSimulator) -> None:
    usbmuxd.stop()
    with pytest.raises(LinkError, match="cannot reach usbmuxd"):
        _with_link(UDID, lambda link: link.connect())


def test_eight_phones_answer_at_once_through_one_usbmuxd(usbmuxd: UsbmuxdSimulator) -> None:
    udids = [f"00008030-00{i:014X}" for i in range(8)]
    fixtures = [ios_fixture(udid) for udid in udids]
    for fixture in fixtures:
        usbmuxd.plug(fixture)

    async def one(udid: str) -> list[Any]:
        link = PmdIosLink(udid)
        try:
            return await _all(link)
        finally:
            await link.close()

    async def run() -> list[list[Any]]:
        return await asyncio.gather(*(one(udid) for udid in udids))

    assert asyncio.run(run()) == [_replay(fixture) for fixture in fixtures]


async def _outcome(link: Any, read: tuple[str, str, str | None], timeout: float) -> Any:
    """The value a read gives, or the name of the error it raises."""
    try:
        return await _read(link, read, timeout=timeout)
    except LinkError as e:
        return type(e).__name__


@pytest.mark.parametrize("kind", ["disconnect", "hang", "garbage"])
@pytest.mark.parametrize("read", [READS[1], READS[6]], ids=["lockdown", "ioregistry"])
def test_faults_everywhere_end_as_the_replay_ends(
    usbmuxd: UsbmuxdSimulator, kind: str, read: tuple[str, str, str | None]
) -> None:
    fixture = ios_fixture(faults=faults((kind, "*")))
    usbmuxd.plug(fixture)
    timeout = 0.5 if kind == "hang" else 10  # the first read also pairs: give it room on a busy machine
    live = _with_link(UDID, lambda link: _outcome(link, read, timeout))
    assert live == asyncio.run(_outcome(ReplayIosLink(fixture), read, timeout))
    assert live != asyncio.run(_outcome(ReplayIosLink(ios_fixture()), read, timeout))
