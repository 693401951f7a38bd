"""``phonebench simulate``: simulated phones for other tools to talk to.

The phones are made from fixtures and speak the real wire protocols on loopback; a small
control channel on stdin plugs, unplugs, authorizes and trusts them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from agent.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from agent.simulator.bench import SimulatedHub

CONTROL_HELP = """\
control (type a line, then Enter):
  list                 the simulated phones
  unplug N | plug N    pull phone N (number, serial or UDID) out, or plug it back in
  authorize N          tap "Allow USB debugging" on Android phone N
  wipe N               pick "Wipe data/factory reset" on Android phone N in recovery
                       (the simulated technician does it on their own after a while)
  trust N | deny N     answer the Trust dialog on iPhone N
  quit                 stop every simulated phone and exit (Ctrl-C and end of input do too)"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("simulate", help="run simulated phones made from fixtures",
                       epilog=CONTROL_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("fixtures", nargs="+", type=Path, metavar="FIXTURE")
    p.add_argument("--latency-ms", type=int, default=0, metavar="N", help="extra delay for every answer")
    p.set_defaults(func=cmd_simulate)


def cmd_simulate(args: argparse.Namespace) -> int:
    from agent.fixtures.format import load_fixture
    from agent.shutdown import stop_on_signals
    from agent.simulator.bench import SimulatedHub

    fixtures = [load_fixture(f) for f in args.fixtures]
    with stop_on_signals(), SimulatedHub(fixtures, latency_ms=args.latency_ms) as bench:
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
    return ExitCode.OK


def _control(bench: SimulatedHub, ids: list[str], words: list[str]) -> bool:
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


def _act(bench: SimulatedHub, action: str, device_id: str) -> None:
    adbd = bench.adbds.get(device_id)
    if action in ("unplug", "plug", "authorize", "wipe") and adbd is not None:
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
