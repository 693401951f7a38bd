"""The bench TUI: wiring only. The supervisor runs on a thread and loop of its own
(agent.tui.bench_thread), so sessions, signing and the record's writes never hold up a key
press; a timer takes its events in one batch, folds them into a plain model and draws what
changed, so 64 busy phones cost one redraw per tick, not one per event. Upload states are
read from the outbox on a thread of their own every UPLOAD_REFRESH_S.
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
import json
import time
from collections import deque
from functools import partial
from pathlib import Path
from typing import Any

from textual._time import get_time
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.driver import Driver
from textual.events import Key
from textual.screen import Screen
from textual.worker import Worker

from agent.errors import PhonebenchError
from agent.tui.bench_thread import BenchStopped, BenchThread
from agent.tui.erase_flow import EraseRun, card_state, start_erase
from agent.tui.export import DEFAULT_FOLDER
from agent.tui.form_actions import FormActions
from agent.tui.model import BenchModel, SlotView
from agent.tui.question_queue import Pending, TuiOperator
from agent.tui.report_actions import LABEL_FOLDER, ReportActions
from agent.tui.rerun import rerun
from agent.tui.terminal import terminal_driver
from agent.tui.uploads import UploadReader
from agent.tui.widgets.bench_card import BenchCard
from agent.tui.widgets.bench_grid import BenchGrid
from agent.tui.widgets.check_picker import CheckPicker, rerunnable
from agent.tui.widgets.confirm import Confirm, QuitConfirm
from agent.tui.widgets.erase_dialog import EraseDialog
from agent.tui.widgets.event_log import EventLog, LogBridge
from agent.tui.widgets.key_bar import KeyBar
from agent.tui.widgets.key_map import KeyMap
from agent.tui.widgets.phone_view import PhoneView
from agent.tui.widgets.question_form import QuestionForm
from agent.tui.widgets.status_line import StatusLine
from agent.tui.widgets.text_view import TextView

REFRESH_S = 0.1
#: the bench under a dialog is dimmed and out of reach: redrawn this often at most, as each
#: redraw there re-tints the whole screen behind the dialog
COVERED_REFRESH_S = 1.0
UPLOAD_REFRESH_S = 2.0
NEW_CARDS_PER_TICK = 8
#: the cycle collector's thresholds while the bench runs. With Python's (700, 10, 10) and 32
#: busy phones, a full collection came every half second or so and held the screen 50-150 ms
#: each; young collections ten times rarer make full ones rare (benchmarks/tui_startup.py).
#: Put back when the app ends.
GC_THRESHOLDS = (10_000, 10, 10)
STYLES = Path(__file__).resolve().parent


class BenchApp(FormActions, ReportActions, App[None]):
    CSS_PATH = [STYLES / "bench.tcss", STYLES / "dialogs.tcss", STYLES / "erase.tcss"]  # absolute: subclasses live elsewhere
    TITLE = "phonebench"
    ENABLE_COMMAND_PALETTE = False  # its footer entry would crowd 80 columns; ? shows the keys
    BINDINGS = [Binding("a", "questions", "Answer"), Binding("l", "toggle_log", "Log pane"),
                Binding("L", "whole_log", "Whole log", show=False),  # in the key map (?)
                Binding("x", "erase", "Erase", show=False),  # in the key map (?); the footer keeps 80 columns
                Binding("question_mark", "keys", "Keys"), Binding("q", "quit_bench", "Quit"),
                # Textual's own ctrl+q quits at once and its ctrl+c only hints: both ask like q
                Binding("ctrl+q", "quit_bench", "Quit", show=False, priority=True),
                Binding("ctrl+c", "quit_bench", "Quit", show=False, priority=True)]

    def __init__(self, supervisor: Any, operator: TuiOperator, profile: str, uploads: UploadReader | None = None,
                 *, own_thread: bool = True) -> None:
        """``own_thread`` False runs the bench on the screen's loop (the old way, kept to
        measure the difference: benchmarks/tui_startup.py)."""
        super().__init__()
        self.supervisor, self.operator, self.profile = supervisor, operator, profile
        self.bench, self.own_thread = BenchThread(supervisor), own_thread
        self.uploads = uploads or UploadReader()
        self.upload_read: Worker[None] | None = None
        self.export_folder = DEFAULT_FOLDER
        self.label_folder = LABEL_FOLDER
        self.model = BenchModel()
        self.status_line, self.grid, self.event_log = StatusLine(id="status"), BenchGrid(id="bench"), EventLog(id="log")
        self.asking: Pending | None = None
        self.snoozed = False
        self.log_lines: deque[str] = deque()  # logging from any thread, folded in on the tick
        self.bridge = LogBridge(self.log_lines.append)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.erases: dict[int, EraseRun] = {}
        self.erase_wait_s: float | None = None  # None: the erasers' own timeouts
        self.drawn_at = 0.0
        self.screen_shown_at = 0.0  # Textual's clock, as a key's ``time``
        self._gc_saved = gc.get_threshold()
        self._ui_context: contextvars.Context | None = None

    def get_driver_class(self) -> type[Driver]:
        return terminal_driver(super().get_driver_class())

    def stop_from_outside(self, return_code: int) -> bool:
        """Quit as the technician would, from a signal handler or another thread (SIGTERM,
        SIGHUP); False before the app runs, when there is nothing to quit yet."""
        if self.loop is None or self.loop.is_closed():
            return False
        self.bench.cancel()  # the sessions stop now, not after the screen has wound down
        self.loop.call_soon_threadsafe(partial(self.exit, return_code=return_code))
        return True

    def compose(self) -> ComposeResult:
        yield self.status_line
        yield self.grid
        yield self.event_log
        yield KeyBar()

    def on_mount(self) -> None:
        self.loop, self._ui_context = asyncio.get_running_loop(), contextvars.copy_context()
        self.screen_change_signal.subscribe(self, self._screen_changed)
        gc.set_threshold(*GC_THRESHOLDS)  # _gc_saved, taken at __init__, goes back at unmount
        self.bridge.install()
        self.operator.on_change = self._questions_changed
        if self.own_thread:
            self.bench.start()
        else:
            self.run_worker(self.bench.run_here(), name="bench", exit_on_error=False)
        self.set_interval(REFRESH_S, self.tick)
        self.set_interval(UPLOAD_REFRESH_S, self.refresh_uploads)
        self.tick()


    def _screen_changed(self, screen: Screen[Any]) -> None:
        self.screen_shown_at = get_time()

    async def _on_key(self, event: Key) -> None:
        """A key that went round unused reaches the bindings (App._on_key, which Textual
        calls after this one), after the keys typed behind it; one typed before the screen
        now up came up was meant for the one before (q then Enter in one burst: the Enter was
        for the bench, not the quit question's button), so it is dropped."""
        if event.time < self.screen_shown_at:
            event.prevent_default()

    def _questions_changed(self) -> None:
        """The operator's queue changed, maybe on the bench's thread: look on our loop."""
        loop = self.loop
        try:
            if loop is not None and not loop.is_closed():
                loop.call_soon_threadsafe(self.call_later, self.ask_next, context=self._ui_context)
        except RuntimeError:  # closed meanwhile: the app is gone
            pass

    def on_unmount(self) -> None:
        gc.set_threshold(*self._gc_saved)
        self.operator.on_change = None
        self.bench.stop()
        self.bridge.uninstall()
        self.uploads.close()

    def take_events(self) -> None:
        """Fold what the bench and the log said since the last tick into the model."""
        for event in self.bench.take():
            if isinstance(event, BenchStopped):
                self.model.note(f"bench stopped: {event.reason}")
            else:
                self.model.apply(event)
        while self.log_lines:
            self.model.note(self.log_lines.popleft())

    def tick(self) -> None:
        self.take_events()
        self.erase_tick()
        if len(self.screen_stack) == 1 or time.monotonic() - self.drawn_at >= COVERED_REFRESH_S:
            self.draw_bench()
        elif isinstance(self.screen, PhoneView) and (slot := self.screen.view.slot) in self.model.dirty:
            self.screen.redraw(self.model.slots[slot])
        if self.focused is None and len(self.screen_stack) == 1:
            self.grid.focus_slot(min(self.model.slots, default=0))
        if isinstance(self.screen, QuestionForm):
            self.screen.show_waiting(self.operator.waiting)
        if self.model.unread_uploads():
            self.refresh_uploads()
        self.ask_next()

    def draw_bench(self) -> None:
        """Draw the slots that changed, the new log lines and the counts. A bench filling up
        gets NEW_CARDS_PER_TICK new cards a tick (the rest on the next ones): mounting 64
        cards at once would hold the keys for a third of a second."""
        self.drawn_at = time.monotonic()
        dirty = sorted(self.model.take_dirty())
        later = [slot for slot in dirty if not self.grid.has(slot)][NEW_CARDS_PER_TICK:]
        self.model.dirty.update(later)
        for slot in sorted(set(dirty) - set(later)):
            view = self.model.slots[slot]
            self.grid.show(view)
            if isinstance(self.screen, PhoneView) and self.screen.view.slot == slot:
                self.screen.redraw(view)
        self.event_log.add(self.model.take_lines())
        self.status_line.show(self.profile, list(self.model.slots.values()), self.operator.waiting)

    def refresh_uploads(self) -> None:
        """Read the outbox for the reports shown, one read at a time."""
        ids = self.model.unsettled_reports()
        if ids and (self.upload_read is None or self.upload_read.is_finished):
            self.upload_read = self.run_worker(self.read_uploads(ids), name="uploads", exit_on_error=False)

    async def read_uploads(self, ids: set[str]) -> None:
        self.model.set_uploads(await self.uploads.states(ids))

    def action_keys(self) -> None:
        if not isinstance(self.screen, KeyMap):
            self.push_screen(KeyMap())

    def action_quit_bench(self) -> None:
        """``q``: quit, after asking when phones are unfinished (their checks stop; what
        they measured and the answers given are journaled, and they resume at the next start)."""
        if isinstance(self.screen, QuitConfirm):  # asked already: a second quit key means it
            self.exit()
            return
        if isinstance(self.screen, Confirm):  # another question is up: answer it first
            return
        unfinished = sum(v.outcome in ("running", "asking", "waiting") for v in self.model.slots.values())
        if not unfinished:
            self.exit()
            return
        phones = f"{unfinished} phone{'s are' if unfinished > 1 else ' is'}"
        question = (f"Quit? {phones} not finished. What was measured and answered is kept: plugged in at the next "
                    "start, a phone resumes and only what is missing is asked; a phone not back gets an "
                    "incomplete report. Saved reports stay.")
        self.push_screen(QuitConfirm(question), lambda yes: self.exit() if yes else None)

    def action_erase(self) -> None:
        """``x``: erase the phone in view (or the card picked); again: show that erase."""
        slot = self.screen.view.slot if isinstance(self.screen, PhoneView) else getattr(self.focused, "slot", None)
        if slot is None or slot not in self.model.slots or isinstance(self.screen, EraseDialog):
            return
        run = self.erases.get(slot)
        if run is None or run.finished:
            started = start_erase(self.supervisor, slot, self.model.slots[slot].name, self.erase_wait_s,
                                  call=self.bench.call)
            if isinstance(started, str):
                self.notify(started, severity="warning", markup=False)
                return
            self.erases[slot] = run = started
            self.run_worker(self.erase(run), name=f"erase-{slot}", exit_on_error=False)
        self.push_screen(EraseDialog(run))

    async def erase(self, run: EraseRun) -> None:
        try:
            await run.run()
        finally:
            self.bench.call(self.supervisor.release, run.slot)
            self.model.note(run.card_line(), run.slot)

    def erase_tick(self) -> None:
        """Erases' news onto their cards and dialogs; a question brings its dialog back."""
        for run in self.erases.values():
            if not run.changed:
                continue
            self.model.erasing(run.slot, card_state(run), run.card_line())
            if isinstance(self.screen, EraseDialog) and self.screen.erase is run:
                self.screen.redraw()
            elif run.prompt is not None and (len(self.screen_stack) == 1 or isinstance(self.screen, PhoneView)):
                self.push_screen(EraseDialog(run))
            run.changed = False

    def action_toggle_log(self) -> None:
        self.event_log.display = not self.event_log.display

    def action_whole_log(self) -> None:
        """``L``: the bench's log, its last MAX_LINES lines, read-only (the pane shows the newest)."""
        self.take_events()
        self.event_log.add(self.model.take_lines())
        self.push_screen(TextView("The bench's log (read-only)", "\n".join(self.event_log.lines), wrap=True))

    def action_open_phone(self) -> None:
        """Enter on a card: its phone's view."""
        if isinstance(self.focused, BenchCard) and self.focused.slot in self.model.slots:
            self.push_screen(PhoneView(self.model.slots[self.focused.slot]))

    def on_phone_view_rerun_requested(self, message: PhoneView.RerunRequested) -> None:
        view = self.model.slots[message.slot]
        if self._busy(view):
            return
        question = f"Run slot {view.slot} again? A new signed report is written; the last one stays in the chain."
        self.push_screen(Confirm(question), lambda yes: self.start_rerun(message.slot) if yes else None)

    def on_phone_view_check_rerun_requested(self, message: PhoneView.CheckRerunRequested) -> None:
        view = self.model.slots[message.slot]
        if self._busy(view):
            return
        if view.report is None or not rerunnable(view):
            self.notify(f"Slot {view.slot} has no report to re-run a check of: press r to run it all.", markup=False)
            return
        self.push_screen(CheckPicker(view), lambda name: self.confirm_check_rerun(view, name))

    def confirm_check_rerun(self, view: SlotView, name: str | None) -> None:
        if name is None or view.report is None:
            return
        question = (f"Re-run {name} on slot {view.slot}? The other checks are carried over from report "
                    f"{view.report['report_id']}; a new signed report is written and the last one stays in the chain.")
        self.push_screen(Confirm(question), lambda yes: self.start_rerun(view.slot, {name}) if yes else None)

    def _busy(self, view: SlotView) -> bool:
        if view.state in ("checking", "connecting"):
            self.notify(f"Slot {view.slot} is still running.", severity="warning", markup=False)
        return view.state in ("checking", "connecting")

    def start_rerun(self, slot: int, checks: set[str] | None = None) -> None:
        try:
            self.bench.call(rerun, self.supervisor, slot, checks)
        except PhonebenchError as e:
            self.notify(str(e), severity="error", markup=False)
            return
        self.model.note(f"re-running {', '.join(sorted(checks))}, the rest carried over" if checks else "re-running", slot)

    def on_phone_view_report_requested(self, message: PhoneView.ReportRequested) -> None:
        view = self.model.slots[message.slot]
        if view.report is None:
            self.notify(f"Slot {view.slot} has no report yet.", markup=False)
            return
        text = json.dumps(view.report, indent=2, ensure_ascii=False)
        self.push_screen(TextView(f"Report {view.path} (read-only)", text))

    def on_phone_view_log_requested(self, message: PhoneView.LogRequested) -> None:
        view = self.model.slots[message.slot]
        self.push_screen(TextView(f"Log of slot {view.slot}", "\n".join(view.log), wrap=True))
