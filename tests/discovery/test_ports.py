"""USB ports in one normal form, whichever source saw the phone; slots that follow ports."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from agent.ports import Port, location_path, normal_path, pyusb_path
from agent.session.slots import SlotMap


@pytest.mark.parametrize(("raw", "path"), [
    ("usb:1-1.3", "1-1.3"), ("1-1.3", "1-1.3"), ("3-2", "3-2"), ("sim-1.4", "sim-1.4"),
    ("usb:336592896X", None), ("192.168.1.20:5555", None), ("", None), (None, None), ("1-0", None),
    ("1-1.3; rm -rf /", None),
])
def test_adb_usb_tags_become_the_kernel_port_path_and_nothing_else_does(raw: str | None, path: str | None) -> None:
    assert normal_path(raw) == path


def test_pyusb_bus_and_port_numbers_make_the_same_path() -> None:
    assert pyusb_path(1, (1, 3)) == "1-1.3"
    assert pyusb_path(2, []) is None  # a root hub has no port


def _device(sysfs: Path, name: str, bus: int, address: int) -> None:
    (sysfs / name).mkdir(parents=True)
    (sysfs / name / "busnum").write_text(f"{bus}\n")
    (sysfs / name / "devnum").write_text(f"{address}\n")


def test_a_linux_usbmuxd_location_is_found_in_sysfs_by_bus_and_address(tmp_path: Path) -> None:
    """libimobiledevice's usbmuxd says (bus << 16) | address; sysfs names that device by its port."""
    _device(tmp_path, "1-1", 1, 2)
    _device(tmp_path, "1-1.3", 1, 14)
    _device(tmp_path, "usb1", 1, 1)  # a root hub's folder is not a port path
    assert location_path((1 << 16) | 14, tmp_path, "linux") == "1-1.3"
    assert location_path((2 << 16) | 14, tmp_path, "linux") == "usbmux:0x0002000e"  # not there: kept as the location
    assert location_path((1 << 16) | 14, tmp_path / "none", "linux") == "usbmux:0x0001000e"  # no sysfs


def test_a_macos_location_id_reads_as_bus_then_a_port_a_nibble() -> None:
    assert location_path(0x14130000, platform="darwin") == "20-1.3"
    assert location_path(0x00010005, platform="darwin") == "usbmux:0x00010005"  # no bus byte: not IOKit's form


def test_a_port_in_a_report_says_path_name_and_location_in_hex() -> None:
    assert Port("1-1.3", "left 3", 0x1000E).to_json() == {"path": "1-1.3", "name": "left 3", "usbmux_location": "0x0001000e"}
    assert Port("1-1.3").physical and not Port("sim-1.3").physical and not Port("usbmux:0x0001000e").physical


def test_a_port_keeps_its_slot_across_runs_through_the_store(tmp_path: Path) -> None:
    store = tmp_path / "state" / "slots.json"
    first = SlotMap(store=store)
    assert [first.assign("A", "1-1.3"), first.assign("B", "1-1.4"), first.assign("C", None)] == [1, 2, 3]
    again = SlotMap(store=store)  # the next run: other phones, the same sockets, plugged in the other order
    assert again.assign("D", "1-1.4") == 2
    assert again.assign("E", None) == 3  # a network phone takes the lowest slot no port holds or had
    assert again.assign("F", "1-1.3") == 1
    assert again.assign("G", "1-1.5") == 4  # a new port: the next free slot, remembered from now on
    assert json.loads(store.read_text())["ports"] == {"1-1.3": 1, "1-1.4": 2, "1-1.5": 4}


def test_a_remembered_port_keeps_its_slot_free_while_it_is_empty(tmp_path: Path) -> None:
    store = tmp_path / "slots.json"
    SlotMap(store=store).assign("A", "1-1.3")
    bench = SlotMap(store=store)
    assert bench.assign("B", None) == 2  # slot 1 waits for port 1-1.3
    assert bench.assign("C", "1-1.3") == 1


def test_the_config_wins_over_the_store_and_names_ports(tmp_path: Path) -> None:
    store = tmp_path / "slots.json"
    SlotMap(store=store).assign("A", "1-1.3")  # remembered as slot 1
    bench = SlotMap({"1-1.9": 1}, {"1-1.9": "left 1"}, store)
    assert bench.assign("B", "1-1.9") == 1
    assert bench.assign("C", "1-1.3") == 2
    assert bench.port("1-1.9", 0x1000E) == Port("1-1.9", "left 1", 0x1000E)
    assert bench.port(None, 0x1000E) == Port("usbmux:0x0001000e", None, 0x1000E)
    assert bench.port(None) is None


def test_simulated_and_usbmux_only_ports_are_not_remembered(tmp_path: Path) -> None:
    store = tmp_path / "slots.json"
    bench = SlotMap(store=store)
    bench.assign("A", "sim-1.1")
    bench.assign("B", "usbmux:0x0001000e")
    assert not store.exists()


def test_a_store_that_is_not_ours_is_set_aside_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = tmp_path / "slots.json"
    store.write_text('{"ports": {"1-1.3": 4}}')
    with caplog.at_level(logging.WARNING):
        assert SlotMap(store=store).assign("A", "1-1.3") == 1
    assert "not a phonebench-slots/1 file" in caplog.text
    store.write_text("{")
    assert SlotMap(store=store).remembered == {}


def test_a_binary_protocol_usbmuxd_device_record_gives_its_location_too() -> None:
    """The older binary protocol (no plist): its ADD record carries ``location`` itself; a REMOVE
    takes the phone off the connection's list. Packets built with pymobiledevice3's own structs,
    sent over a socket pair to its own BinaryMuxConnection."""
    import asyncio
    import socket

    from pymobiledevice3.usbmux import (
        BinaryMuxConnection,
        UsbmuxdDeviceRecord,
        UsbmuxdMessageType,
        UsbmuxdRemoveData,
        build_usbmuxd_request,
    )

    from agent.discovery.usbmux import receive_with_locations

    async def go() -> tuple[dict[int, int], list[str], dict[int, int], list[str]]:
        ours, theirs = socket.socketpair()
        with ours, theirs:
            ours.setblocking(False)
            mux = BinaryMuxConnection(ours)
            record = UsbmuxdDeviceRecord(7, 0x12A8, "00008110001C45E83A0B401E", 0x0001000E).build()
            theirs.sendall(build_usbmuxd_request(0, UsbmuxdMessageType.ADD, 0, record))
            added = await receive_with_locations(mux)
            listed = [d.serial for d in mux.devices]
            theirs.sendall(build_usbmuxd_request(0, UsbmuxdMessageType.REMOVE, 0, UsbmuxdRemoveData(7).build()))
            removed = await receive_with_locations(mux)
            return added, listed, removed, [d.serial for d in mux.devices]

    added, listed, removed, left = asyncio.run(go())
    assert added == {7: 0x0001000E} and listed == ["00008110001C45E83A0B401E"]
    assert removed == {} and left == []


def test_a_simulated_bench_remembers_its_simulated_ports_in_its_own_store(tmp_path: Path) -> None:
    store = tmp_path / "demo" / "slots.json"
    first = SlotMap(store=store, remember_simulated=True)
    assert [first.assign(k, p) for k, p in (("A", "sim-1.1"), ("B", "sim-1.2"), ("C", "sim-1.3"))] == [1, 2, 3]
    again = SlotMap(store=store, remember_simulated=True)  # the next run: new serials, plugged in another order
    assert [again.assign(k, p) for k, p in (("Z", "sim-1.3"), ("Y", "sim-1.1"), ("X", "sim-1.2"))] == [3, 1, 2]
    assert SlotMap(store=store).remembered == {}  # a station reading such a file takes no simulated port


def test_unfinished_simulated_android_phones_are_known_again_by_port_and_serial() -> None:
    from agent.session.journal import Unfinished
    from agent.session.resume import Resumer

    def entry(device_id: str, port: str, serial: str) -> Unfinished:
        return Unfinished("s-" + port, device_id.upper(), device_id, "android", 3, None, "simulated", None,
                          {"serial": serial}, "Galaxy S23", "now", {}, {}, {"path": port, "name": None, "usbmux_location": None})

    resumer = Resumer.__new__(Resumer)
    resumer.waiting = {"127.0.0.1:4001": entry("127.0.0.1:4001", "sim-1.3", "R5CW30ABCDE"),
                       "R58M1234": entry("R58M1234", "1-1.3", "R58M1234")}
    assert resumer.adopt("127.0.0.1:5001", "android", "sim-1.3", "OTHER") is None  # another phone in that port
    assert resumer.adopt("127.0.0.1:5001", "ios", "sim-1.3", "R5CW30ABCDE") is None
    assert resumer.adopt("R58M9999", "android", "1-1.3", "R58M1234") is None  # real phones: by their own key only
    assert resumer.adopt("127.0.0.1:5001", "android", "sim-1.3", "R5CW30ABCDE") == "127.0.0.1:4001"
    assert resumer.take("127.0.0.1:5001") is not None and resumer.take("127.0.0.1:4001") is None
