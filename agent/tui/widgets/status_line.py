"""The top line: the profile, how many phones are where, and whether anyone needs you.

A phone with questions open is counted as "needs you", not as checking: it waits on a
person, not on the phone, and the count is how many phones to walk to (one form each; the
footer says which key answers). Counts that are zero are left out, and where the line
would not fit, the program's name goes first, then the profile's: the counts always show.
"""

from __future__ import annotations

from collections import Counter

from rich.text import Text
from textual.widgets import Static

from agent.tui.model import SlotView


class StatusLine(Static):
    _shown: Text | None = None
    _drawn: tuple[str, list[SlotView], int] | None = None

    def on_resize(self) -> None:
        """Fit the line again: drawn before its width was known, it assumed room for all."""
        if self._drawn is not None:
            self.show(*self._drawn)

    def show(self, profile: str, views: list[SlotView], questions: int) -> None:
        self._drawn = (profile, views, questions)
        counts = Counter(v.outcome for v in views)
        done = counts["good"] + counts["bad"] + counts["review"]
        parts: list[tuple[str, str]] = []
        if counts["asking"]:
            parts.append((f"{counts['asking']} need{'s' if counts['asking'] == 1 else ''} you", "bold"))
        if counts["running"]:
            parts.append((f"{counts['running']} checking", ""))
        parts.append((f"{done} done", ""))
        if counts["waiting"]:
            parts.append((f"{counts['waiting']} waiting", "yellow"))
        if counts["incomplete"]:
            parts.append((f"{counts['incomplete']} incomplete", "red"))
        if counts["error"]:
            parts.append((f"{counts['error']} error{'s' if counts['error'] > 1 else ''}", "red"))
        counted = Text(f"{len(views)} phone{'' if len(views) == 1 else 's'}: ")
        for i, (part, style) in enumerate(parts):
            if self.app.no_color and style != "bold":  # red and yellow would turn dark grey
                style = ""
            counted.append(", " if i else "").append(part, style=style)
        room = self.size.width - 2 if self.size.width else 10_000
        with_profile = Text(f"{profile} · ").append_text(counted)
        shown = with_profile if with_profile.cell_len <= room else counted  # counts matter most
        if shown is with_profile and len("phonebench · ") + shown.cell_len <= room:
            shown = Text("phonebench", style="bold").append(" · ").append_text(shown)
        if shown != self._shown:  # the line keeps its size: no layout
            self._shown = shown
            self.update(shown, layout=False)
