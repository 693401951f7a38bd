"""The top line: the profile, how many phones are where, and whether anyone needs you.

A phone with a question open is counted as "needs you", not as checking: it waits on a
person, not on the phone, and the count is how many cards to walk to.
"""

from __future__ import annotations

from collections import Counter

from rich.text import Text
from textual.widgets import Static

from agent.tui.model import SlotView


class StatusLine(Static):
    def show(self, profile: str, views: list[SlotView], questions: int) -> None:
        counts = Counter(v.outcome for v in views)
        done = counts["good"] + counts["bad"] + counts["review"]
        text = Text("phonebench", style="bold")
        text.append(f" · {profile} · {len(views)} phones: {counts['running']} checking")
        if counts["asking"]:
            text.append(f", {counts['asking']} need{'s' if counts['asking'] == 1 else ''} you", style="bold")
        text.append(f", {done} done")
        if counts["waiting"]:
            text.append(f", {counts['waiting']} waiting", style="yellow")
        if counts["error"] + counts["incomplete"]:
            text.append(f", {counts['error'] + counts['incomplete']} error/incomplete", style="red")
        if questions:
            text.append(f" · {questions} question{'s' if questions > 1 else ''} for you (press a)", style="bold yellow")
        self.update(text)
