"""The screen check end to end over replayed phones (inline fixtures)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from agent.check import CheckContext, CheckResult, Metric, Question
from agent.errors import LinkDisconnected, LinkTimeout
from agent.fixtures.format import parse_fixture
from agent.links.replay import replay_link
from checks.commands import DUMPSYS_DISPLAY, LOCKDOWN_ITUNES, WM_DENSITY, WM_SIZE
from checks.screen import ScreenCheck

DATA = Path(__file__).parent / "data"


def load(name: str) -> str:
    return (DATA / name).read_text("utf-8").split("# ---\n", 1)[1]


PIXEL_3A_DISPLAY = load("android_dumpsys_display_pixel3a_a11_grep_fps.txt")
FOLD_DISPLAY = load("android_dumpsys_display_pixel_fold_a16_two_panels.txt")
IOS_SCREENS = json.loads(load("ios_lockdown_itunes_screen_keys.json"))


@dataclass(frozen=True)
class FakeModel:
    marketing_name: str
    screen_px: tuple[int, int]
    storage_gb: tuple[int, ...]
    battery_design_mah: int | None = None


PIXEL_3A = FakeModel("Pixel 3a", (1080, 2220), (64,), 3000)
FOLD8_DISPLAY = load("android_dumpsys_display_samsung_zfold8_sm-f971n_a17_parentmodeid_two_panels.txt")


@dataclass(frozen=True)
class FakeFoldable:
    """A catalog entry with two panels, as agent.grading.catalog.Model gives them."""

    marketing_name: str
    panels_px: tuple[tuple[int, int], ...]
    storage_gb: tuple[int, ...] = (256,)

    @property
    def screen_px(self) -> tuple[int, int]:
        return self.panels_px[0]


FOLD8 = FakeFoldable("Galaxy Z Fold8 (as measured)", ((1848, 2448), (1248, 1972)))
#: what the same probe printed for `wm size` and `wm density` on the folded phone
FOLD8_COMMANDS = {WM_SIZE: "Physical size: 1248x1972\n", WM_DENSITY: "Physical density: 420\n",
                  DUMPSYS_DISPLAY: FOLD8_DISPLAY}
IPHONE_8 = FakeModel("iPhone 8", (750, 1334), (64, 128, 256), 1821)


def android(commands: dict[str, str], faults: list[dict[str, str]] | None = None) -> Any:
    doc = {
        "format": "phonebench-fixture/1", "name": "test", "platform": "android", "source": "inline test",
        "android": {"serial": "TEST0001", "commands": {cmd: {"stdout": out} for cmd, out in commands.items()}},
        "faults": faults or [],
    }
    return replay_link(parse_fixture(yaml.safe_dump(doc, allow_unicode=True)))


def ios(lockdown: dict[str, dict[str, Any]], faults: list[dict[str, str]] | None = None) -> Any:
    doc = {
        "format": "phonebench-fixture/1", "name": "test", "platform": "ios", "source": "inline test",
        "ios": {"udid": "00008030-TEST", "lockdown": {"": {"ProductType": "iPhone10,1"}, **lockdown}},
        "faults": faults or [],
    }
    return replay_link(parse_fixture(yaml.safe_dump(doc)))


def answering(answer: Any):
    async def ask(question: Question) -> Any:
        assert question.key == "screen.visual"
        return answer
    return ask


def run(link: Any, model: Any = PIXEL_3A, ask: Any = None, timeout_s: float = 5.0) -> CheckResult:
    ctx = CheckContext(link=link, platform=link.platform, model=model, ask=ask, timeout_s=timeout_s)
    out = asyncio.run(ScreenCheck().run(ctx))
    return out if isinstance(out, CheckResult) else CheckResult("measured", out)


PIXEL_3A_COMMANDS = {WM_SIZE: "Physical size: 1080x2220\n", WM_DENSITY: "Physical density: 440\n",
                     DUMPSYS_DISPLAY: PIXEL_3A_DISPLAY}


def values(result: CheckResult) -> dict[str, Any]:
    return {name: metric.value for name, metric in result.metrics.items()}


def test_original_panel_matches_the_model_and_passes_the_eye_test() -> None:
    result = run(android(PIXEL_3A_COMMANDS), ask=answering([]))
    got = values(result)
    assert result.outcome == "measured"
    assert (got["width_px"], got["height_px"], got["density_dpi"], got["refresh_hz"]) == (1080, 2220, 440, 60.0)
    assert got["resolution_matches_model"] is True
    assert got["visual_ok"] is True and got["screen_defects"] == []
    assert result.metrics["width_px"].source == WM_SIZE
    assert result.metrics["refresh_hz"].source == DUMPSYS_DISPLAY


def test_replaced_panel_with_another_resolution_is_flagged() -> None:
    commands = dict(PIXEL_3A_COMMANDS, **{WM_SIZE: "Physical size: 720x1520\n"})
    got = values(run(android(commands), ask=answering([])))
    assert got["resolution_matches_model"] is False
    assert (got["expected_width_px"], got["expected_height_px"]) == (1080, 2220)


def test_user_override_is_an_extra_and_not_the_panel() -> None:
    commands = dict(PIXEL_3A_COMMANDS, **{WM_SIZE: "Physical size: 1080x2220\nOverride size: 720x1480\n",
                                          WM_DENSITY: "Physical density: 440\nOverride density: 320\n"})
    got = values(run(android(commands)))
    assert (got["width_px"], got["override_width_px"], got["override_height_px"]) == (1080, 720, 1480)
    assert (got["density_dpi"], got["override_density_dpi"]) == (440, 320)
    assert got["resolution_matches_model"] is True


def test_no_override_is_null_with_a_reason() -> None:
    result = run(android(PIXEL_3A_COMMANDS))
    expected = {"value": None, "source": WM_SIZE, "reason": "no override set"}
    assert result.metrics["override_width_px"].to_json() == expected


def test_landscape_panel_matches_a_portrait_catalog_entry() -> None:
    commands = {WM_SIZE: "Physical size: 2208x1840\n", WM_DENSITY: "Physical density: 420\n",
                DUMPSYS_DISPLAY: FOLD_DISPLAY}
    got = values(run(android(commands), model=FakeModel("Pixel Fold", (1840, 2208), (256, 512))))
    assert got["resolution_matches_model"] is True
    assert got["refresh_hz"] == 120.0 and got["supported_refresh_hz"] == [60.0, 120.0]


def test_nobody_answering_leaves_the_screen_not_assessed_never_passed() -> None:
    result = run(android(PIXEL_3A_COMMANDS), ask=None)
    assert result.metrics["visual_ok"].value is None
    assert result.metrics["visual_ok"].reason == "not assessed: no technician answer"
    assert result.metrics["screen_defects"].value is None


def test_dead_pixels_answer_fails_the_eye_test() -> None:
    got = values(run(android(PIXEL_3A_COMMANDS), ask=answering(["dead_pixels"])))
    assert got["visual_ok"] is False
    assert got["screen_defects"] == ["dead_pixels"]


def test_an_answer_that_does_not_fit_is_not_assessed() -> None:
    result = run(android(PIXEL_3A_COMMANDS), ask=answering(["cracked_in_half"]))
    assert result.metrics["visual_ok"].value is None
    assert "not assessed" in (result.metrics["visual_ok"].reason or "")


def test_garbage_everywhere_is_an_error_with_reasons() -> None:
    result = run(android(PIXEL_3A_COMMANDS, faults=[{"kind": "garbage", "at": "*"}]))
    assert result.outcome == "error"
    assert result.detail and "no screen figure" in result.detail
    for name in ("width_px", "height_px", "density_dpi", "refresh_hz", "resolution_matches_model"):
        assert result.metrics[name].value is None
        assert result.metrics[name].to_json()["reason"]


def test_unknown_model_leaves_the_comparison_open() -> None:
    result = run(android(PIXEL_3A_COMMANDS), model=None)
    assert result.metrics["expected_width_px"].reason == "model not in catalog"
    assert result.metrics["resolution_matches_model"].value is None


def test_old_android_without_wm_falls_back_to_dumpsys_display() -> None:
    commands = dict(PIXEL_3A_COMMANDS, **{WM_SIZE: "/system/bin/sh: wm: not found\n",
                                          WM_DENSITY: "/system/bin/sh: wm: not found\n"})
    result = run(android(commands))
    assert (result.metrics["width_px"].value, result.metrics["width_px"].source) == (1080, DUMPSYS_DISPLAY)
    assert result.metrics["width_px"].method
    assert result.metrics["density_dpi"].value == 440
    assert "wm size" in (result.metrics["override_width_px"].reason or "")


def test_a_phone_that_goes_away_ends_the_check() -> None:
    with pytest.raises(LinkDisconnected):
        run(android(PIXEL_3A_COMMANDS, faults=[{"kind": "disconnect", "at": DUMPSYS_DISPLAY}]))


def test_a_phone_that_hangs_times_out() -> None:
    with pytest.raises(LinkTimeout):
        run(android(PIXEL_3A_COMMANDS, faults=[{"kind": "hang", "at": WM_SIZE}]), timeout_s=0.05)


def test_iphone_screen_from_lockdown_matches_the_model() -> None:
    result = run(ios({LOCKDOWN_ITUNES: IOS_SCREENS["iphone_750x1334_ios10"]}), model=IPHONE_8, ask=answering([]))
    got = values(result)
    assert result.outcome == "measured"
    assert (got["width_px"], got["height_px"], got["scale_factor"]) == (750, 1334, 2.0)
    assert result.metrics["width_px"].source == "lockdown:com.apple.mobile.iTunes/ScreenWidth"
    assert got["resolution_matches_model"] is True
    assert result.metrics["refresh_hz"].value is None and result.metrics["refresh_hz"].reason


def test_iphone_without_screen_keys_is_an_error_and_no_match_is_claimed() -> None:
    result = run(ios({LOCKDOWN_ITUNES: {"MinITunesVersion": "12.9.0"}}), model=IPHONE_8)
    assert result.outcome == "error"
    assert result.metrics["expected_width_px"].value == 750
    assert result.metrics["width_px"].value is None
    assert "ScreenWidth" in (result.metrics["width_px"].reason or "")
    assert result.metrics["resolution_matches_model"].value is None


def test_every_metric_serialises_with_a_reason_when_null() -> None:
    result = run(ios({}), model=None)
    for metric in result.metrics.values():
        assert isinstance(metric, Metric)
        out = metric.to_json()
        assert out["value"] is not None or out["reason"]


def test_folded_phone_matches_its_cover_panel_and_counts_two_panels() -> None:
    result = run(android(FOLD8_COMMANDS), model=FOLD8)
    got = values(result)
    assert (got["width_px"], got["height_px"], got["refresh_hz"]) == (1248, 1972, 120.0)
    assert got["internal_panel_count"] == 2
    assert got["resolution_matches_model"] is True
    assert (got["expected_width_px"], got["expected_height_px"]) == (1248, 1972)
    assert result.metrics["expected_width_px"].method == "catalog cover panel"
    assert "1848x2448 or 1248x1972" in (result.metrics["resolution_matches_model"].method or "")


def test_foldable_with_a_panel_of_neither_size_is_flagged_against_the_main_panel() -> None:
    commands = dict(FOLD8_COMMANDS, **{WM_SIZE: "Physical size: 1080x2340\n"})
    got = values(run(android(commands), model=FOLD8))
    assert got["resolution_matches_model"] is False
    assert (got["expected_width_px"], got["expected_height_px"]) == (1848, 2448)


def test_render_frame_rate_is_its_own_metric_and_never_the_refresh_rate() -> None:
    result = run(android(FOLD8_COMMANDS), model=FOLD8)
    assert result.metrics["render_frame_rate_hz"].value == 48.0
    assert result.metrics["refresh_hz"].value == 120.0
    assert result.metrics["refresh_hz"].method == "active mode"
    assert result.metrics["supported_refresh_hz"].value == [120.0]


def test_android15_minimal_mode_record_gives_120hz_not_the_60hz_render_rate() -> None:
    line = ('DisplayDeviceInfo{"Built-in Screen": 1080 x 2340, modeId 1, renderFrameRate 60.000004, '
            'supportedModes [{id=1, parentModeId=-1, flags=, width=1080, height=2340, fps=120.00001}], '
            'density 420, type INTERNAL, state ON}')
    got = values(run(android({WM_SIZE: "Physical size: 1080x2340\n", DUMPSYS_DISPLAY: line})))
    assert (got["refresh_hz"], got["supported_refresh_hz"], got["render_frame_rate_hz"]) == (120, [120], 60)


def test_unknown_refresh_rate_names_the_rule_that_rejected_it() -> None:
    line = ('DisplayDeviceInfo{"Built-in Screen": 1080 x 2400, modeId 9, renderFrameRate 60.0, supportedModes '
            '[{id=1, width=1080, height=2400, fps=120.0}], type INTERNAL, state ON}')
    result = run(android({WM_SIZE: "Physical size: 1080x2400\n", DUMPSYS_DISPLAY: line}))
    assert result.metrics["refresh_hz"].value is None
    assert result.metrics["refresh_hz"].reason == "`dumpsys display`: modeId 9 is not among the usable modes (ids 1)"
