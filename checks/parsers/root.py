"""What the shell user can see of root: su binaries on the usual paths, root managers' apps.

`ls -l PATH...` lists each path that exists on its own line (toybox: ``-rwsr-x--- 1 root
shell 11424 2009-01-01 08:00 /system/xbin/su``; Magisk's ``lrwxrwxrwx ... /system/bin/su ->
./magisk``) and says ``ls: PATH: No such file or directory`` for each that does not (old
toolbox ls: ``PATH: No such file or directory``). Over adb shell v1 both streams arrive as
one, so both are read together. `pm list packages | grep -iE WORDS` prints
``package:NAME`` lines, or nothing with exit 1 when no package name has the words.

What this cannot see, and the check says so: a Magisk app repackaged under a random name,
root hidden from the shell user (Magisk DenyList, Shamiko, KernelSU without its manager),
and anything only root could list (/data/adb).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PACKAGE = re.compile(r"^package:([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)+)$")


@dataclass(frozen=True)
class SuPaths:
    """Each probed path sorted by what `ls` said of it."""

    found: tuple[str, ...]
    absent: tuple[str, ...]
    unclear: tuple[str, ...]


def parse_ls(stdout: str, stderr: str, paths: tuple[str, ...]) -> SuPaths | None:
    """The paths `ls -l` listed, said were missing, or said something else about; None
    when the output mentions none of them (not an `ls` answer at all)."""
    lines = [line.rstrip() for line in (stdout + "\n" + stderr).splitlines() if line.strip()]
    found, absent, unclear = [], [], []
    for path in paths:
        said = [line for line in lines if _names(line, path)]
        if any(_missing(line, path) for line in said):
            absent.append(path)
        elif any(_listed(line, path) for line in said):
            found.append(path)
        else:
            unclear.append(path)
    if not found and not absent:
        return None
    return SuPaths(tuple(found), tuple(absent), tuple(unclear))


def _names(line: str, path: str) -> bool:
    return re.search(rf"(^|[\s:]){re.escape(path)}(:|\s|$)", line) is not None


def _missing(line: str, path: str) -> bool:
    return line in (f"ls: {path}: No such file or directory", f"{path}: No such file or directory")


def _listed(line: str, path: str) -> bool:
    """A long-listing line for ``path`` (a symlink's line goes on with `` -> target``)."""
    return not line.startswith("ls:") and re.search(rf"\s{re.escape(path)}(\s->\s.*)?$", line) is not None


def parse_packages(stdout: str) -> tuple[str, ...] | None:
    """The package names grep let through, or None when a line is not ``package:NAME``."""
    names = []
    for line in stdout.splitlines():
        if not line.strip():
            continue
        match = _PACKAGE.match(line.strip())
        if match is None:
            return None
        names.append(match.group(1))
    return tuple(dict.fromkeys(names))
