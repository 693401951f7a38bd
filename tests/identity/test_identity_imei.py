"""The Luhn check and what counts as an IMEI."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.formats.imei import imei_problem, is_imei, luhn_ok


@pytest.mark.parametrize(
    "imei",
    [
        "862698020000004",  # the Huawei G700 capture's (masked) slot 0
        "862698020000012",  # and slot 1
        "351881060000005",  # the (masked) Galaxy S5 `service call` reply
        "490154203237518",  # the worked example of the IMEI check digit
    ],
)
def test_valid_imeis_pass(imei: str) -> None:
    assert luhn_ok(imei)
    assert is_imei(imei)


def test_one_changed_digit_fails_the_check_and_the_reason_names_both_digits() -> None:
    assert imei_problem("490154203237519") == "fails the Luhn check (check digit 9, the other fourteen need 8)"
    assert imei_problem("490154203237517") == "fails the Luhn check (check digit 7, the other fourteen need 8)"


@pytest.mark.parametrize(
    ("candidate", "problem"),
    [
        ("49015420323751", "not fifteen digits"),  # fourteen
        ("A0000012345678", "not fifteen digits"),  # an MEID is hex
        ("4901542032375180", "not fifteen digits"),  # an IMEISV has sixteen
        ("49015420323751\n", "not fifteen digits"),
        ("٤٩٠١٥٤٢٠٣٢٣٧٥١٨", "not fifteen digits"),  # Arabic-Indic digits are not ASCII digits
        ("000000000000000", "all zeros (a placeholder, not an IMEI)"),
    ],
)
def test_things_that_look_like_imeis_are_refused_with_a_reason(candidate: str, problem: str) -> None:
    assert (imei_problem(candidate) or "").startswith(problem)
    assert not is_imei(candidate)


def test_luhn_needs_ascii_digits() -> None:
    assert not luhn_ok("")
    assert not luhn_ok("0")
    assert not luhn_ok("18 ")
    assert luhn_ok("18")


@given(st.text())
def test_imei_checks_never_raise(text: str) -> None:
    assert isinstance(luhn_ok(text), bool)
    problem = imei_problem(text)
    assert problem is None or problem


@given(st.from_regex(r"[0-9]{14}", fullmatch=True))
def test_exactly_one_check_digit_completes_any_fourteen_digits(body: str) -> None:
    completing = [d for d in "0123456789" if luhn_ok(body + d)]
    assert len(completing) == 1


def test_a_wrong_length_names_the_figure() -> None:
    assert imei_problem("49015420323751") == "not fifteen digits (14 characters, 14 of them ASCII digits)"
    assert imei_problem("A0000012345678") == "not fifteen digits (14 characters, 13 of them ASCII digits)"
