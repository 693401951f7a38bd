"""The station config: read from YAML, overridden by the environment, wrong files named by line."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent import paths
from agent.config import load_config
from agent.errors import ConfigError

GOOD = """\
station_id: bench-3
profile: strict
backend:
  url: https://grading.example.com/
  token: s3cret-token
  ca_bundle: ca.pem
  timeout_s: 4
slots:
  "1-1.2": 1
  "1-1.3": 2
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "station.yaml"
    path.write_text(text, encoding="utf-8")
    (tmp_path / "ca.pem").write_text("not read here\n")
    return path


def test_every_key_of_a_good_file_is_read(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD), env={})
    assert config.station_id == "bench-3" and config.profile == "strict"
    assert config.backend_url == "https://grading.example.com"  # trailing slash dropped
    assert config.token == "s3cret-token" and config.timeout_s == 4.0
    assert config.ca_bundle == tmp_path / "ca.pem"  # relative to the config file
    assert dict(config.slots) == {"1-1.2": 1, "1-1.3": 2}


def test_no_file_means_defaults_and_no_backend() -> None:
    config = load_config(env={})
    assert config.path == paths.config_path()
    assert config.backend_url is None and config.token is None and config.profile == "default"


def test_the_environment_overrides_url_and_token(tmp_path: Path) -> None:
    env = {"PHONEBENCH_BACKEND_URL": "http://127.0.0.1:9", "PHONEBENCH_BACKEND_TOKEN": "from-env"}
    config = load_config(write(tmp_path, GOOD), env=env)
    assert config.backend_url == "http://127.0.0.1:9" and config.token == "from-env"
    assert config.url_from == "env" and config.token_from == "env"


def test_the_real_environment_is_read_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHONEBENCH_BACKEND_URL", "https://b.example")
    assert load_config().backend_url == "https://b.example"


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        ("profile: default\nbackend:\n  url: ftp://x\n", 3, "backend.url: expected an http:// or https:// URL"),
        ("backend:\n  url: https://user:pw@x\n", 2, "put the token under backend.token"),
        ("backend:\n  url: http://x:99999\n", 2, "backend.url: not a URL"),
        ("backend:\n  url: http://[::1\n", 2, "backend.url: not a URL"),
        ('station_id: "bench\\e[31m"\n', 1, "station_id: control characters"),
        ("backend:\n  urll: https://x\n", 2, "backend.urll: unknown key"),
        ("slots:\n  1-1: 1\n  1-2: 1\n", 3, "slots.1-2: slot 1 is already port 1-1"),
        ("slots:\n  1-1: zero\n", 2, "slots.1-1: expected a slot number"),
        ("slots:\n  a: 1\n", 2, "slots.a: expected a USB port path such as 1-1.3"),
        ("ports:\n  1-1.3: {slot: 0}\n", 2, "ports.1-1.3.slot: expected a slot number"),
        ("ports:\n  1-1.4: {slot: 99999999999999999999}\n", 2, "ports.1-1.4.slot: expected a slot number from 1 to 999"),
        ("slots:\n  1-1: 1000\n", 2, "slots.1-1: expected a slot number from 1 to 999"),
        ("ports:\n  1-1.4: {name: " + "x" * 500 + "}\n", 2, "ports.1-1.4.name: longer than 32 characters (500)"),
        ("ports:\n  1-1.3: {}\n", 2, "ports.1-1.3: expected slot: N, name: TEXT or both"),
        ("ports:\n  1-1.3: {slot: 1, colour: red}\n", 2, "ports.1-1.3.colour: unknown key"),
        ("ports:\n  1-1.3:\n    name: \"a\\tb\"\n", 3, "ports.1-1.3.name: control characters"),
        ("slots:\n  1-1.3: 1\nports:\n  usb:1-1.3: {name: x}\n", 4, "ports.usb:1-1.3: port 1-1.3 is already given"),
        ("slots:\n  1-1: 2\nports:\n  1-2: {slot: 2}\n", 4, "ports.1-2.slot: slot 2 is already port 1-1"),
        ("backend:\n  ca_bundle: missing.pem\n", 2, "backend.ca_bundle: no such file"),
        ("backend:\n  timeout_s: -1\n", 2, "backend.timeout_s: expected seconds"),
        ("profile: [a\n", 2, "not valid YAML"),
        ("- just a list\n", 1, "expected a mapping"),
    ],
)
def test_a_bad_file_names_the_file_the_line_and_the_problem(tmp_path: Path, text: str, line: int, what: str) -> None:
    path = tmp_path / "station.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}:") and what in message
    assert "\n" not in message


def test_a_bad_url_in_the_environment_names_the_variable() -> None:
    with pytest.raises(ConfigError, match=r"^\$PHONEBENCH_BACKEND_URL: expected an http"):
        load_config(env={"PHONEBENCH_BACKEND_URL": "grading.example.com"})


def test_show_masks_the_token_and_repr_leaves_it_out(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD), env={})
    shown = "\n".join(config.show())
    assert "s3cret-token" not in shown and "s3cret-token" not in repr(config)
    assert "token:       ********" in shown and "https://grading.example.com" in shown
    assert "1-1.2 -> 1" in shown


def test_ports_give_slots_and_names_beside_the_plain_slots_table(tmp_path: Path) -> None:
    path = tmp_path / "station.yaml"
    path.write_text('slots:\n  "1-1.2": 1\nports:\n  "usb:1-1.4": {slot: 3, name: left 3}\n  "2-1": {name: front}\n')
    config = load_config(path, env={})
    assert dict(config.slots) == {"1-1.2": 1, "1-1.4": 3}
    assert dict(config.port_names) == {"1-1.4": "left 3", "2-1": "front"}
    shown = "\n".join(config.show())
    assert "1-1.4 -> 3 (left 3)" in shown and "2-1 (front)" in shown
