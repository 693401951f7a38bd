"""What the real adb server makes of a simulated phone's state: authorization, offline,
recovery, and the simulator's own life cycle."""

from __future__ import annotations

import asyncio
import socket

import pytest

from agent.errors import LinkError, LinkTimeout
from agent.links.adb import AdbAndroidLink, AdbServer, ensure_adb_server
from agent.simulator import AdbdSimulator, SimulatorError

from .conftest import Simulate, States, make_fixture, wait_until


def test_unauthorized_phone_waits_for_the_tap_then_becomes_a_device(
    simulate: Simulate, adb_server: AdbServer, states: States
) -> None:
    sim = simulate(make_fixture(state="unauthorized"))
    wait_until(lambda: states().get(sim.serial) == "unauthorized", "the phone listed as unauthorized")
    link = AdbAndroidLink(sim.serial, port=adb_server.port)
    with pytest.raises(LinkError, match="unauthorized") as caught:
        asyncio.run(link.shell("wm size", timeout=2))
    assert not isinstance(caught.value, LinkTimeout)
    sim.authorize()
    wait_until(lambda: states().get(sim.serial) == "device", "the phone authorized")
    assert asyncio.run(link.shell("wm size")).stdout == "Physical size: 1344x2992\n"


def test_offline_phone_is_listed_offline_and_answers_nothing(
    simulate: Simulate, adb_server: AdbServer, states: States
) -> None:
    sim = simulate(make_fixture(state="offline"))
    wait_until(lambda: states().get(sim.serial) == "offline", "the phone listed as offline")
    with pytest.raises(LinkError, match="offline"):
        asyncio.run(AdbAndroidLink(sim.serial, port=adb_server.port).shell("wm size", timeout=2))


def test_recovery_phone_is_listed_in_recovery(simulate: Simulate, states: States) -> None:
    sim = simulate(make_fixture(state="recovery"))
    assert states().get(sim.serial) == "recovery"


def test_phone_connected_by_hand_is_a_device_until_the_simulator_stops(adb_server: AdbServer, states: States) -> None:
    """Without adb_server_port the simulator is a plain network adbd: `adb connect` is ours."""
    sim = AdbdSimulator(make_fixture()).start()
    try:
        assert adb_server.client().connect(sim.serial, timeout=5).startswith("connected to")
        assert states().get(sim.serial) == "device"
    finally:
        sim.stop()
        adb_server.client().disconnect(sim.serial)
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", sim.port)) != 0


def test_simulator_refuses_the_ports_adb_scans_for_emulators() -> None:
    with pytest.raises(SimulatorError, match="5555-5585"):
        AdbdSimulator(make_fixture(), port=5555)


def test_simulator_stop_is_safe_twice_and_before_start() -> None:
    sim = AdbdSimulator(make_fixture())
    sim.stop()
    sim.start()
    port = sim.port
    sim.stop()
    sim.stop()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_ensuring_a_running_adb_server_neither_restarts_nor_stops_it(adb_server: AdbServer) -> None:
    again = ensure_adb_server(adb_server.port)
    assert not again.started_here
    again.stop()
    assert adb_server.client().server_version() > 0
