"""One slot on the bench: what is plugged in, how far its checks are, how it came out, and
up to two lines saying what to do next or why (the failing check, what is missing), and
the USB port in the top border (the config's name for it, else its path).

The card's look follows ``outcome`` (reactive -> CSS class ``-<outcome>``), and its report's
way to the backend shows in the bottom border (``upload`` -> ``-upload-<state>``); colours
live in bench.tcss. Phone strings reach the screen as Text, so ``[red]x`` shows as typed.
A line is redrawn only when its text changed, and no change of a card lays the bench out
again (every line has a fixed size): 64 cards re-laid out on every tick would stall the screen.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from rich.markup import escape
from rich.progress_bar import ProgressBar
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Label

from agent.text import printable
from agent.tui.model import SlotView, clamp_lines

OUTCOMES = ("waiting", "running", "asking", "good", "review", "bad", "incomplete", "error", "gone")
PLATFORM = {"android": "Android", "ios": "iPhone"}
#: the platform in a title too wide for its card (80 columns: three cards of 22 columns inside)
PLATFORM_SHORT = {"android": "And", "ios": "iOS"}
#: cards narrower than this (80 columns) all show the platform short, so neighbours read alike
NARROW = 30


class ReasonLines(Label):
    """The reason, wrapped at word breaks to the card's width, as many lines as the card
    gives it (bench.tcss), the last one ending in … when there is more (the phone view has it all)."""

    def __init__(self, classes: str) -> None:
        super().__init__(classes=classes)
        self.text = ""

    def show(self, text: str) -> None:
        if text != self.text:
            self.text = text
            self.refresh()

    def render(self) -> Text:
        return Text("\n".join(clamp_lines(self.text, self.content_size.width, self.content_size.height)))


class BenchCard(Widget, can_focus=True):
    """A slot's card; Enter opens the phone view, p prints its phone's label."""

    #: Enter opens the phone view at once (the app's action, not a message that would come
    #: after keys typed behind the Enter: ``Enter a`` must not answer another phone first)
    BINDINGS = [Binding("enter", "app.open_phone", "Open", show=True), Binding("p", "label", "Label", show=True)]

    @dataclass
    class LabelRequested(Message):
        slot: int

    outcome: reactive[str] = reactive("running")
    upload: reactive[str] = reactive("none")

    def __init__(self, slot: int) -> None:
        super().__init__(id=f"slot-{slot}")
        self.slot = slot
        self.name_label, self.status_label = Line("name"), StatusBar()
        self.reason_label = ReasonLines(classes="reason")
        self.titled: SlotView | None = None  # the view the title was made from, for a resize

    def compose(self) -> ComposeResult:
        yield self.name_label
        yield self.status_label
        yield self.reason_label

    def show(self, view: SlotView) -> None:
        """Draw ``view``; called on a refresh tick, only for slots that changed."""
        self.titled = view
        self._put_title()
        self.name_label.put(printable(view.card_name))
        running = view.running and view.outcome != "asking"
        self.status_label.put(view.status(), (view.checks_done, max(view.checks_total, 1)) if running else None)
        self.reason_label.show(view.reason())
        self.set_class(view.unplugged, "-unplugged")
        self.outcome = view.outcome
        upload = view.upload
        marker = upload.marker if upload is not None else None
        if self.border_subtitle != (marker or ""):
            self.border_subtitle = marker or ""
        self.upload = upload.state if upload is not None and marker else "none"

    def _put_title(self) -> None:
        """Slot, platform and port in the top border; the platform shortened when the whole
        would not fit the card (the port is what tells two cards of one model apart)."""
        view = self.titled
        if view is None:
            return
        port = f" · {printable(view.port_shown)}" if view.port_shown else ""
        title = f"{view.slot} · {printable(PLATFORM.get(view.platform, view.platform))}{port}"
        width = self.outer_size.width
        if not width:  # not laid out yet: the title again once it is (a Resize may have come first)
            self.call_after_refresh(self._put_title)
        elif width < NARROW or cell_len(title) > width - 6:  # "╭─ " before the title, " ─╮" after
            title = f"{view.slot} · {printable(PLATFORM_SHORT.get(view.platform, view.platform))}{port}"
        if self.border_title != escape(title):
            self.border_title = escape(title)

    def on_resize(self) -> None:
        self._put_title()

    def watch_outcome(self, old: str, new: str) -> None:
        self.remove_class(f"-{old}", update=False)  # one restyle of the card, not two
        self.add_class(f"-{new}")

    def watch_upload(self, old: str, new: str) -> None:
        self.remove_class(f"-upload-{old}", update=False)  # one restyle of the card, not two
        self.add_class(f"-upload-{new}")

    def action_label(self) -> None:
        self.post_message(self.LabelRequested(self.slot))

    def on_click(self) -> None:
        self.focus()


class Line(Label):
    """One line of a card, redrawn only when its text changed (never laid out again)."""

    def __init__(self, classes: str) -> None:
        super().__init__(classes=classes)
        self.shown: Text | None = None

    def put(self, text: str) -> None:
        if self.shown is None or self.shown.plain != text:
            self.shown = Text(text, no_wrap=True, overflow="ellipsis")
            self.update(self.shown, layout=False)


class StatusBar(Widget):
    """The status words, then, while checks run, their progress as a bar in the width left:
    one line drawn as one piece, so words of another length never lay the bench out again.
    The bar is Rich's (rich.progress_bar), in the colours of Textual's own (bench.tcss)."""

    COMPONENT_CLASSES = {"status-bar--bar", "status-bar--done"}

    def __init__(self) -> None:
        super().__init__(classes="status")
        self.text: str = ""
        self.progress: tuple[int, int] | None = None

    def put(self, text: str, progress: tuple[int, int] | None) -> None:
        """Show ``text``, and ``progress`` as (done, total) checks, or no bar when None."""
        if (text, progress) != (self.text, self.progress):
            self.text, self.progress = text, progress
            self.refresh()

    def render(self) -> Text:
        line = Text(self.text, no_wrap=True, overflow="ellipsis", end="")
        room = self.content_size.width - line.cell_len - 1
        if self.progress is None or room < 3:
            return line
        done, total = self.progress
        bar = ProgressBar(total=total, completed=done, width=room,
                          style=self.get_component_rich_style("status-bar--bar"),
                          complete_style=self.get_component_rich_style("status-bar--done"),
                          finished_style=self.get_component_rich_style("status-bar--done"))
        console = self.app.console
        line.append(" ")
        for segment in console.render(bar, console.options.update(width=room)):
            line.append(segment.text, segment.style)
        return line
