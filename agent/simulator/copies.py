"""A big simulated bench from a few recordings: the same phones again, each copy its own phone.

A copy differs from its recording only in who it is: an Android copy gets its own serial
(in the fixture and wherever the recorded commands print it, ``getprop ro.serialno``...), an
iPhone copy its own UDID (lockdown's ``UniqueDeviceID``) and serial number. Everything it answers is the
recording's, so 64 simulated phones grade exactly as their 17 recordings do. Used by
``phonebench demo --phones N``, the 64-phone tests and the benchmarks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from agent.errors import UsageError
from agent.fixtures.format import Fixture

#: a bench this big is past any USB hub a station has; more is a typing mistake
MAX_PHONES = 128


def copies(fixtures: Sequence[Fixture], count: int) -> list[Fixture]:
    """``count`` phones: ``fixtures`` in order, then again as copies, round and round.

    The n-th copy of a phone has the last two characters of its serial or UDID replaced by
    ``n`` (two digits), skipping ids already on the bench. UsageError when ``count`` is not
    1..MAX_PHONES or there is no recording to copy."""
    if not fixtures:
        raise UsageError("no recordings to copy phones from")
    if not 1 <= count <= MAX_PHONES:
        raise UsageError(f"--phones: {count} is not a bench size (1 to {MAX_PHONES})")
    taken = {f.device_id for f in fixtures}
    out = list(fixtures[:count])
    for i in range(len(out), count):
        original = fixtures[i % len(fixtures)]
        n = i // len(fixtures)
        new_id = _free_id(original.device_id, n, taken)
        taken.add(new_id)
        out.append(_renamed(original, new_id, n))
    return out


def _free_id(device_id: str, n: int, taken: set[str]) -> str:
    for k in range(n, n + 100):
        candidate = device_id[:-2] + f"{k % 100:02d}"
        if candidate not in taken:
            return candidate
    raise UsageError(f"cannot make another phone from {device_id}")  # 100 copies of one recording


def _swapped(value: Any, old: str, new: str) -> Any:
    """``value`` with every string equal to ``old`` (in mappings, at any depth) made ``new``."""
    if isinstance(value, Mapping):
        return {key: _swapped(item, old, new) for key, item in value.items()}
    return new if value == old else value


def _renamed(fixture: Fixture, new_id: str, n: int) -> Fixture:
    name = f"{fixture.path.name if fixture.path else fixture.name} #{n + 1}"  # iphone-13.yaml #2
    expect = _swapped(fixture.expect, fixture.device_id, new_id)
    if fixture.android is not None:
        old = fixture.android.serial
        commands = {cmd: dataclasses.replace(reply, stdout=reply.stdout.replace(old, new_id))
                    for cmd, reply in fixture.android.commands.items()}
        android = dataclasses.replace(fixture.android, serial=new_id, commands=commands)
        return dataclasses.replace(fixture, name=name, android=android, expect=expect, path=None)
    assert fixture.ios is not None
    lockdown = {domain: dict(values) for domain, values in fixture.ios.lockdown.items()}
    device = lockdown.get("", {})
    if "UniqueDeviceID" in device:
        device["UniqueDeviceID"] = new_id
    serial = device.get("SerialNumber")
    if isinstance(serial, str):  # the serial the report names
        device["SerialNumber"] = serial[:-2] + new_id[-2:]
        expect = _swapped(expect, serial, device["SerialNumber"])
    ios = dataclasses.replace(fixture.ios, udid=new_id, lockdown=lockdown)
    return dataclasses.replace(fixture, name=name, ios=ios, expect=expect, path=None)
