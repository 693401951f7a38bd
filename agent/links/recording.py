"""Recording a real phone into a ``phonebench-fixture/1`` file.

A recording link wraps any live link and notes what the phone answered while the real
checks run over it: every shell command with its stdout, stderr, exit code and how long it
took, every lockdown domain and IORegistry entry. Driving the checks themselves (not a
fixed list of commands) means the recording holds exactly what a replay will be asked,
including reads a check only makes on some phones.

A recording is written only when it completed: a phone that went away half-way would give
a fixture that replays as a different phone, so it leaves no file at all. The file is
written to a temporary name and renamed, so a reader never sees half of it.
"""

from __future__ import annotations

import asyncio
import logging
import re
import statistics
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from agent.check import Check, CheckContext, CheckResult
from agent.errors import FixtureError, LinkDisconnected, LinkError, LinkTimeout
from agent.files import write_atomic
from agent.fixtures.format import FORMAT, Fixture, parse_fixture
from agent.links.base import DEFAULT_TIMEOUT_S, AndroidLink, IosLink, Link, ShellResult, ioregistry_read_key, lockdown_read_key
from agent.report.build import DEVICE_FIELDS
from checks.commands import GETPROP
from checks.parsers.getprop import parse_getprop

log = logging.getLogger(__name__)

#: identity metrics copied into ``expect`` (with the figures of EXPECT_METRICS)
EXPECT_METRICS = (
    "identity.serial", "identity.model", "identity.os_version", "battery.cycle_count", "battery.temperature_c",
    "battery.voltage_mv", "battery.design_capacity_mah", "battery.full_charge_capacity_mah", "screen.width_px",
    "screen.height_px", "screen.density_dpi", "storage.total_bytes", "storage.advertised_gb",
)  # fmt: skip
BANNER_PROPS = ("ro.product.name", "ro.product.model", "ro.product.device")


class Recording:
    """What one phone answered so far; shared by the recording link's calls."""

    def __init__(self, platform: str, device_id: str) -> None:
        self.platform = platform
        self.device_id = device_id
        self.commands: dict[str, dict[str, Any]] = {}
        self.lockdown: dict[str, dict[str, Any]] = {}
        self.ioregistry: dict[str, dict[str, Any]] = {}
        self.hangs: list[str] = []
        self.delays_ms: list[int] = []
        self.lost: str | None = None  # why the recording cannot be used

    def note_failure(self, key: str, error: LinkError) -> None:
        """A silent phone is recorded as a ``hang`` fault; any other failure spoils the recording."""
        if isinstance(error, LinkTimeout):
            if key not in self.hangs:
                self.hangs.append(key)
        elif self.lost is None:
            self.lost = str(error)


class RecordingAndroidLink(AndroidLink):
    def __init__(self, inner: AndroidLink, features: Sequence[str] = ()) -> None:
        self.inner = inner
        self.device_id = inner.device_id
        self.describe = inner.describe
        self.features = tuple(features)
        self.recording = Recording("android", inner.device_id)

    async def shell(self, command: str, timeout: float = DEFAULT_TIMEOUT_S) -> ShellResult:
        started = time.monotonic()
        try:
            result = await self.inner.shell(command, timeout=timeout)
        except LinkError as e:
            self.recording.note_failure(command, e)
            raise
        reply: dict[str, Any] = {"stdout": result.stdout}
        if result.stderr:
            reply["stderr"] = result.stderr
        # adb shell v1 cannot tell an exit status: left at 0, and the missing shell_v2
        # feature makes a replay through the simulator answer without one again
        if result.exit_code:
            reply["exit_code"] = result.exit_code
        reply["delay_ms"] = _elapsed_ms(started)
        self.recording.commands[command] = reply
        return result

    async def close(self) -> None:
        await self.inner.close()


class RecordingIosLink(IosLink):
    def __init__(self, inner: IosLink) -> None:
        self.inner = inner
        self.device_id = inner.device_id
        self.describe = inner.describe
        self.recording = Recording("ios", inner.device_id)

    async def lockdown_value(self, domain: str = "", key: str | None = None, timeout: float = DEFAULT_TIMEOUT_S) -> Any:
        started = time.monotonic()
        try:
            value = await self.inner.lockdown_value(domain, key, timeout=timeout)
        except LinkError as e:
            self.recording.note_failure(lockdown_read_key(domain), e)
            raise
        self.recording.delays_ms.append(_elapsed_ms(started))
        if key is None and isinstance(value, Mapping):
            self.recording.lockdown.setdefault(domain, {}).update(_plain(value))
        elif key is not None and value is not None:
            self.recording.lockdown.setdefault(domain, {})[key] = _plain(value)
        return value

    async def ioregistry(self, name: str, timeout: float = DEFAULT_TIMEOUT_S) -> Mapping[str, Any] | None:
        started = time.monotonic()
        try:
            entry = await self.inner.ioregistry(name, timeout=timeout)
        except LinkError as e:
            self.recording.note_failure(ioregistry_read_key(name), e)
            raise
        self.recording.delays_ms.append(_elapsed_ms(started))
        if entry is not None:
            self.recording.ioregistry[name] = _plain(dict(entry))
        return entry

    async def close(self) -> None:
        await self.inner.close()


RecordingLink = RecordingAndroidLink | RecordingIosLink


def recording_link(inner: Link, features: Sequence[str] = ()) -> RecordingLink:
    """The recording wrapper for ``inner`` (``features``: the adbd features, Android only)."""
    if isinstance(inner, AndroidLink):
        return RecordingAndroidLink(inner, features)
    if isinstance(inner, IosLink):
        return RecordingIosLink(inner)
    raise LinkError(f"{inner.describe or inner.device_id}: cannot record a {inner.platform} link")


def _plain(value: Any) -> Any:
    """A plist value as YAML can hold it: unusual types (plistlib.UID, ...) become text."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bytes, datetime)):
        return value
    return str(value)


def _elapsed_ms(started: float) -> int:
    return max(0, round((time.monotonic() - started) * 1000))


async def record_phone(link: RecordingLink, checks: Sequence[Check], catalog: Any = None,
                       timeout_s: float = DEFAULT_TIMEOUT_S) -> dict[str, CheckResult]:
    """Send every read the checks declare, then run the checks themselves (identity first,
    so the others see the catalog model, as in a session). Raises LinkError when the phone
    went away or stopped being usable; a check that raises anything else is logged and the
    recording goes on: what it read is recorded all the same."""
    platform = link.platform
    usable = [c for c in checks if platform in c.platforms]
    reads = dict.fromkeys(r for c in usable for r in c.reads.get(platform, ()))
    await asyncio.gather(*(_read(link, r, timeout_s) for r in reads), return_exceptions=True)
    _raise_if_lost(link)
    results: dict[str, CheckResult] = {}
    device: dict[str, Any] = {"platform": platform}
    model = None
    for check in (c for c in usable if c.name == "identity"):
        results[check.name] = await _run(check, CheckContext(link, platform, dict(device), None, None, timeout_s))
        model = _identify(device, results[check.name], catalog, platform)
    others = [c for c in usable if c.name != "identity"]
    done = await asyncio.gather(
        *(_run(c, CheckContext(link, platform, dict(device), model, None, timeout_s)) for c in others),
        return_exceptions=True,
    )
    results.update({c.name: r for c, r in zip(others, done) if isinstance(r, CheckResult)})
    _raise_if_lost(link)
    return results


def _raise_if_lost(link: RecordingLink) -> None:
    if link.recording.lost is not None:
        raise LinkDisconnected(f"{link.device_id}: recording incomplete: {link.recording.lost}")


def _identify(device: dict[str, Any], identity: CheckResult, catalog: Any, platform: str) -> Any:
    """Fill ``device`` and find the catalog model as the engine does after identity."""
    device.update({k: m.value for k, m in identity.metrics.items() if k in DEVICE_FIELDS and m.value is not None})
    codes = [device.get(k) for k in ("model", "model_code", "marketing_name")]
    model = catalog.lookup(platform, *codes) if catalog is not None else None
    if model is not None:
        device["catalog_key"] = model.key
        device.setdefault("marketing_name", model.marketing_name)
    return model


async def _read(link: RecordingLink, read: str, timeout_s: float) -> None:
    kind, _, name = read.partition(":")
    try:
        if isinstance(link, RecordingAndroidLink) and kind not in ("lockdown", "ioregistry"):
            await link.shell(read, timeout=timeout_s)
        elif isinstance(link, RecordingIosLink) and kind == "lockdown":
            await link.lockdown_value(name, timeout=timeout_s)
        elif isinstance(link, RecordingIosLink) and kind == "ioregistry":
            await link.ioregistry(name, timeout=timeout_s)
    except LinkTimeout:
        pass  # noted as a hang fault; the phone may still answer the rest


async def _run(check: Check, ctx: CheckContext) -> CheckResult:
    try:
        out = await check.run(ctx)
    except LinkTimeout as e:
        return CheckResult("error", detail=str(e))
    except LinkError:
        raise
    except Exception as e:  # a third-party check's bug must not lose the recording
        log.warning("check %s raised while recording: %s: %s", check.name, type(e).__name__, e)
        return CheckResult("error", detail=f"check raised {type(e).__name__}")
    if isinstance(out, CheckResult):
        return out
    return CheckResult("measured", dict(out))


# -- the fixture file ------------------------------------------------------------------


def fixture_document(link: RecordingLink, results: Mapping[str, CheckResult], source: str) -> dict[str, Any]:
    """The recording as a ``phonebench-fixture/1`` document (identifiers not yet redacted)."""
    rec = link.recording
    metrics = {f"{c}.{m}": results[c].metrics[m].value for c, _, m in (k.partition(".") for k in EXPECT_METRICS)
               if c in results and m in results[c].metrics}
    doc: dict[str, Any] = {"format": FORMAT, "name": _name(results, link), "platform": rec.platform, "source": source}
    if isinstance(link, RecordingAndroidLink):
        props = parse_getprop(rec.commands.get(GETPROP, {}).get("stdout", ""))
        doc["android"] = {
            "serial": _serial(rec.device_id, props),
            "state": "device",
            "banner": {k: props[k] for k in BANNER_PROPS if props.get(k)},
            "features": list(link.features),
            "commands": rec.commands,
        }
    else:
        delay = round(statistics.median(rec.delays_ms)) if rec.delays_ms else 0
        doc["ios"] = {"udid": rec.device_id, "pairing": "paired", "delay_ms": delay,
                      "lockdown": {"": {}, **rec.lockdown}, "ioregistry": rec.ioregistry}
    doc["faults"] = [{"kind": "hang", "at": key} for key in rec.hangs]
    doc["expect"] = {"complete": True, "metrics": metrics}
    return doc


def _name(results: Mapping[str, CheckResult], link: Link) -> str:
    identity = results.get("identity")
    values = {k: m.value for k, m in identity.metrics.items()} if identity else {}
    label = values.get("marketing_name") or values.get("model") or "unidentified phone"
    system = "iOS" if link.platform == "ios" else "Android"
    version = values.get("os_version")
    return f"{label}, {system} {version}" if version else str(label)


def _serial(device_id: str, props: Mapping[str, str]) -> str:
    """The adb serial, or the phone's own when adb knows it by a network address."""
    host, sep, port = device_id.rpartition(":")
    if sep and host and port.isdigit():
        return props.get("ro.serialno") or props.get("ro.boot.serialno") or device_id
    return device_id


def dump_fixture(doc: Mapping[str, Any]) -> str:
    """YAML text for a fixture document that loads back to exactly the same outputs:
    multi-line outputs as literal blocks where YAML can hold them byte for byte."""
    text = yaml.dump(dict(doc), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
    # PyYAML writes the empty lockdown domain as a complex key (`? ''`); write it as `'':`
    tidy = _EMPTY_KEY.sub(lambda m: f"{m[1]}'':\n{m[1]}  ", text)
    return tidy if yaml.safe_load(tidy) == yaml.safe_load(text) else text


_EMPTY_KEY = re.compile(r"^( *)\? ''\n\1: (?=\S)", re.MULTILINE)


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    # PyYAML falls back to a quoted style itself when a block cannot hold the text
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|" if "\n" in text else None)


_Dumper.add_representer(str, _str)


def write_fixture(path: Path, doc: Mapping[str, Any]) -> Fixture:
    """Write atomically (a temporary file in the same folder, then rename), after checking
    the text loads back as a fixture; an existing file is only ever replaced whole."""
    text = dump_fixture(doc)
    fixture = parse_fixture(text, path)
    if yaml.safe_load(text) != yaml.safe_load(yaml.safe_dump(dict(doc), allow_unicode=True)):
        raise FixtureError(f"{path}: the recording would not load back byte for byte; nothing written")
    try:
        write_atomic(path, text.encode("utf-8"))
    except OSError as e:
        raise FixtureError(f"{path}: cannot write the recording: {e.strerror or e}") from e
    return fixture


# -- what a replay lacks ----------------------------------------------------------------


def fixture_gaps(fixture: Fixture, reads: Sequence[str]) -> tuple[str, ...]:
    """The reads among ``reads`` (a check's ``reads`` for the fixture's platform) that the
    fixture has no answer for: a replay then says "fixture lacks `dumpsys battery`" rather
    than leave a puzzling measurement error."""
    gaps: list[str] = []
    for read in reads:
        kind, _, name = read.partition(":")
        if fixture.android is not None and kind not in ("lockdown", "ioregistry"):
            missing = read not in fixture.android.commands
        elif fixture.ios is not None and kind in ("lockdown", "ioregistry"):
            missing = name not in (fixture.ios.lockdown if kind == "lockdown" else fixture.ios.ioregistry)
        else:
            missing = False
        if missing and fixture.fault_at(read) is None:
            gaps.append(read)
    return tuple(gaps)


def lacks_detail(gaps: Sequence[str]) -> str:
    return "fixture lacks " + ", ".join(f"`{g}`" for g in gaps)
