"""The one YAML reader: what it refuses, and that each refusal is one line, FILE:LINE: key.path: what,
raised as the error class of the area that reads the file."""

from __future__ import annotations

import pytest

from agent.errors import ConfigError, FixtureError, PhonebenchError, ProfileError, UsageError
from agent.yamlfile import MAX_DEPTH, MAX_DIGITS, Spot, parse_yaml


def refusal(text: str | bytes, raises: type[PhonebenchError] = ConfigError) -> str:
    with pytest.raises(raises) as caught:
        parse_yaml(text, "my.yaml", raises)
    message = str(caught.value)
    assert "\n" not in message
    return message


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("raises", [FixtureError, ProfileError, ConfigError, UsageError])
def test_the_error_is_the_class_the_caller_names(raises: type[PhonebenchError]) -> None:
    assert refusal("a: 1\na: 2\n", raises) == "my.yaml:2: a: duplicate key 'a' (already on line 1)"


def test_plain_yaml_reads_as_plain_values_and_keeps_lines() -> None:
    doc = parse_yaml("a: 1\nb:\n  - x\n  - 2.5\n'1': one\n", "my.yaml", ConfigError)
    assert doc == {"a": 1, "b": ["x", 2.5], "1": "one"}
    top = Spot("my.yaml", "", 1, ConfigError)
    assert top.at("b", doc).item(1, doc["b"]).line == 4
    assert str(top.along(doc, ("b", 1)).error("wrong")) == "my.yaml:4: b[1]: wrong"


def test_an_empty_file_is_no_document() -> None:
    assert parse_yaml("# nothing here\n", "my.yaml", ConfigError) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("slots:\n  a: 1\n  a: 2\n", "my.yaml:3: slots.a: duplicate key 'a' (already on line 2)"),
        ("slots:\n  1: 1\n  '1': 2\n", "my.yaml:3: slots.1: duplicate key '1' (line 2 has 1, which names the same key)"),
        ("x:\n  true: 1\n  'True': 2\n",
         "my.yaml:3: x.True: duplicate key 'True' (line 2 has True, which names the same key)"),
        ("x: [{a: 1, a: 2}]\n", "my.yaml:1: x[0].a: duplicate key 'a' (already on line 1)"),
    ],
    ids=["same text", "1 and '1'", "true and 'True'", "inside a list"],
)
def test_a_key_given_twice_is_refused_even_when_only_typing_makes_them_equal(text: str, message: str) -> None:
    assert refusal(text) == message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: &x [1, 2]\nb: *x\n", "my.yaml:2: b: aliases are not allowed"),
        ("base: &b {x: 1}\nother:\n  <<: *b\n", "my.yaml:3: other.<<: aliases are not allowed"),
    ],
    ids=["alias", "merge"],
)
def test_aliases_are_refused(text: str, message: str) -> None:
    assert refusal(text) == message


def test_an_alias_bomb_is_refused_at_its_first_alias() -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    bomb = "\n".join(lines) + "\n"
    assert len(bomb) < 1024  # 9**9 strings once expanded
    assert refusal(bomb) == "my.yaml:2: a1[0]: aliases are not allowed"


def test_an_anchor_alone_is_harmless() -> None:
    assert parse_yaml("a: &x [1, 2]\n", "my.yaml", ConfigError) == {"a": [1, 2]}


def test_nesting_is_read_up_to_the_bound() -> None:
    assert parse_yaml(f"a: {nested(MAX_DEPTH - 1)}\n", "my.yaml", ConfigError) is not None


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (f"x: 1\na: {nested(MAX_DEPTH)}\n", 2),
        ("x: 1\na: " + "{a: " * 50_000 + "\n", 2),
        ("x: 1\na: " + "[" * 50_000 + "\n", 2),
        # the top mapping is level 1, so the list on line 3 + 62 is level 65
        ("x: 1\na:\n" + "".join("  " * i + "- \n" for i in range(MAX_DEPTH + 1)), 3 + MAX_DEPTH - 1),
    ],
    ids=["one too deep", "50,000 flow mappings", "50,000 flow lists", "block lists"],
)
def test_deeper_nesting_is_one_line_not_a_recursion_error(text: str, line: int) -> None:
    message = refusal(text)
    assert message.startswith(f"my.yaml:{line}: a"), message
    assert message.endswith(f": nested more than {MAX_DEPTH} levels deep")
    assert len(message) < 200


def test_a_whole_number_is_read_up_to_the_bound() -> None:
    assert parse_yaml(f"n: {'9' * MAX_DIGITS}\n", "my.yaml", ConfigError) == {"n": int("9" * MAX_DIGITS)}


@pytest.mark.parametrize("number", ["9" * (MAX_DIGITS + 1), "1" * 5_000, "-" + "1" * 5_000, "0x" + "f" * 5_000])
def test_a_longer_whole_number_is_refused_before_it_is_converted(number: str) -> None:
    assert refusal(f"x: 1\nn: {number}\n") == f"my.yaml:2: n: a whole number of more than {MAX_DIGITS} digits"


@pytest.mark.parametrize("number", [".nan", ".NaN", ".inf", "-.Inf", "1.0e+999", "9" * 400 + ".0"])
def test_a_number_that_is_not_finite_is_refused(number: str) -> None:
    message = refusal(f"x:\n  - {number}\n")
    assert message.startswith("my.yaml:2: x[0]: ") and message.endswith(" is not a finite number")


def test_finite_floats_are_read() -> None:
    assert parse_yaml("x: [2.5, -1.0e+3, .5]\n", "my.yaml", ConfigError) == {"x": [2.5, -1000.0, 0.5]}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a:\n  b: !!int 12x\n", "my.yaml:2: a.b: cannot read '12x' as !!int"),
        ("a: !!bool maybe\n", "my.yaml:1: a: cannot read 'maybe' as !!bool"),
        ("a: !!timestamp soon\n", "my.yaml:1: a: cannot read 'soon' as !!timestamp"),
        ("a: !!python/object:os.system ls\n", "my.yaml:1: not valid YAML: could not determine a constructor"),
        ("a: 1\nb: [1\n", "my.yaml:3: not valid YAML: "),
        ("a: 1\n---\nb: 2\n", "my.yaml:2: not valid YAML: expected a single document in the stream"),
    ],
    ids=["!!int", "!!bool", "!!timestamp", "python tag", "unclosed list", "two documents"],
)
def test_tags_and_syntax_errors_are_one_line_with_the_line(text: str, message: str) -> None:
    assert refusal(text).startswith(message)


def test_bytes_that_are_not_utf8_name_their_line() -> None:
    assert refusal(b"a: 1\nb: \xff\n") == "my.yaml:2: not UTF-8 text (byte 8)"


def test_a_control_character_names_its_line() -> None:
    assert refusal("a: 1\nb: \x07\n").startswith("my.yaml:2: not valid YAML: unacceptable character #x0007")


def test_a_key_holding_control_characters_stays_on_one_line() -> None:
    message = refusal('"evil\\nkey\\e[2J": 1\n"evil\\nkey\\e[2J": 2\n')
    assert message.startswith("my.yaml:2: evil?key?[2J: duplicate key")
