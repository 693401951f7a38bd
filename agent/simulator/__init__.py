"""Phones made from fixtures that speak the real wire protocols on loopback.

The same fixture that drives the in-process replay link drives these, so CI, the demo and
the benchmarks go through the real adb server (and, for iPhones, pymobiledevice3) without
a phone on the bench.
"""

from agent.errors import SimulatorError
from agent.simulator.adbd import AdbdSimulator

__all__ = ["AdbdSimulator", "SimulatorError"]
