"""An example phonebench check: release keys (Android) and activation state (iOS).

A custom ROM is usually built with test keys; `ro.build.tags` says which keys signed the
system. The check reports what the phone says and leaves judging it to the profile.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from agent.check import Check, CheckContext, CheckResult, Metric, known, unknown
from agent.links.base import AndroidLink, IosLink, lockdown_read_key

BUILD_TAGS = "getprop ro.build.tags"
ACTIVATION = "ActivationState"


class BuildTagsCheck(Check):
    name: ClassVar[str] = "build_tags"
    title: ClassVar[str] = "Build signing"
    reads: ClassVar[Mapping[str, tuple[str, ...]]] = {"android": (BUILD_TAGS,), "ios": (lockdown_read_key(""),)}

    async def run(self, ctx: CheckContext) -> CheckResult | Mapping[str, Metric]:
        if isinstance(ctx.link, AndroidLink):
            reply = await ctx.link.shell(BUILD_TAGS, timeout=ctx.timeout_s)
            tags = reply.stdout.strip() if reply.ok else ""
            if not tags:
                why = (reply.stderr.strip().splitlines() or [f"exit {reply.exit_code}"])[0] if not reply.ok else "empty"
                return CheckResult("error", {"build_tags": unknown(why, BUILD_TAGS)}, detail=f"`{BUILD_TAGS}`: {why}")
            return {
                "build_tags": known(tags, BUILD_TAGS),
                "release_keys": Metric("release-keys" in tags.split(","), BUILD_TAGS, method="'release-keys' in the tags"),
            }
        if isinstance(ctx.link, IosLink):
            values = await ctx.link.lockdown_value("", timeout=ctx.timeout_s)
            state = values.get(ACTIVATION) if isinstance(values, Mapping) else None
            source = f"lockdown:{ACTIVATION}"
            return {"activation_state": known(state if isinstance(state, str) else None, source)}
        return CheckResult("unsupported", detail=f"nothing to read on a {ctx.platform} link")
