"""The files a person writes, each spoiled in the four ways the YAML reader refuses, with the
line and the message every one of them must give (imported by name, like signing_helpers)."""

from __future__ import annotations

from dataclasses import dataclass

from agent.yamlfile import MAX_DEPTH, MAX_DIGITS

#: two good lines of each kind of file; the spoilt part follows on line 3
HEADS = {
    "fixture": "format: phonebench-fixture/1\nname: test phone\n",
    "profile": "format: phonebench-profile/1\nname: test\n",
    "config": "station_id: bench-3\nprofile: default\n",
    "answers": "cosmetic_grade: B\nnotes: scuff on the frame\n",
}
_SECOND_KEY = {"fixture": "name", "profile": "name", "config": "profile", "answers": "notes"}


@dataclass(frozen=True)
class Spoilt:
    """A spoilt tail for a file: the error names ``line`` and ``key``, and ends with ``what``."""

    text: str
    line: int
    key: str
    what: str


def _bomb() -> str:
    """Nine lists of nine: 9**9 strings once aliases are expanded, from under 1 KB."""
    lines = ['lol0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"lol{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 9)]
    return "\n".join(lines) + "\n"


def spoilt(area: str, how: str) -> Spoilt:
    key = _SECOND_KEY[area]
    return {
        "duplicate key": Spoilt(f"{key}: again\n", 3, key, f"duplicate key '{key}' (already on line 2)"),
        "alias bomb": Spoilt(_bomb(), 4, "lol1[0]", "aliases are not allowed"),
        "50,000-deep nesting": Spoilt(
            "deep: " + "[" * 50_000 + "\n", 3, "deep[0][0]", f"nested more than {MAX_DEPTH} levels deep"
        ),
        "5,000-digit number": Spoilt(
            "big: " + "7" * 5_000 + "\n", 3, "big", f"a whole number of more than {MAX_DIGITS} digits"
        ),
    }[how]


AREAS = tuple(HEADS)
HOWS = ("duplicate key", "alias bomb", "50,000-deep nesting", "5,000-digit number")


def text_of(area: str, how: str) -> str:
    return HEADS[area] + spoilt(area, how).text


def check_message(message: str, file: str, area: str, how: str) -> None:
    """One line: ``FILE:LINE: key.path...: what``."""
    bad = spoilt(area, how)
    assert "\n" not in message and "Traceback" not in message, message
    assert message.startswith(f"{file}:{bad.line}: {bad.key}"), message
    assert message.endswith(f": {bad.what}"), message
    assert len(message) < len(file) + 200, message
