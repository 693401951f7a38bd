"""Keys into a text field in the order they were typed.

Textual's Input inserts a character as its key arrives, but acts on Enter, Backspace, the
arrows, Home and End through bindings, which run only once the key has gone round the app:
after the characters typed behind it. ``apply_key`` does what Input would, at once, so a
burst like ``Bob Enter zz`` answers "Bob" and ``Bo Backspace b`` reads "Bb".
"""

from __future__ import annotations

from textual.binding import Binding
from textual.events import Key
from textual.widgets import Input

#: Input's own bindings a key may stand for (left, backspace, home...), by key; those with
#: arguments (shift+arrows selecting) are left to Input
INPUT_KEYS = {key.strip(): b.action for b in Input.BINDINGS if isinstance(b, Binding)
              for key in b.key.split(",") if "(" not in b.action}


def apply_key(field: Input, event: Key) -> bool:
    """Apply ``event`` to ``field`` now, as Input would (a character, Backspace, an arrow...;
    never Enter: the caller answers with the field); False when Input has nothing for it."""
    if event.is_printable and event.character:
        field.insert_text_at_cursor(event.character)
        return True
    action = INPUT_KEYS.get(event.key)
    method = getattr(field, f"action_{action}", None) if action and action != "submit" else None
    if method is None:
        return False
    method()
    return True
