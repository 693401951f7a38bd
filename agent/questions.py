"""The questions only a person at the bench can answer.

Answer keys are part of the report contract (``report.answers``) and of profiles, which
grade on them.
"""

from __future__ import annotations

from agent.check import Choice, Question

SCREEN_VISUAL = Question(
    key="screen.visual",
    prompt="Inspect the screen. Tick every defect you see (none ticked = the screen looks right).",
    kind="checklist",
    choices=(
        Choice("dead_pixels", "Dead or stuck pixels", "Dots that stay black or one colour on full-screen colours."),
        Choice("lines", "Lines", "Horizontal or vertical lines, bands or bleeding across the panel."),
        Choice("burn_in", "Burn-in", "Ghost images (status bar, keyboard) visible on a grey or white screen."),
        Choice("touch", "Touch fault", "Parts of the screen that do not respond to touch or register ghost touches."),
    ),
    help="Show full-screen white, black, red, green, blue and grey; drag a finger over every part of the screen.",
)

COSMETIC_GRADE = Question(
    key="cosmetic_grade",
    prompt="Cosmetic grade of the housing and glass",
    kind="choice",
    choices=(
        Choice("A", "A: like new", "No visible wear at arm's length; at most micro-scratches under light."),
        Choice("B", "B: light wear", "Light scratches or scuffs on the frame or back; screen glass free of deep scratches."),
        Choice("C", "C: visible wear", "Noticeable scratches, small dents or chips; no cracks."),
        Choice("D", "D: heavy wear", "Deep scratches, dents, cracked back glass or housing damage."),
    ),
)

NOTES = Question(key="notes", prompt="Notes for this phone (optional)", kind="text")

ALL: dict[str, Question] = {q.key: q for q in (SCREEN_VISUAL, COSMETIC_GRADE, NOTES)}
