"""How an eraser says how far it is: ``progress(step, text)``, one call per step reached.

Steps (keys a front end may key on; ``text`` is one line for a person):

    iPhone:   sent, options (the options asked for were not applied), away, back, verifying
    Android:  rebooting, recovery, left, back, verifying

The job (agent/erasure/job.py) adds identify, preflight and signed around them.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, str], None]


def quiet(step: str, text: str) -> None:
    """No one to tell."""
