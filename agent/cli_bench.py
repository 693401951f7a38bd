"""``phonebench simulate`` and ``phonebench demo``: the simulated bench.

``simulate`` runs simulated phones for other tools to talk to, with a small control
channel on stdin. ``demo`` runs the bench agent on them through the real adb server and
pymobiledevice3, the same path as a station with real phones.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from agent.errors import UsageError

if TYPE_CHECKING:
    from agent.fixture import Fixture

CONTROL_HELP = """\
control (type a line, then Enter):
  list                 the simulated phones
  unplug N | plug N    pull phone N (number, serial or UDID) out, or plug it back in
  authorize N          tap "Allow USB debugging" on Android phone N
  trust N | deny N     answer the Trust dialog on iPhone N
  quit                 stop every simulated phone and exit (Ctrl-C and end of input do too)"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("simulate", help="run simulated phones made from fixtures",
                       epilog=CONTROL_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("fixtures", nargs="+", type=Path, metavar="FIXTURE")
    p.add_argument("--latency-ms", type=int, default=0, metavar="N", help="extra delay for every answer")
    p.set_defaults(func=cmd_simulate)

    d = sub.add_parser("demo", help="the bench agent on simulated phones (the bundled recordings)")
    d.add_argument("--headless", action="store_true", help="no TUI: run every phone to its report and exit")
    d.add_argument("--out", type=Path, metavar="DIR", help="write reports here")
    d.add_argument("--profile", default=None, metavar="NAME|FILE", help="grading profile (default: the station config's, else default)")
    d.add_argument("--fixtures", type=Path, metavar="DIR", help="simulate these recordings instead of the bundled ones")
    d.add_argument("--latency-ms", type=int, default=0, metavar="N")
    d.add_argument("--timeout", type=float, default=180.0, metavar="S", help="give up on phones after S seconds (headless)")
    d.set_defaults(func=cmd_demo)


def demo_fixtures(folder: Path | None, include_waiting: bool) -> list[Fixture]:
    """The bundled ready phones; for the TUI also a Pixel 7 and an iPhone 13 that wait for
    "Allow USB debugging" and "Trust", which the demo's simulated technician taps."""
    from agent.fixture import load_fixture
    from agent.resources import data_dir

    if folder is not None:
        files = sorted(folder.rglob("*.yaml"))
        if not files:
            raise UsageError(f"{folder}: no fixture files (*.yaml)")
        return [load_fixture(f) for f in files]
    root = data_dir("fixtures")
    fixtures = [load_fixture(f) for f in sorted([*root.glob("android/*.yaml"), *root.glob("ios/*.yaml")])]
    if include_waiting:
        fixtures += [_waiting(load_fixture(root / "android" / "pixel-7.yaml")), _waiting(load_fixture(root / "ios" / "iphone-13.yaml"))]
    return fixtures


def _waiting(fixture: Fixture) -> Fixture:
    """The same phone before the technician allowed debugging or tapped Trust."""
    if fixture.android is not None:
        android = dataclasses.replace(fixture.android, state="unauthorized", serial=fixture.android.serial + "W")
        return dataclasses.replace(fixture, name=f"{fixture.name} (not yet allowed)", android=android)
    assert fixture.ios is not None
    udid = fixture.ios.udid[:-2] + "FF"
    lockdown = {domain: dict(values) for domain, values in fixture.ios.lockdown.items()}
    lockdown[""]["UniqueDeviceID"] = udid
    ios = dataclasses.replace(fixture.ios, udid=udid, pairing="trust_pending", lockdown=lockdown)
    return dataclasses.replace(fixture, name=f"{fixture.name} (not yet trusted)", ios=ios)


def cmd_simulate(args: argparse.Namespace) -> int:
    from agent.fixture import load_fixture
    from agent.simulator.bench import SimulatedBench, stop_on_signals

    fixtures = [load_fixture(f) for f in args.fixtures]
    with stop_on_signals(), SimulatedBench(fixtures, latency_ms=args.latency_ms) as bench:
        ids = bench.device_ids()
        if bench.adbds:
            print(f"adb server: 127.0.0.1:{bench.adb_port}   (ANDROID_ADB_SERVER_PORT={bench.adb_port}, adb -P {bench.adb_port} devices)")
        print(f"usbmuxd:    {bench.usbmux_address}   (USBMUXD_SOCKET_ADDRESS={bench.usbmux_address})")
        for n, device_id in enumerate(ids, 1):
            print(f"  {n:>2}  {device_id:<28} {bench.names[device_id]}")
        print(CONTROL_HELP, flush=True)
        try:
            for line in sys.stdin:
                if not _control(bench, ids, line.split()):
                    break
        except KeyboardInterrupt:
            pass
    return 0


def _control(bench, ids: list[str], words: list[str]) -> bool:  # type: ignore[no-untyped-def]
    if not words:
        return True
    action, target = words[0], (words[1] if len(words) > 1 else "")
    if action == "quit":
        return False
    if action == "list":
        for n, device_id in enumerate(ids, 1):
            print(f"  {n:>2}  {device_id:<28} {bench.names[device_id]}")
        return True
    device_id = ids[int(target) - 1] if target.isascii() and target.isdigit() and 0 < int(target) <= len(ids) else target
    try:
        _act(bench, action, device_id)
        print(f"{action} {device_id}: done", flush=True)
    except Exception as e:  # a control typo must not end the simulation
        print(f"{action} {target}: {e}", flush=True)
    return True


def _act(bench, action: str, device_id: str) -> None:  # type: ignore[no-untyped-def]
    adbd = bench.adbds.get(device_id)
    if action in ("unplug", "plug", "authorize") and adbd is not None:
        getattr(adbd, action)()
        return
    if action in ("unplug", "trust", "deny") and bench.usbmuxd is not None:
        getattr(bench.usbmuxd, action)(device_id)
        return
    if action == "plug" and bench.usbmuxd is not None:
        fixture = next(f for f in bench.fixtures if f.device_id == device_id)
        bench.usbmuxd.plug(fixture)
        return
    raise UsageError(f"unknown action or phone (see 'list'): {action} {device_id}")


def cmd_demo(args: argparse.Namespace) -> int:
    from agent.demo import run_demo

    fixtures = demo_fixtures(args.fixtures, include_waiting=not args.headless)
    return run_demo(fixtures, headless=args.headless, out=args.out, profile=args.profile,
                    latency_ms=args.latency_ms, timeout_s=args.timeout)
