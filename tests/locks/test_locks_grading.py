"""The bundled profiles over whole replayed sessions: a lock holds the phone in a grade of its
own, root and an unlocked bootloader are the profile's choice, and a lock state that cannot be
read goes to a person."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from agent.check import CheckResult, Metric
from agent.delivery.ledger import SideRecord
from agent.fixtures.format import Fixture, load_fixture
from agent.grading.profile import load_profile
from agent.grading.rules import grade
from agent.links.replay import replay_link
from agent.session.engine import run_session
from agent.session.station import open_station

ROOT = Path(__file__).resolve().parents[2] / "fixtures"
ANSWERS = {"cosmetic_grade": "B", "screen.visual": []}
LOCKED = {
    "android/google-account-frp.yaml": ("Google account is signed in", "Samsung, Xiaomi or HUAWEI account"),
    "android/mdm-device-owner.yaml": ("device-policy app",),
    "ios/find-my-on.yaml": ("Find My is on",),
    "ios/supervised-mdm.yaml": ("remote management (MDM)",),
}


def session(fixture: Fixture, profile: str, tmp: Path) -> dict[str, Any]:
    bench = open_station(profile, record=SideRecord(tmp / profile))

    async def go() -> dict[str, Any]:
        events = [e async for e in run_session(replay_link(fixture), bench, answers=ANSWERS)]
        return events[-1].report

    return asyncio.run(go())


def locks_entry(report: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in report["checks"] if c["name"] == "locks")


@pytest.mark.parametrize("profile", ["default", "resale-80"])
@pytest.mark.parametrize("name", sorted(LOCKED))
def test_a_lock_holds_the_phone_and_names_the_lock(name: str, profile: str, tmp_path: Path) -> None:
    report = session(load_fixture(ROOT / name), profile, tmp_path)
    assert report["grade"]["value"] == "locked"
    assert report["grade"]["reasons"][0].startswith("hold: remove the lock before grading")
    entry = locks_entry(report)
    assert entry["verdict"] == "fail"
    for words in LOCKED[name]:
        assert any(words in reason for reason in entry["reasons"]), (words, entry["reasons"])


@pytest.mark.parametrize("name", ["android/rooted.yaml", "android/bootloader-unlocked.yaml"])
def test_root_and_an_unlocked_bootloader_are_not_sellable_under_resale_80_and_a_warning_by_default(
        name: str, tmp_path: Path) -> None:
    resale = session(load_fixture(ROOT / name), "resale-80", tmp_path)
    assert resale["grade"]["value"] == "not_sellable"
    assert any("rooted, bootloader unlocked" in r for r in resale["grade"]["reasons"])
    assert locks_entry(resale)["verdict"] == "fail"  # the check's verdict agrees with the grade
    assert not any("hold" in r for r in resale["grade"]["reasons"])  # a fail that is not a lock
    default = session(load_fixture(ROOT / name), "default", tmp_path)
    assert default["grade"]["value"] == "B"
    assert locks_entry(default)["verdict"] == "warn"


def test_no_account_name_or_organisation_is_in_the_signed_report(tmp_path: Path) -> None:
    for name in ("android/google-account-frp.yaml", "ios/supervised-mdm.yaml"):
        text = json.dumps(session(load_fixture(ROOT / name), "default", tmp_path))
        for secret in ("user1@example.com", "Example Logistics", "mdm.example.com", "0F6C21A4"):
            assert secret not in text, (name, secret)


def test_a_lock_state_that_cannot_be_read_goes_to_review(tmp_path: Path) -> None:
    fixture = load_fixture(ROOT / "ios/iphone-13.yaml")
    assert fixture.ios is not None
    without_mdm = dataclasses.replace(fixture, ios=dataclasses.replace(fixture.ios, services={}))
    for profile in ("default", "resale-80"):
        report = session(without_mdm, profile, tmp_path)
        entry = locks_entry(report)
        assert entry["verdict"] == "review"
        assert any("lock state not readable" in r for r in entry["reasons"])
        assert report["grade"]["value"] == "review"


def test_a_locks_check_that_could_not_run_is_never_a_pass() -> None:
    for profile in (load_profile("default"), load_profile("resale-80")):
        results = {"locks": CheckResult("error", {}, detail="no lock state could be read")}
        graded = grade(profile, results, {"cosmetic_grade": "A"}, complete=True)
        assert graded.verdicts["locks"].verdict == "review"
        assert graded.grade.value == "review"


def test_a_lock_beats_every_other_finding(tmp_path: Path) -> None:
    profile = load_profile("resale-80")
    results = {
        "battery": CheckResult("measured", {"state_of_health_percent": Metric(60, "test")}),
        "locks": CheckResult("measured", {"locks_found": Metric(["find_my"], "test"), "locks_unread": Metric([], "test"),
                                          "tamper_signs": Metric(["root"], "test"), "tamper_unread": Metric([], "test")}),
    }
    graded = grade(profile, results, {"cosmetic_grade": "A"}, complete=True)
    assert graded.grade.value == "locked"


def _clean_locks(unread: list[str] | None = None) -> CheckResult:
    return CheckResult("measured", {"locks_found": Metric([], "test"), "locks_unread": Metric(unread or [], "test"),
                                    "tamper_signs": Metric([], "test"), "tamper_unread": Metric([], "test")})


def test_a_functional_fail_stands_while_another_check_waits_but_not_while_a_lock_is_unread() -> None:
    profile = load_profile("resale-80")
    worn = CheckResult("measured", {"state_of_health_percent": Metric(60, "test")})
    unseen = CheckResult("measured", {"visual_ok": Metric(None, "test", "not assessed: no technician answer")})
    settled = grade(profile, {"battery": worn, "screen": unseen, "locks": _clean_locks()}, {"cosmetic_grade": "A"}, True)
    assert settled.verdicts["screen"].verdict in ("review", "not_assessed")
    assert settled.grade.value == "not_sellable"
    open_lock = grade(profile, {"battery": worn, "locks": _clean_locks(["find_my"])}, {"cosmetic_grade": "A"}, True)
    assert open_lock.verdicts["locks"].verdict == "review"
    assert open_lock.grade.value == "review"


def test_a_missing_cosmetic_answer_cannot_make_an_f_worse() -> None:
    profile = load_profile("default")
    counterfeit = CheckResult("measured", {"storage_matches_model": Metric(False, "test")})
    graded = grade(profile, {"storage": counterfeit, "locks": _clean_locks()}, {}, True)
    assert graded.grade.value == "F"
