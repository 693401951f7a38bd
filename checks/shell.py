"""What the built-in checks share about reading a phone: sending reads together, and
telling why a command's output cannot be used, in the phone's own (sanitised) words.

Only typing imports at module level, so the parsers can use ``said`` without pulling in
the Check API.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from agent.check import CheckContext
    from agent.links.base import ShellResult

T = TypeVar("T")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


async def gather_reads(*calls: Awaitable[T]) -> list[T]:
    """All calls at once; when one fails (the phone went away), cancel the rest so no
    read outlives the check, then let that failure through unchanged."""
    tasks = [asyncio.ensure_future(c) for c in calls]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def run_commands(ctx: CheckContext, commands: tuple[str, ...]) -> list[ShellResult]:
    """Send ``commands`` concurrently; a phone that goes away or stops answering ends the
    check (see ``gather_reads``)."""
    shell = ctx.link.shell  # type: ignore[attr-defined]
    return await gather_reads(*(shell(c, timeout=ctx.timeout_s) for c in commands))


def shell_problem(result: ShellResult) -> str | None:
    """Why a command's output cannot be used, in the phone's words; None when it can."""
    if not result.ok:
        words = said(result.stderr) or said(result.stdout)
        return f"exit {result.exit_code}{': ' + words if words else ''}"
    if not result.stdout.strip():
        words = said(result.stderr)
        return f"printed nothing{': ' + words if words else ''}"
    return None


def said(text: str, limit: int = 100) -> str:
    """The first non-empty line of untrusted text, without control characters, cut short."""
    for line in text.splitlines():
        clean = _CONTROL.sub(" ", line).strip()
        if clean:
            return clean[:limit]
    return ""
