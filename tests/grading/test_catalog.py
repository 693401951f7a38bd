"""The model catalog: enough models, every kind of code finds its model, bad files fail
with the file, the line and what is wrong."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from agent.errors import ProfileError
from agent.grading.catalog import Catalog, load_catalog
from checks.ios_models import apple_marketing_name
from tests.conftest import ROOT, read_capture

CAPTURES_WITH_MODELS = [
    ("android_getprop_full_google_pixel8pro_husky_a16_termux_noserial.txt", "google-pixel-8-pro"),
    ("android_getprop_full_lg_v60_lm-v600_a11.txt", "lg-v60-thinq"),
    ("android_getprop_full_oneplus_nord_n10_be2028_a11.txt", "oneplus-nord-n10-5g"),
    ("android_getprop_full_samsung_s25plus_sm-s936b_a16_utf16le_crlf.txt", "samsung-galaxy-s25-plus"),
    ("android_getprop_full_xiaomi_poco_f6_peridot_a15.txt", "xiaomi-poco-f6"),
]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "catalog.yaml"
    path.write_text("format: phonebench-catalog/1\nmodels:\n" + body, encoding="utf-8")
    return path


MODEL = """  - key: {key}
    platform: android
    manufacturer: Acme
    marketing_name: Acme {key}
    codes: [{codes}]
    screen_px: [1080, 2400]
    storage_gb: [128]
    battery_design_mah: 4000
"""


def test_bundled_catalog_has_at_least_45_models_across_makers(catalog: Catalog) -> None:
    assert len(catalog) >= 45
    makers = {m.manufacturer for m in catalog}
    assert {"Apple", "Google", "Samsung", "Xiaomi", "OnePlus", "Motorola", "LG"} <= makers


def test_every_model_has_portrait_resolution_tiers_and_battery(catalog: Catalog) -> None:
    for model in catalog:
        for width, height in model.panels_px:
            assert 0 < width <= height, model.key
        assert model.storage_gb and all(t > 0 for t in model.storage_gb), model.key
        if model.marketing_name.startswith("iPad"):   # Apple publishes iPad batteries in Wh only
            assert model.battery_design_mah is None, model.key
        else:
            assert model.battery_design_mah and 1000 < model.battery_design_mah < 7000, model.key


def test_every_foldable_lists_both_its_panels(catalog: Catalog) -> None:
    foldables = [m for m in catalog if any(w in m.marketing_name for w in ("Fold", "Flip"))]
    assert {"Samsung", "Google"} <= {m.manufacturer for m in foldables}
    assert len(foldables) >= 10
    for model in foldables:
        assert model.cover_screen_px is not None and len(model.panels_px) == 2, model.key


def test_real_pixel_fold_dump_shows_the_two_panels_the_catalog_lists(catalog: Catalog) -> None:
    """The Pixel Fold's own `dumpsys display` (tests/screen/data) lists its inner and outer panels."""
    dump = (ROOT / "tests/screen/data/android_dumpsys_display_pixel_fold_a16_two_panels.txt").read_text("utf-8")
    sizes = {tuple(sorted(map(int, m))) for m in re.findall(r"DisplayDeviceInfo\{[^,]*, (\d+) x (\d+)", dump)}
    model = catalog.lookup("android", "Pixel Fold")
    assert model is not None and set(model.panels_px) == sizes


def test_recent_ipads_have_screens_and_storage_tiers(catalog: Catalog) -> None:
    ipads = [m for m in catalog if m.marketing_name.startswith("iPad")]
    names = {m.marketing_name for m in ipads}
    assert {"iPad (A16)", "iPad mini (A17 Pro)", "iPad Air 11-inch (M3)", "iPad Pro 13-inch (M5)"} <= names
    for model in ipads:
        assert model.screen_px[0] >= 1488 and model.storage_gb[0] >= 64, model.key


def test_catalog_names_agree_with_the_identity_table(catalog: Catalog) -> None:
    """Every ProductType in the catalog names the same model as identity's ProductType table."""
    for model in catalog:
        for code in model.codes:
            if re.fullmatch(r"(iPhone|iPad|iPod)\d+,\d+", code):
                assert apple_marketing_name(code) == model.marketing_name, code


@pytest.mark.parametrize(
    ("platform", "code", "key"),
    [
        ("android", "SM-S911B", "samsung-galaxy-s23"),          # Samsung regional model
        ("android", "SM-S911U", "samsung-galaxy-s23"),
        ("android", "dm1q", "samsung-galaxy-s23"),              # ro.product.device
        ("android", "Pixel 7", "google-pixel-7"),               # Pixel ro.product.model
        ("android", "panther", "google-pixel-7"),
        ("android", "GVU6C", "google-pixel-7"),                 # Pixel hardware model
        ("android", "24069PC21I", "xiaomi-poco-f6"),
        ("android", "peridot", "xiaomi-poco-f6"),
        ("android", "BE2026", "oneplus-nord-n10-5g"),
        ("android", "OnePlusN10TMO", "oneplus-nord-n10-5g"),
        ("android", "CPH2581", "oneplus-12"),
        ("android", "moto g(7)", "motorola-moto-g7"),
        ("android", "LM-V600", "lg-v60-thinq"),
        ("ios", "iPhone14,5", "apple-iphone-13"),               # lockdown ProductType
        ("ios", "D17AP", "apple-iphone-13"),                    # lockdown HardwareModel
        ("ios", "A2633", "apple-iphone-13"),                    # A-number
        ("ios", "iPhone12,8", "apple-iphone-se-2"),
        ("ios", "iPhone14,6", "apple-iphone-se-3"),
        ("ios", "iPad13,18", "apple-ipad-10"),                 # iPad, Wi-Fi
        ("ios", "iPad16,4", "apple-ipad-pro-11-m4"),           # iPad, cellular
        ("ios", "J517xAP", "apple-ipad-pro-11-3"),             # iPad HardwareModel
        ("android", "SM-F946B", "samsung-galaxy-z-fold5"),     # foldables
        ("android", "b6q", "samsung-galaxy-z-flip6"),
        ("android", "felix", "google-pixel-fold"),
        ("android", "Pixel 9 Pro Fold", "google-pixel-9-pro-fold"),
    ],
)
def test_lookup_finds_the_model_by_each_kind_of_code(catalog: Catalog, platform: str, code: str, key: str) -> None:
    model = catalog.lookup(platform, code)
    assert model is not None and model.key == key


def test_lookup_ignores_case_and_surrounding_space(catalog: Catalog) -> None:
    assert catalog.lookup("ANDROID", " sm-s911b ").key == "samsung-galaxy-s23"
    assert catalog.lookup("ios", "IPHONE14,5").key == "apple-iphone-13"


def test_lookup_skips_none_and_the_first_matching_code_wins(catalog: Catalog) -> None:
    model = catalog.lookup("android", None, "no-such-code", "panther", "SM-S911B")
    assert model is not None and model.key == "google-pixel-7"


def test_lookup_stays_on_its_platform(catalog: Catalog) -> None:
    assert catalog.lookup("ios", "panther") is None
    assert catalog.lookup("android", "iPhone14,5") is None
    assert catalog.lookup("android") is None


@pytest.mark.parametrize(("capture", "key"), CAPTURES_WITH_MODELS)
def test_real_phones_model_or_device_resolves(catalog: Catalog, capture: str, key: str) -> None:
    expect, _ = read_capture(capture)
    model = catalog.lookup("android", expect["ro.product.model"], expect["ro.product.device"])
    assert model is not None and model.key == key


def test_load_catalog_is_cached_per_path(catalog: Catalog) -> None:
    assert load_catalog() is catalog


def test_a_code_claimed_by_two_models_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, MODEL.format(key="one", codes="X1, shared") + MODEL.format(key="two", codes="SHARED"))
    with pytest.raises(ProfileError) as err:
        load_catalog(path)
    message = str(err.value)
    assert str(path) in message and "models[1].codes" in message and "'SHARED'" in message and "one" in message
    assert ":15:" in message and "(line 3)" in message   # the codes line, and where "one" starts
    assert "\n" not in message


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (MODEL.format(key="ok", codes="X1") + "    cover_screen_px: [512, 260]\n", "models[0].cover_screen_px: "),
        (MODEL.format(key="Bad Key", codes="X1"), "models[0].key: key 'Bad Key' must be a lowercase slug"),
        (MODEL.format(key="ok", codes="").replace("codes: []", "codes: [2211133]"), "models[0].codes: codes must be"),
        (MODEL.format(key="ok", codes="X1").replace("[1080, 2400]", "[2400, 1080]"), "models[0].screen_px: "),
        (MODEL.format(key="ok", codes="X1").replace("platform: android", "platform: symbian"), "'symbian' is not one of"),
        (MODEL.format(key="ok", codes="X1").replace("    storage_gb: [128]\n", ""), "models[0]: missing 'storage_gb'"),
        (MODEL.format(key="ok", codes="X1") + "    colour: red\n", "unknown key 'colour'"),
        (MODEL.format(key="ok", codes="X1") + MODEL.format(key="ok", codes="X2"), "model key 'ok' is used twice"),
    ],
)
def test_a_bad_catalog_names_the_file_the_entry_and_the_fault(tmp_path: Path, body: str, expected: str) -> None:
    path = write(tmp_path, body)
    with pytest.raises(ProfileError) as err:
        load_catalog(path)
    assert str(err.value).startswith(f"{path}:")
    assert expected in str(err.value)
