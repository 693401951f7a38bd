"""The display parsers against real `wm` and `dumpsys display` outputs (tests/screen/data)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from checks.parsers.display import (
    DisplayInfo,
    Mode,
    parse_dumpsys_display,
    parse_mode,
    parse_wm_density,
    parse_wm_size,
    record_fields,
)

DATA = Path(__file__).parent / "data"


def load(name: str) -> str:
    """The body of a stored real output (below its `# source:` header)."""
    return (DATA / name).read_text(encoding="utf-8").split("# ---\n", 1)[1]


def test_wm_size_reads_physical_and_override_with_crlf() -> None:
    parsed = parse_wm_size("Physical size: 1080x2400\r\nOverride size: 720x1600\r\n")
    assert parsed.physical == (1080, 2400)
    assert parsed.override == (720, 1600)


def test_wm_size_without_override_has_none() -> None:
    assert parse_wm_size("Physical size: 1440x3120\n").override is None


def test_wm_missing_on_old_android_gives_nothing() -> None:
    assert parse_wm_size("/system/bin/sh: wm: not found\n") == parse_wm_size("")
    assert parse_wm_size("").physical is None


def test_wm_density_reads_physical_and_override() -> None:
    parsed = parse_wm_density("Physical density: 420\nOverride density: 360\n")
    assert (parsed.physical, parsed.override) == (420, 360)


def test_pixel3a_single_60hz_mode() -> None:
    info = parse_dumpsys_display(load("android_dumpsys_display_pixel3a_a11_grep_fps.txt"))
    assert info == DisplayInfo(1080, 2220, 440, 60.0, "active mode", (60.0,), internal_panels=1)


def test_foldable_reads_the_inner_panel_that_is_on() -> None:
    info = parse_dumpsys_display(load("android_dumpsys_display_pixel_fold_a16_two_panels.txt"))
    assert (info.width_px, info.height_px, info.refresh_hz) == (2208, 1840, 120.0)
    assert info.supported_refresh_hz == (60.0, 120.0)


def test_allowed_to_be_default_is_not_the_default_flag() -> None:
    """With the closed outer panel listed first, the panel that is on still wins."""
    inner, outer = (ln for ln in load("android_dumpsys_display_pixel_fold_a16_two_panels.txt").splitlines()
                    if "DisplayDeviceInfo{" in ln)
    info = parse_dumpsys_display(outer + "\n" + inner + "\n")
    assert (info.width_px, info.height_px) == (2208, 1840)


def test_samsung_active_mode_is_120hz_among_four_rates() -> None:
    info = parse_dumpsys_display(load("android_logcat_displaydeviceinfo_samsung_120hz_a14.txt"))
    assert info.refresh_hz == 120.0
    assert info.refresh_from == "active mode"
    assert info.supported_refresh_hz == (48.0, 60.0, 96.0, 120.0)
    assert info.density_dpi == 480


def test_display_name_in_chinese_does_not_matter() -> None:
    info = parse_dumpsys_display(load("android_dumpsys_display_xiaomi_miui_a10_cjk_name_excerpt.txt"))
    assert (info.width_px, info.height_px, info.density_dpi, info.refresh_hz) == (1080, 2248, 440, 60.0)


def test_mode_records_are_the_fallback_without_device_info() -> None:
    text = "\n".join(ln for ln in load("android_dumpsys_display_xiaomi_miui_a10_cjk_name_excerpt.txt").splitlines()
                     if "DisplayDeviceInfo{" not in ln)
    info = parse_dumpsys_display(text)
    assert (info.width_px, info.height_px, info.refresh_hz) == (1080, 2248, 60.0)
    assert info.density_dpi is None


def test_render_frame_rate_is_never_taken_for_the_refresh_rate() -> None:
    line = ('DisplayDeviceInfo{"Built-in Screen": uniqueId="local:1", 1600 x 2560, modeId 7, '
            'renderFrameRate 90.0, density 320}')
    info = parse_dumpsys_display(line)
    assert (info.refresh_hz, info.render_frame_rate_hz) == (None, 90.0)
    assert info.refresh_reason == "no display mode with id, width, height and a non-zero fps"


def test_android15_mode_with_fields_between_id_and_width_gives_the_panel_rate() -> None:
    """The issue's minimal input: renderFrameRate 60 is what apps draw at, the mode is 120 Hz."""
    line = ('DisplayDeviceInfo{"Built-in Screen": 1080 x 2340, modeId 1, renderFrameRate 60.000004, '
            'supportedModes [{id=1, parentModeId=-1, flags=, width=1080, height=2340, fps=120.00001}], '
            'density 420, type INTERNAL, state ON}')
    info = parse_dumpsys_display(line)
    assert (info.refresh_hz, info.supported_refresh_hz, info.refresh_from) == (120, (120,), "active mode")
    assert info.render_frame_rate_hz == 60.0


def test_mode_fields_are_read_by_name_in_any_order() -> None:
    line = ('DisplayDeviceInfo{"Built-in Screen": 1080 x 2400, modeId 5, supportedModes '
            '[{fps=90.0, height=2400, vsync=90.0, id=5, newField=[1, 2], width=1080}], type INTERNAL}')
    info = parse_dumpsys_display(line)
    assert (info.width_px, info.height_px, info.refresh_hz) == (1080, 2400, 90.0)


def test_a_flags_value_listing_flags_is_not_taken_for_fields() -> None:
    assert record_fields("id=2, parentModeId=1, flags=, FLAG_ARR_RENDER_RATE, width=8, a=[1, 2]") == {
        "id": "2", "parentModeId": "1", "flags": "", "width": "8", "a": "[1, 2]"}


def test_samsung_fold8_android17_measures_the_cover_panel_that_is_on() -> None:
    """Real Android 17 dump of a folded Galaxy Z Fold8: inner panel OFF, cover panel ON at
    120 Hz while apps draw at 48; mode 4 is a 60 Hz render-rate mode derived from mode 3."""
    info = parse_dumpsys_display(load("android_dumpsys_display_samsung_zfold8_sm-f971n_a17_parentmodeid_two_panels.txt"))
    assert (info.width_px, info.height_px, info.density_dpi) == (1248, 1972, 420)
    assert (info.refresh_hz, info.refresh_from, info.render_frame_rate_hz) == (120.0, "active mode", 48.0)
    assert info.supported_refresh_hz == (120.0,)
    assert info.internal_panels == 2


def test_an_active_render_rate_mode_reports_its_parent_modes_refresh_rate() -> None:
    text = load("android_dumpsys_display_samsung_zfold8_sm-f971n_a17_parentmodeid_two_panels.txt")
    info = parse_dumpsys_display(text.replace("modeId 3,", "modeId 4,"))
    assert (info.refresh_hz, info.refresh_from) == (120.0, "mode 3, parent of active render-rate mode 4")


def test_android14_mode_record_line_reads_by_name_and_names_the_missing_active_id() -> None:
    record = load("android_displaymoderecord_a14plus_parentmodeid_1200x2670.txt")
    info = parse_dumpsys_display(record)
    assert (info.width_px, info.height_px, info.supported_refresh_hz) == (1200, 2670, (120.0,))
    assert info.refresh_hz is None and info.refresh_reason == "no mActiveModeId names the active mode"
    assert parse_dumpsys_display("  mActiveModeId=1\n" + record).refresh_hz == 120.0


def test_an_active_mode_missing_from_the_list_is_named_with_the_ids_listed() -> None:
    line = ('DisplayDeviceInfo{"Built-in Screen": 1080 x 2400, modeId 9, renderFrameRate 60.0, supportedModes '
            '[{id=1, width=1080, height=2400, fps=120.0}, {id=2, width=1080, height=2400, fps=60.0}]}')
    info = parse_dumpsys_display(line)
    assert info.refresh_hz is None
    assert info.refresh_reason == "modeId 9 is not among the usable modes (ids 1, 2)"


def test_a_mode_with_zero_fps_is_not_a_mode() -> None:
    assert parse_mode(record_fields("id=1, width=1080, height=2400, fps=0.0")) is None
    assert parse_mode(record_fields("id=1, width=0, height=2400, fps=60.0")) is None
    assert parse_mode(record_fields("id=1, width=1080, height=2400, fps=60.0")) == Mode(1, 1080, 2400, 60.0)


def test_largest_mode_is_the_panel_when_running_a_lower_resolution() -> None:
    line = ('DisplayDeviceInfo{"Built-in Screen": uniqueId="local:0", 1080 x 2340, modeId 3, supportedModes '
            '[{id=1, width=1440, height=3120, fps=60.0}, {id=3, width=1080, height=2340, fps=120.0}], '
            'density 600, type INTERNAL, FLAG_DEFAULT_DISPLAY}')
    info = parse_dumpsys_display(line)
    assert (info.width_px, info.height_px, info.refresh_hz) == (1440, 3120, 120.0)


def test_old_android_fps_field_is_read() -> None:
    line = ('DisplayDeviceInfo{"Built-in Screen": 720 x 1280, 60.0 fps, density 320, 320.0 x 320.0 dpi, '
            'FLAG_DEFAULT_DISPLAY}')
    info = parse_dumpsys_display(line)
    assert (info.width_px, info.height_px, info.refresh_hz, info.refresh_from) == (720, 1280, 60.0, "fps")


def test_permission_denial_gives_no_figure() -> None:
    denial = ("Permission Denial: can't dump DisplayManager from from pid=1, uid=2000 "
              "due to missing android.permission.DUMP")
    info = parse_dumpsys_display(denial)
    assert (info.width_px, info.refresh_hz, info.supported_refresh_hz, info.internal_panels) == (None, None, (), None)
    assert info.refresh_reason and "no DisplayDeviceInfo line" in info.refresh_reason


_FRAGMENTS = st.sampled_from(
    ["DisplayDeviceInfo{", "modeId ", "{id=", ", width=", ", height=", ", fps=", " x ", "density ", "renderFrameRate ",
     "mActiveModeId=", "DisplayModeRecord{mMode=", "FLAG_DEFAULT_DISPLAY", "Physical size: ", "Override density: ",
     "parentModeId=", "flags=, FLAG_X, ", "supportedModes [", "]", "type INTERNAL", "state ON",
     "0", "99999999999", "1.5", "\n", "\r", "}", "-1", "NaN", "\u00b2", "\u0661"]
)


@given(st.one_of(st.text(), st.lists(_FRAGMENTS).map("".join)))
def test_display_parsers_never_raise(text: str) -> None:
    parse_wm_size(text)
    parse_wm_density(text)
    info = parse_dumpsys_display(text)
    assert info.refresh_hz is None or info.refresh_hz > 0
    assert (info.refresh_hz is None) == (info.refresh_reason is not None)


def test_the_panel_that_is_on_is_measured_even_when_the_default_flag_sits_on_the_folded_one() -> None:
    from checks.parsers.display import parse_dumpsys_display

    folded = ('DisplayDeviceInfo{"Built-in Screen": 2208 x 1840, modeId 1, renderFrameRate 60.0, '
              "supportedModes [{id=1, width=2208, height=1840, fps=120.0}], density 373, "
              "FLAG_DEFAULT_DISPLAY, type INTERNAL, state OFF}")
    cover = ('DisplayDeviceInfo{"Built-in Screen": 1080 x 2092, modeId 2, renderFrameRate 60.0, '
             "supportedModes [{id=2, width=1080, height=2092, fps=120.0}], density 408, type INTERNAL, state ON}")
    info = parse_dumpsys_display(f"{folded}\n{cover}\n")
    assert (info.width_px, info.height_px) == (1080, 2092)
