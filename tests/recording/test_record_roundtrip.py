"""Record a phone, replay the recording: the session measures the same phone."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path

import pytest

from agent.errors import LinkDisconnected
from agent.fixtures.format import load_fixture, parse_fixture
from agent.fixtures.gaps import fixture_gaps, lacks_detail
from agent.fixtures.record import write_fixture
from agent.fixtures.redact import redact_fixture
from agent.links.replay import replay_link
from checks.battery import BatteryCheck
from checks.commands import DUMPSYS_BATTERY, IOREG_BATTERY, SYS_CYCLE_COUNT

from .helpers import BUNDLED, READY, drops, measured, measured_pair, record_doc, record_replay


@pytest.mark.parametrize("path", READY, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_recording_a_replayed_phone_replays_to_the_same_metrics(path: Path, tmp_path: Path) -> None:
    recorded = record_replay(path, tmp_path / "recorded.yaml")
    again, before = measured_pair(recorded, load_fixture(path), tmp_path)
    assert again == before


@pytest.mark.parametrize("path", READY, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_redacted_recording_measures_the_same_phone_under_placeholders(path: Path, tmp_path: Path) -> None:
    original = load_fixture(path)
    features = original.android.features if original.android else ()
    doc, redactor = redact_fixture(record_doc(replay_link(original), features), random.Random(7))
    recorded = write_fixture(tmp_path / "redacted.yaml", doc)
    again, before = measured_pair(recorded, original, tmp_path)
    assert json.loads(json.dumps(again)) == json.loads(json.dumps(redactor.value(before)))


def test_recording_keeps_every_output_byte_for_byte(tmp_path: Path) -> None:
    garbage = next(p for p in BUNDLED if p.name == "garbage.yaml")  # control characters, U+FFFD
    recorded = record_replay(garbage, tmp_path / "g.yaml")
    original = load_fixture(garbage)
    replies = {c: asyncio.run(replay_link(original).shell(c)) for c in recorded.android.commands}  # type: ignore[union-attr]
    assert {c: r.stdout for c, r in replies.items()} == {c: r.stdout for c, r in recorded.android.commands.items()}  # type: ignore[union-attr]
    assert any("\x00" in r.stdout or "\ufffd" in r.stdout for r in recorded.android.commands.values())  # type: ignore[union-attr]


def test_phone_that_drops_mid_recording_leaves_no_file(tmp_path: Path) -> None:
    dropping = next(p for p in BUNDLED if drops(load_fixture(p)))
    out = tmp_path / "dropped.yaml"
    with pytest.raises(LinkDisconnected):
        record_replay(dropping, out)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_recording_leaves_an_earlier_file_untouched(tmp_path: Path) -> None:
    out = tmp_path / "phone.yaml"
    out.write_text("earlier recording\n")
    with pytest.raises(LinkDisconnected):
        record_replay(next(p for p in BUNDLED if drops(load_fixture(p))), out)
    assert out.read_text() == "earlier recording\n"
    assert [p.name for p in tmp_path.iterdir()] == ["phone.yaml"]


def test_a_command_that_never_answers_is_recorded_as_a_hang_fault(tmp_path: Path) -> None:
    pixel = (next(p for p in BUNDLED if p.name == "pixel-7.yaml")).read_text()
    hanging = parse_fixture(pixel.replace("faults: []", "") + f'\nfaults:\n  - {{kind: hang, at: "{SYS_CYCLE_COUNT}"}}\n')
    doc = record_doc(replay_link(hanging), hanging.android.features, timeout_s=0.2)  # type: ignore[union-attr]
    assert doc["faults"] == [{"kind": "hang", "at": SYS_CYCLE_COUNT}]
    assert SYS_CYCLE_COUNT not in doc["android"]["commands"]
    write_fixture(tmp_path / "hang.yaml", doc)


def test_ios_recording_holds_the_domains_and_entries_the_checks_read(tmp_path: Path) -> None:
    path = next(p for p in BUNDLED if p.name == "iphone-13.yaml")
    original, recorded = load_fixture(path), record_replay(path, tmp_path / "r.yaml")
    assert recorded.ios.lockdown == original.ios.lockdown  # type: ignore[union-attr]
    assert recorded.ios.ioregistry[IOREG_BATTERY] == original.ios.ioregistry[IOREG_BATTERY]  # type: ignore[union-attr]
    assert recorded.expect["metrics"]["battery.cycle_count"] == original.expect["metrics"]["battery.cycle_count"]


def test_fixture_gaps_name_the_reads_a_fixture_cannot_answer() -> None:
    pixel = (next(p for p in BUNDLED if p.name == "pixel-7.yaml")).read_text()
    lacking = parse_fixture(pixel.replace(f'    "{DUMPSYS_BATTERY}":', '    "dumpsys nothing":'))
    gaps = fixture_gaps(lacking, BatteryCheck.reads["android"])
    assert gaps == (DUMPSYS_BATTERY,)
    assert lacks_detail(gaps) == "fixture lacks `dumpsys battery`"
    assert fixture_gaps(load_fixture(next(p for p in BUNDLED if p.name == "pixel-7.yaml")), BatteryCheck.reads["android"]) == ()
