"""One erase started from the TUI: the front end agent/erasure/job.py talks to, as plain state.

``EraseRun.run()`` runs the same job as ``phonebench erase`` (in an asyncio worker; the
job signs in a thread) and never raises: a refusal, a link error or a bug ends it with a
line saying so. The erase dialog (widgets/erase_dialog.py) draws this state on the app's
refresh tick and hands the technician's typing back through ``reply``; the card shows
``card_line()``. Questions wait on a future, so the job simply awaits the technician.

    phase: starting -> running -> done | refused | failed
    prompt: digits (the last four), name (once a shift), answer (Android: did it wipe?)
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agent.erasure.certificate import ErasedDevice
from agent.erasure.job import EraseOptions, EraseTarget, confirm_digits, erase_phone
from agent.erasure.shift import ShiftStore, Signer, check_name, resolve_operator
from agent.errors import ErasureRefused, PhonebenchError
from agent.text import printable

RESULT_TEXT = {"erased": "erased, verified", "not_verified": "erase NOT verified", "failed": "erase FAILED verification"}
#: the Android recovery menu, step by step, shown while the agent watches the phone
RECOVERY_MENU = (
    "On the phone, in recovery (no touch screen there):",
    "1. Volume keys down to \"Wipe data/factory reset\"; Power to select.",
    "2. Confirm (\"Factory data reset\" / \"Yes\"); Power to select.",
    "3. When it says the wipe is complete: \"Reboot system now\"; Power.",
    "4. Once it starts, turn USB debugging back on and allow this station, if you can.",
)


@dataclass
class Prompt:
    kind: str  # digits | name | answer
    text: str
    reply: asyncio.Future[str | None]


@dataclass
class EraseRun:
    """One slot's erase. ``changed`` is set on every change and cleared by whoever drew it."""

    slot: int
    name: str
    target: EraseTarget
    options: EraseOptions
    station: Any  # agent.session.engine.Station: its ledger signs and keeps the certificate
    store: ShiftStore
    config_operator: str | None = None
    phase: str = "starting"
    lines: list[str] = field(default_factory=list)
    device: ErasedDevice | None = None
    prompt: Prompt | None = None
    recovery: bool = False
    certificate: dict[str, Any] | None = None
    path: Any = None
    problem: str | None = None
    changed: bool = True

    @property
    def finished(self) -> bool:
        return self.phase in ("done", "refused", "failed")

    async def run(self) -> None:
        try:
            stored = await erase_phone(self.target, self.options, self, lambda simulated: self.station.sink,
                                       self.station.station_id)
        except ErasureRefused as e:
            self._end("refused", re.sub(r" \(--force [^)]*\)$", "", str(e)))
        except PhonebenchError as e:
            self._end("failed", str(e))
        except Exception as e:  # the bench stays up and says what happened
            self._end("failed", f"internal error: {type(e).__name__}: {e}")
        else:
            self.certificate, self.path = stored.report, stored.path
            self._end("done", None)

    def card_line(self) -> str:
        if self.phase == "done" and self.certificate is not None:
            return f"{RESULT_TEXT.get(self.certificate['result'], 'erase')}: certificate {self.certificate['report_id'][:8]}"
        if self.phase in ("refused", "failed"):
            return f"erase {'refused' if self.phase == 'refused' else 'failed'}: {printable(self.problem or '')}"
        return f"erasing: {printable(self.lines[-1]) if self.lines else 'starting'}"

    @property
    def result(self) -> str | None:
        return None if self.certificate is None else str(self.certificate["result"])

    def reply(self, text: str | None) -> None:
        """The technician's typing for the prompt shown (None: Esc)."""
        prompt, self.prompt = self.prompt, None
        if prompt is not None and not prompt.reply.done():
            prompt.reply.set_result(text)
        self.changed = True

    # the job's front end (agent.erasure.job.FrontEnd)

    def step(self, key: str, text: str) -> None:
        self.phase = "running"
        self.recovery = key in ("rebooting", "recovery") or (self.recovery and key not in ("left", "back", "signing"))
        self.lines.append(text)
        self.changed = True

    async def confirm(self, device: ErasedDevice) -> None:
        self.device = device
        answer = await self._ask("digits", "Type the last four digits of its IMEI or serial to erase it:")
        if answer is None:
            raise ErasureRefused("cancelled: nothing was erased")
        confirm_digits(device, answer)

    async def ask(self, question: str) -> str | None:
        return await self._ask("answer", question.replace("[y/N]", "Type y or n:").strip())

    async def operator(self) -> Signer:
        signer = resolve_operator(None, self.config_operator, self.store)
        if signer is not None:
            return signer
        question = "Your name, for this shift's erasure certificates:"
        while (typed := await self._ask("name", question)) is not None and typed.strip():
            try:  # the CLI's rule: refused with a line saying why, never silently changed
                name = check_name(typed, "name")
            except ValueError as e:
                question = f"{e}. Type your name again:"
                continue
            await asyncio.to_thread(self.store.remember, name)
            return Signer(name, "asked")
        raise ErasureRefused("a certificate names who erased the phone: no name given, nothing was erased")

    async def _ask(self, kind: str, text: str) -> str | None:
        self.prompt = Prompt(kind, text, asyncio.get_running_loop().create_future())
        self.changed = True
        return await self.prompt.reply

    def _end(self, phase: str, problem: str | None) -> None:
        self.phase, self.problem, self.prompt, self.recovery = phase, problem, None, False
        self.changed = True


def start_erase(supervisor: Any, slot: int, name: str, wait_s: float | None = None,
                call: Callable[..., Any] = lambda fn, *args: fn(*args)) -> EraseRun | str:
    """An erase of the phone in ``slot``, which the supervisor hands over (``hold``) until
    the caller gives it back (``release``); or a line saying why not. ``call`` runs a
    supervisor method where the supervisor lives (the bench thread's ``call``)."""
    from agent.config import load_config

    address = getattr(supervisor, "erase_address", None)
    if address is None:
        return "This bench cannot erase phones (recorded phones have nothing to erase)."
    try:
        config = load_config()
    except PhonebenchError as e:
        return str(e)
    held = call(supervisor.hold, slot)
    if held is None:
        return f"Slot {slot}: no phone there to erase, or its checks are still running."
    target = EraseTarget(**address(*held))
    return EraseRun(slot, name, target, EraseOptions(wait_s=wait_s), supervisor.bench,
                    ShiftStore(config.shift_hours), config.operator)


def card_state(run: EraseRun) -> str | None:
    """The card's erase state: erasing, the certificate's result, or None (nothing was erased)."""
    if run.phase == "done":
        return run.result
    return None if run.finished else "erasing"
