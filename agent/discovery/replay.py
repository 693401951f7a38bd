"""Recorded phones as a discovery source, for front-end tests and offline demos.

Each fixture "arrives" as a ready phone (or in its recorded state); ``open_link`` hands
out replay links. Everything above it — supervisor, engine, front ends — runs as on a
real bench.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

from agent.discovery import Sighting
from agent.fixtures.format import Fixture
from agent.links.base import Link
from agent.links.replay import replay_link


class ReplaySource:
    name = "replay"

    def __init__(self, fixtures: Sequence[Fixture], spacing_s: float = 0.0) -> None:
        self.fixtures = {f.device_id: f for f in fixtures}
        self.spacing_s = spacing_s
        self._queue: asyncio.Queue[Sighting] = asyncio.Queue()

    async def watch(self) -> AsyncIterator[Sighting]:
        for fixture in self.fixtures.values():
            yield self._sighting(fixture)
            if self.spacing_s:
                await asyncio.sleep(self.spacing_s)
        while True:
            yield await self._queue.get()

    def unplug(self, device_id: str) -> None:
        fixture = self.fixtures[device_id]
        self._queue.put_nowait(Sighting(self.name, device_id, fixture.platform, "gone", present=False))

    def plug(self, device_id: str) -> None:
        self._queue.put_nowait(self._sighting(self.fixtures[device_id]))

    def _sighting(self, fixture: Fixture) -> Sighting:
        if fixture.android is not None:
            state = "ready" if fixture.android.state == "device" else fixture.android.state
        else:
            assert fixture.ios is not None
            state = "ready" if fixture.ios.pairing == "paired" else fixture.ios.pairing
        return Sighting(self.name, fixture.device_id, fixture.platform, state)

    async def open_link(self, sighting: Sighting) -> Link:
        return replay_link(self.fixtures[sighting.key])
