"""Strings from a phone are capped where they enter a report, so that one phone's endless
model name cannot make a report that the backend refuses for ever (its limit is 1 MiB)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from agent.check import Check, CheckContext, CheckResult, Metric
from agent.delivery.ledger import SideRecord
from agent.fixtures.format import parse_fixture
from agent.links.replay import replay_link
from agent.report.schema import validate_report
from agent.report.signing import canonical_json
from agent.session.engine import run_session
from agent.session.events import ReportSaved
from agent.session.station import open_station
from agent.text import CAP_BYTES, capped, capped_json

ROOT = Path(__file__).resolve().parents[2]
HUGE = 600_000


def test_a_short_string_is_kept_as_it_is() -> None:
    assert capped("Pixel 7") == "Pixel 7" and capped("x" * CAP_BYTES) == "x" * CAP_BYTES


def test_a_long_string_keeps_its_start_and_says_how_much_was_cut() -> None:
    cut = capped("M" * HUGE)
    kept = cut.index("\u2026")
    assert cut == "M" * kept + f"\u2026[cut: {HUGE - kept} characters]"
    assert len(cut.encode("utf-8")) <= CAP_BYTES


@pytest.mark.parametrize("char", ["\u00e9", "\u20ac", "\U0001f4f1"])
def test_the_cap_counts_utf8_bytes_and_never_splits_a_character(char: str) -> None:
    cut = capped(char * CAP_BYTES)
    assert len(cut.encode("utf-8")) <= CAP_BYTES and cut.startswith(char * 100)
    assert set(cut[: cut.index("\u2026")]) == {char}


def test_every_string_inside_a_value_is_capped() -> None:
    value = capped_json({"x" * HUGE: ["y" * HUGE, 3, None, True], "n": 1.5})
    (key, items), = [(k, v) for k, v in value.items() if k != "n"]
    assert "[cut:" in key and "[cut:" in items[0] and items[1:] == [3, None, True] and value["n"] == 1.5


def test_a_metric_caps_its_value_source_reason_and_method() -> None:
    assert "[cut:" in Metric("v" * HUGE, "s" * HUGE, method="m" * HUGE).to_json()["value"]
    shown = Metric(None, "s" * HUGE, "r" * HUGE).to_json()
    assert all(len(shown[k].encode()) <= CAP_BYTES and "[cut:" in shown[k] for k in ("source", "reason"))


# -- through a session ---------------------------------------------------------------------------

def _huge_fixture() -> str:
    """pixel-7.yaml, its getprop giving a 600 kB model and manufacturer."""
    text = (ROOT / "fixtures" / "android" / "pixel-7.yaml").read_text(encoding="utf-8")
    for line in ("[ro.product.manufacturer]: [Google]", "[ro.product.model]: [Pixel 7]"):
        assert text.count(line) == 1
        name = line.split("]")[0] + "]"
        text = text.replace(line, f"{name}: [{'Q' * HUGE}]")
    return text


class LongDetail(Check):
    """An error whose detail quotes what the phone said, all of it."""

    name, title = "long_detail", "Long detail"
    platforms = frozenset({"android"})

    async def run(self, ctx: CheckContext) -> Any:
        return CheckResult("error", {}, "the phone said: " + "D" * HUGE)


def _report(tmp_path: Path) -> ReportSaved:
    bench = open_station("default", record=SideRecord(tmp_path / "reports"))
    bench.checks = [*bench.checks, LongDetail()]

    async def collect() -> list:
        return [e async for e in run_session(replay_link(parse_fixture(_huge_fixture())), bench)]

    saved = asyncio.run(collect())[-1]
    assert isinstance(saved, ReportSaved)
    return saved


def test_a_phone_with_a_600_kb_model_name_gives_a_small_valid_report_that_says_it_was_cut(tmp_path: Path) -> None:
    saved = _report(tmp_path)
    report = saved.report
    validate_report(report)
    assert len(canonical_json(report)) < 64 * 1024 and Path(saved.path).stat().st_size < 64 * 1024
    for field in ("model", "manufacturer"):
        assert report["device"][field].startswith("QQQQ") and report["device"][field].endswith(" characters]")
        assert "\u2026[cut: " in report["device"][field]
    detail = next(c for c in report["checks"] if c["name"] == "long_detail")["detail"]
    assert detail.startswith("the phone said: DDD") and "[cut: " in detail


def test_a_list_or_mapping_from_a_phone_keeps_at_most_256_entries_and_says_how_many_were_cut() -> None:
    from agent.text import CAP_ITEMS, capped_json

    many = capped_json({f"com.vendor.type{n}": 1 for n in range(15_000)})
    assert len(many) == CAP_ITEMS + 1 and many["…"] == f"[cut: {15_000 - CAP_ITEMS} entries]"
    assert capped_json(list(range(300)))[-1] == "…[cut: 44 items]"


def test_an_e_mail_address_never_reaches_a_report_string() -> None:
    from agent.text import capped_json

    assert capped_json({"reason": "Owner of user1@example.com Example Ltd"}) == {"reason": "Owner of <e-mail> Example Ltd"}
