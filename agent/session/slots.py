"""Bench slots: which numbered place on the bench a phone sits in.

The slot follows the USB port (``agent.ports``), so "slot 7" is always the same
socket on the hub. The station config may fix a port's slot and name it; a port it does not
map gets the lowest slot nobody holds or has been given, and the station remembers that
(``store``, a small JSON file in the state dir) so the port has the same slot on the next run.

Remembering beats deriving: a port path (``3-1.4.2``) has no natural order that turns into
small, gap-free slot numbers, and a hash would collide. The cost is that slots follow the
order ports were first used, which the config can override. Only physical port paths are
remembered; a phone with no port (network) or a usbmux-only port takes the lowest free slot
each time. A simulated bench (``remember_simulated``) remembers its ``sim-1.N`` ports too, in
its own store (the demo's side record folder), never in the station's. A store that cannot be read is left aside with one log line (the slots
start again from 1); one that cannot be written only means the next run may differ.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path

from agent.ports import Port

log = logging.getLogger(__name__)
STORE_FORMAT = "phonebench-slots/1"


class SlotMap:
    """``mapping`` port path -> slot and ``names`` port path -> name (the station config);
    ``store`` the file that remembers the other ports' slots (None: remember nothing);
    ``remember_simulated`` remembers simulated ports (``sim-1.3``) too: a demo's own store."""

    def __init__(self, mapping: Mapping[str, int] | None = None, names: Mapping[str, str] | None = None,
                 store: Path | None = None, remember_simulated: bool = False) -> None:
        self.mapping = dict(mapping or {})
        self.names = dict(names or {})
        self.store = store
        self.remember_simulated = remember_simulated
        configured = set(self.mapping.values())
        # the config wins over what was remembered before it named a port or a slot
        self.remembered = {p: n for p, n in (_read(store, remember_simulated) if store is not None else {}).items()
                           if p not in self.mapping and n not in configured}
        self.taken: dict[int, str] = {}

    def port(self, usb_path: str | None, location_id: int | None = None) -> Port | None:
        """The port as cards and reports show it, with its configured name."""
        if usb_path is None:
            return None if location_id is None else Port(f"usbmux:0x{location_id:08x}", None, location_id)
        return Port(usb_path, self.names.get(usb_path), location_id)

    def assign(self, phone_key: str, usb_path: str | None) -> int:
        """The slot for a phone; the same phone keeps its slot until released."""
        for slot, key in self.taken.items():
            if key == phone_key:
                return slot
        physical = usb_path is not None and self._rememberable(usb_path)
        wanted = None
        if usb_path is not None:
            wanted = self.mapping.get(usb_path) or (self.remembered.get(usb_path) if physical else None)
        if wanted is None or wanted in self.taken:
            wanted = self._lowest_free()
            if physical and usb_path not in self.mapping and usb_path not in self.remembered:
                self._remember(usb_path, wanted)  # type: ignore[arg-type]
        self.taken[wanted] = phone_key
        return wanted

    def _rememberable(self, usb_path: str) -> bool:
        from agent.ports import SIM_PREFIX

        return Port(usb_path).physical or (self.remember_simulated and usb_path.startswith(SIM_PREFIX))

    def release(self, slot: int) -> None:
        self.taken.pop(slot, None)

    def _lowest_free(self) -> int:
        reserved = set(self.mapping.values()) | set(self.remembered.values())
        return next(n for n in range(1, 100_000) if n not in self.taken and n not in reserved)

    def _remember(self, path: str, slot: int) -> None:
        self.remembered[path] = slot
        if self.store is None:
            return
        from agent.files import write_atomic

        data = {"format": STORE_FORMAT, "ports": dict(sorted(self.remembered.items(), key=lambda kv: kv[1]))}
        try:
            write_atomic(self.store, (json.dumps(data, indent=1) + "\n").encode())
        except OSError as e:
            log.warning("cannot remember port %s as slot %s in %s: %s", path, slot, self.store, e)


def _read(store: Path, simulated: bool = False) -> dict[str, int]:
    """The remembered ports; {} when there is no file, and {} with a warning when it is not ours.
    Simulated ports (``sim-1.3``) only when ``simulated``."""
    from agent.jsonfile import load_json
    from agent.ports import PATH, SIM_PREFIX

    try:
        data = load_json(store.read_bytes())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:
        log.warning("%s: cannot read the remembered slots (%s); slots start again", store, e)
        return {}
    ports = data.get("ports") if isinstance(data, dict) and data.get("format") == STORE_FORMAT else None
    if not isinstance(ports, dict):
        log.warning("%s: not a %s file; slots start again", store, STORE_FORMAT)
        return {}
    return {p: n for p, n in ports.items()
            if (PATH.fullmatch(p) or (simulated and p.startswith(SIM_PREFIX) and PATH.fullmatch("1-" + p[len(SIM_PREFIX):])))
            and isinstance(n, int) and not isinstance(n, bool) and n >= 1}
