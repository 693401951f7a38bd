"""AdbAndroidLink end to end: adbutils -> real adb server -> simulated adbd -> fixture."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import replace
from typing import Any, TypeVar

import pytest
from adbutils.errors import AdbError
from pytest_mock import MockerFixture

from agent.errors import LinkDisconnected, LinkError, LinkTimeout
from agent.fixtures.format import CommandReply
from agent.links.adb import AdbAndroidLink, AdbServer, adb_client
from agent.links.base import ShellResult
from agent.links.replay import ReplayAndroidLink
from agent.simulator.bench import free_port

from .conftest import BIG_OUTPUT, COMMANDS, MODEL, Simulate, States, make_fixture, wait_until

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def test_simulated_phone_is_listed_as_device_with_the_banner_model(simulate: Simulate, adb_server: AdbServer) -> None:
    sim = simulate(make_fixture())
    info = next(d for d in adb_server.client().list(extended=True) if d.serial == sim.serial)
    assert info.state == "device"
    assert info.tags["model"] == MODEL.replace(" ", "_")  # adb devices -l spells spaces as _
    assert info.tags["product"] == "husky"


def test_shell_v2_answers_exactly_like_the_replay_link(simulate: Simulate, adb_server: AdbServer) -> None:
    fixture = make_fixture()
    sim = simulate(fixture)
    live = AdbAndroidLink(sim.serial, port=adb_server.port)
    replay = ReplayAndroidLink(fixture)
    for command in [*COMMANDS, "uname -a"]:
        got = run(live.shell(command, timeout=5))
        assert got == run(replay.shell(command, timeout=5)), command
    assert run(live.shell("getprop")).stdout == BIG_OUTPUT
    assert len(BIG_OUTPUT.encode()) > 16_000


def test_missing_command_exits_127_naming_the_command(simulate: Simulate, adb_server: AdbServer) -> None:
    sim = simulate(make_fixture())
    result = run(AdbAndroidLink(sim.serial, port=adb_server.port).shell("uname -a"))
    assert result == ShellResult("", "fixture lacks `uname -a`\n", 127)


def test_link_from_an_adbutils_device_talks_to_the_same_server(simulate: Simulate, adb_server: AdbServer) -> None:
    sim = simulate(make_fixture())
    link = AdbAndroidLink.from_device(adb_server.client().device(sim.serial))
    assert (link.port, link.device_id) == (adb_server.port, sim.serial)
    assert run(link.shell("dumpsys battery")).stdout.startswith("Current Battery Service state:")


def test_shell_v1_merges_stderr_into_stdout_without_exit_code(simulate: Simulate, adb_server: AdbServer) -> None:
    sim = simulate(make_fixture(features=("cmd",)))
    link = AdbAndroidLink(sim.serial, port=adb_server.port)
    assert run(link.shell("wm size")) == ShellResult("Physical size: 1344x2992\nwarning: legacy\n", "", None)
    assert run(link.shell("getprop")).stdout == BIG_OUTPUT


def test_delay_is_waited_out_when_within_the_timeout(simulate: Simulate, adb_server: AdbServer) -> None:
    sim = simulate(make_fixture())
    result = run(AdbAndroidLink(sim.serial, port=adb_server.port).shell("df /data", timeout=5))
    assert result.stdout.startswith("Filesystem")


def test_delay_beyond_the_timeout_is_a_timeout(simulate: Simulate, adb_server: AdbServer) -> None:
    sim = simulate(make_fixture(commands={"slow": {"stdout": "x", "delay_ms": 3000}}))
    with pytest.raises(LinkTimeout, match="`slow` did not answer within 0.5 s"):
        run(AdbAndroidLink(sim.serial, port=adb_server.port).shell("slow", timeout=0.5))


@pytest.mark.parametrize("features", [("shell_v2",), ()], ids=["shell_v2", "shell_v1"])
def test_hang_is_a_timeout_and_the_phone_still_answers_afterwards(
    simulate: Simulate, adb_server: AdbServer, features: tuple[str, ...]
) -> None:
    sim = simulate(make_fixture(features=features, faults=[{"kind": "hang", "at": "dumpsys battery"}]))
    link = AdbAndroidLink(sim.serial, port=adb_server.port)
    with pytest.raises(LinkTimeout):
        run(link.shell("dumpsys battery", timeout=1))
    assert run(link.shell("wm size")).stdout.startswith("Physical size: 1344x2992\n")


def test_garbage_fault_answers_the_replay_links_garbage(simulate: Simulate, adb_server: AdbServer) -> None:
    fixture = make_fixture(faults=[{"kind": "garbage", "at": "wm size"}])
    sim = simulate(fixture)
    got = run(AdbAndroidLink(sim.serial, port=adb_server.port).shell("wm size"))
    assert got == run(ReplayAndroidLink(fixture).shell("wm size"))
    assert got.exit_code == 0 and got.stdout != "Physical size: 1344x2992\n"


@pytest.mark.parametrize("features", [("shell_v2",), ()], ids=["shell_v2", "shell_v1"])
def test_disconnect_fault_is_link_disconnected_and_the_phone_leaves_adb(
    simulate: Simulate, adb_server: AdbServer, states: States, features: tuple[str, ...]
) -> None:
    sim = simulate(make_fixture(features=features, faults=[{"kind": "disconnect", "at": "dumpsys battery"}]))
    link = AdbAndroidLink(sim.serial, port=adb_server.port)
    assert run(link.shell("wm size")).stdout.startswith("Physical size")
    with pytest.raises(LinkDisconnected):
        run(link.shell("dumpsys battery"))
    wait_until(lambda: sim.serial not in states(), "the phone gone from adb devices")
    with pytest.raises(LinkDisconnected, match="not found"):
        run(link.shell("wm size"))


def test_unplug_and_plug_take_the_phone_out_of_and_back_into_adb(
    simulate: Simulate, adb_server: AdbServer, states: States
) -> None:
    sim = simulate(make_fixture())
    link = AdbAndroidLink(sim.serial, port=adb_server.port)
    sim.unplug()
    wait_until(lambda: sim.serial not in states(), "the unplugged phone gone")
    with pytest.raises(LinkDisconnected):
        run(link.shell("wm size"))
    sim.plug()
    wait_until(lambda: states().get(sim.serial) == "device", "the phone back")
    assert run(link.shell("wm size")).exit_code == 0


def test_link_reports_an_unreachable_adb_server_without_starting_one(simulate: Simulate) -> None:
    link = AdbAndroidLink("127.0.0.1:1", port=1)  # nothing listens on port 1
    with pytest.raises(LinkError, match="adb server at 127.0.0.1:1 unreachable") as caught:
        run(link.shell("getprop", timeout=2))
    assert not isinstance(caught.value, (LinkTimeout, LinkDisconnected))


def test_eight_simulated_phones_answer_at_once(simulate: Simulate, adb_server: AdbServer, states: States) -> None:
    sims = [simulate(make_fixture(f"p{i}", commands={"getprop ro.serialno": {"stdout": f"SERIAL{i}\n"}}))
            for i in range(8)]
    assert all(states().get(s.serial) == "device" for s in sims)
    links = [AdbAndroidLink(s.serial, port=adb_server.port) for s in sims]

    async def all_at_once() -> list[ShellResult]:
        return await asyncio.gather(*(link.shell("getprop ro.serialno", timeout=5) for link in links))

    assert [r.stdout for r in run(all_at_once())] == [f"SERIAL{i}\n" for i in range(8)]


@pytest.mark.parametrize("features", [("shell_v2",), ()], ids=["shell_v2", "shell_v1"])
def test_output_larger_than_one_adb_message_arrives_whole(
    simulate: Simulate, adb_server: AdbServer, features: tuple[str, ...]
) -> None:
    big = "0123456789abcdef\n" * 40_000  # 680 KB: three 256 KB messages, each waiting for OKAY
    small = make_fixture(features=features, commands={})
    assert small.android is not None  # built in memory: YAML takes seconds over 680 KB
    commands = {"dumpsys meminfo": CommandReply(stdout=big)}
    sim = simulate(replace(small, android=replace(small.android, commands=commands)))
    result = run(AdbAndroidLink(sim.serial, port=adb_server.port).shell("dumpsys meminfo", timeout=10))
    assert result.stdout == big


def test_service_other_than_shell_is_refused_and_the_phone_keeps_answering(
    simulate: Simulate, adb_server: AdbServer
) -> None:
    sim = simulate(make_fixture())
    with adb_server.client().device(sim.serial).open_transport() as connection:
        connection.send_command("sync:")
        with pytest.raises(AdbError):
            connection.check_okay()
    assert run(AdbAndroidLink(sim.serial, port=adb_server.port).shell("wm size")).exit_code == 0


def test_adb_client_reports_a_missing_server_instead_of_starting_one(mocker: MockerFixture) -> None:
    spawn = mocker.patch("adbutils._adb.subprocess.run")  # how plain adbutils starts a server
    port = free_port()  # nothing listens on it
    with pytest.raises(AdbError, match="connect to adb server failed"):
        adb_client(port, timeout=None).server_version()
    spawn.assert_not_called()
