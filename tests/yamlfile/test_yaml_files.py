"""Each file a person writes goes through the one YAML reader: a duplicate key, an alias bomb,
50,000-deep nesting and a 5,000-digit number are one line naming the file and the line, raised
as that area's error."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from yaml_cases import AREAS, HEADS, HOWS, check_message, text_of

from agent.config import load_config
from agent.errors import ConfigError, FixtureError, PhonebenchError, ProfileError, UsageError
from agent.fixtures.format import load_fixture
from agent.grading.catalog import load_catalog
from agent.grading.profile import load_profile
from agent.session.operator import load_answers

LOADERS: dict[str, tuple[Callable[[Path], Any], type[PhonebenchError]]] = {
    "fixture": (load_fixture, FixtureError),
    "profile": (lambda path: load_profile(str(path)), ProfileError),
    "config": (lambda path: load_config(path, env={}), ConfigError),
    "answers": (load_answers, UsageError),
}


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("area", AREAS)
def test_a_spoilt_file_is_one_line_of_its_areas_error(tmp_path: Path, area: str, how: str) -> None:
    path = tmp_path / f"{area}.yaml"
    path.write_text(text_of(area, how), encoding="utf-8")
    load, raises = LOADERS[area]
    with pytest.raises(raises) as caught:
        load(path)
    check_message(str(caught.value), str(path), area, how)


@pytest.mark.parametrize("how", HOWS)
def test_the_model_catalog_reads_the_same_way(tmp_path: Path, how: str) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text(text_of("profile", how).replace("phonebench-profile/1", "phonebench-catalog/1"), encoding="utf-8")
    with pytest.raises(ProfileError) as caught:
        load_catalog(path)
    check_message(str(caught.value), str(path), "profile", how)


def test_station_slots_1_and_quoted_1_are_one_slot_given_twice(tmp_path: Path) -> None:
    path = tmp_path / "station.yaml"
    path.write_text("slots:\n  1: 1\n  '1': 2\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    assert str(caught.value) == f"{path}:3: slots.1: duplicate key '1' (line 2 has 1, which names the same key)"


@pytest.mark.parametrize("area", ["fixture", "profile", "config"])
def test_nan_where_a_number_belongs_is_refused_with_its_line(tmp_path: Path, area: str) -> None:
    path = tmp_path / f"{area}.yaml"
    path.write_text(HEADS[area] + "n: .nan\n", encoding="utf-8")
    load, raises = LOADERS[area]
    with pytest.raises(raises, match=rf"^{path}:3: n: '\.nan' is not a finite number$"):
        load(path)


def test_an_answer_given_twice_for_one_phone_names_both_lines(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text("devices:\n  SER1:\n    cosmetic_grade: A\n    cosmetic_grade: C\n", encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        load_answers(path)
    assert str(caught.value) == f"{path}:4: devices.SER1.cosmetic_grade: duplicate key 'cosmetic_grade' (already on line 3)"


def test_a_wrong_answer_names_its_line_and_key(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text("notes: ok\ndevices:\n  SER1: {cosmetic_grade: Z}\n", encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        load_answers(path)
    assert str(caught.value) == f"{path}:3: devices.SER1.cosmetic_grade: expected one of A, B, C, D, got 'Z'"
