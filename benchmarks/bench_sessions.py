"""Session speed on the simulated bench, printed as ratios measured side by side.

    python benchmarks/bench_sessions.py [--latency-ms 25] [--rounds 3]

1. One Android session through the real adb server, divided by the same commands run
   one after another by a bare adbutils script (the floor for an agent that waits on each
   command). Goal <= 1.0; stretch <= 0.6 (independent commands run concurrently).
2. 32 phones at once (24 Android + 8 iPhone) divided by a bench of one Android and one
   iPhone, through the bench supervisor, once pair records exist (and, printed beside it,
   on first contact, when every iPhone pairs). Goal <= 2.0.
3. Peak memory of the agent process with 32 phones (the simulators run in another process).

Nothing here is asserted: the machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
PIXEL = ROOT / "fixtures" / "android" / "pixel-7.yaml"
IPHONE = ROOT / "fixtures" / "ios" / "iphone-13.yaml"


class Simulated:
    """`phonebench simulate` in its own process, so its CPU and memory are not ours."""

    def __init__(self, files: list[Path], latency_ms: int) -> None:
        cmd = [sys.executable, "-m", "agent", "simulate", *map(str, files), "--latency-ms", str(latency_ms)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.adb_port, self.usbmux, self.ids = 0, "", []
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if m := re.match(r"adb server: 127\.0\.0\.1:(\d+)", line):
                self.adb_port = int(m.group(1))
            elif m := re.match(r"usbmuxd:\s+(\S+)", line):
                self.usbmux = m.group(1)
            elif m := re.match(r"\s+\d+\s+(\S+)\s", line):
                self.ids.append(m.group(1))
            elif line.startswith("control"):
                break

    def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("quit\n")
        self.proc.stdin.close()
        self.proc.wait(30)


def android_commands() -> list[str]:
    from agent.plugins import load_checks

    commands: list[str] = []
    for check in load_checks():
        commands += [c for c in check.reads.get("android", ()) if c not in commands]
    return commands


def bare_adbutils(port: int, serial: str, commands: list[str]) -> float:
    import adbutils

    device = adbutils.AdbClient(host="127.0.0.1", port=port).device(serial)
    started = time.perf_counter()
    for command in commands:
        device.shell2(command, timeout=30, v2=True)
    return time.perf_counter() - started


async def one_session(port: int, serial: str) -> float:
    from agent.delivery.ledger import SideRecord
    from agent.links.adb import AdbAndroidLink
    from agent.session.engine import run_session
    from agent.session.station import open_station

    bench = open_station("default", record=SideRecord(Path(tempfile.mkdtemp())))
    started = time.perf_counter()
    async for _ in run_session(AdbAndroidLink(serial, port=port, simulated=True), bench):
        pass
    return time.perf_counter() - started


async def whole_bench(sim: Simulated, n: int) -> float:
    from agent.delivery.ledger import SideRecord
    from agent.session.events import ReportSaved, SessionFailed, SlotEvent
    from agent.session.hub import Hub
    from agent.session.station import open_station

    live = Hub(adb_port=sim.adb_port, usbmux_address=sim.usbmux, usb=False, simulated=True)
    stream = live.supervisor(open_station("default", record=SideRecord(Path(tempfile.mkdtemp())))).events()
    done = 0
    started = time.perf_counter()
    try:
        async for event in stream:
            if isinstance(event, SlotEvent) and isinstance(event.event, (ReportSaved, SessionFailed)):
                done += 1
                if done == n:
                    break
    finally:
        await stream.aclose()
    return time.perf_counter() - started


def copies(tmp: Path, path: Path, n: int) -> list[Path]:
    out = []
    for i in range(n):
        doc = yaml.safe_load(path.read_text())
        if "ios" in doc:
            udid = doc["ios"]["udid"][:-2] + f"{i:02X}"
            doc["ios"]["udid"] = udid
            doc["ios"]["lockdown"][""]["UniqueDeviceID"] = udid
        target = tmp / f"{path.stem}-{i:02d}.yaml"
        target.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
        out.append(target)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency-ms", type=int, default=25)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="phonebench-bench-"))
    os.environ.update(HOME=str(tmp), XDG_CONFIG_HOME=str(tmp / "config"), XDG_DATA_HOME=str(tmp / "data"))

    sim = Simulated([PIXEL], args.latency_ms)
    try:
        serial, commands = sim.ids[0], android_commands()
        floor = statistics.median(bare_adbutils(sim.adb_port, serial, commands) for _ in range(args.rounds))
        agent = statistics.median(asyncio.run(one_session(sim.adb_port, serial)) for _ in range(args.rounds))
    finally:
        sim.stop()
    print(f"latency {args.latency_ms} ms/command, {len(commands)} commands")
    print(f"bare adbutils, one after another: {floor:.3f} s")
    print(f"agent session (identity, then checks concurrently): {agent:.3f} s")
    print(f"ratio session / sequential floor: {agent / floor:.2f}   (goal <= 1.0, stretch <= 0.6)")

    files = copies(tmp, PIXEL, 24) + copies(tmp, IPHONE, 8)
    one = Simulated([files[0], files[-1]][:1] + [files[-1]], args.latency_ms)
    try:  # the first contact pairs each iPhone (RSA keys on both sides); later sessions do not
        single_cold = asyncio.run(whole_bench(one, 2)) / 2
        single = asyncio.run(whole_bench(one, 2))
    finally:
        one.stop()
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    many = Simulated(files, args.latency_ms)
    try:
        cold = asyncio.run(whole_bench(many, len(files)))
        mine = resource.getrusage(resource.RUSAGE_SELF)
        warm = asyncio.run(whole_bench(many, len(files)))
        mine_after = resource.getrusage(resource.RUSAGE_SELF)
    finally:
        many.stop()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    agent_cpu = (mine_after.ru_utime + mine_after.ru_stime) - (mine.ru_utime + mine.ru_stime)
    sim_cpu = (children.ru_utime + children.ru_stime) - (children_before.ru_utime + children_before.ru_stime)
    print(f"one Android + one iPhone through the supervisor: {single:.3f} s (first contact, with pairing: {2 * single_cold:.3f} s)")
    print(f"32 phones at once (24 Android + 8 iPhone): {warm:.3f} s (first contact, with pairing: {cold:.3f} s)")
    print(f"ratio 32 phones / 2 phones: {warm / single:.2f}   (goal <= 2.0; first contact: {cold / (2 * single_cold):.2f})")
    print(f"cpu: agent {agent_cpu:.2f} s in the warm 32-phone run; simulators {sim_cpu:.2f} s over both runs (2 cores shared)")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of the agent process: {peak_mb:.0f} MB (simulators run in their own process)")


if __name__ == "__main__":
    main()
