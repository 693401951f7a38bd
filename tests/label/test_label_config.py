"""The station config's ``printer:`` key: read, shown, and a wrong one named by file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.config import Printer, load_config
from agent.errors import ConfigError


def config_with(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "station.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "printer"),
    [
        ('printer: {tcp: "127.0.0.1:9100"}\n', Printer("tcp", host="127.0.0.1", port=9100)),
        ('printer: {tcp: "[::1]:6101"}\n', Printer("tcp", host="::1", port=6101)),
        ("printer:\n  cups: Zebra_GK420d\n", Printer("cups", queue="Zebra_GK420d")),
    ],
)
def test_a_printer_is_read_as_tcp_or_cups(tmp_path: Path, text: str, printer: Printer) -> None:
    config = load_config(config_with(tmp_path, text), env={})
    assert config.printer == printer
    assert config.to_json()["printer"]["kind"] == printer.kind
    assert any(line.startswith("printer:") and printer.kind in line for line in config.show())


def test_no_printer_key_means_no_printer(tmp_path: Path) -> None:
    config = load_config(config_with(tmp_path, "profile: default\n"), env={})
    assert config.printer is None and config.to_json()["printer"] is None


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        ("profile: default\nprinter:\n  tcp: printer.local\n", 3, "printer.tcp: expected host:port"),
        ('printer:\n  tcp: "h:99999"\n', 2, "printer.tcp: expected host:port"),
        ('printer:\n  tcp: "h:9100"\n  cups: q\n', 1, "printer: expected one of tcp"),
        ("printer: {}\n", 1, "printer: expected one of tcp"),
        ("printer:\n  cups: -o evil\n", 2, "printer.cups: expected a CUPS queue name"),
        ("printer:\n  cups: a/b\n", 2, "printer.cups: expected a CUPS queue name"),
        ("printer:\n  ipp: x\n", 2, "printer.ipp: unknown key"),
        ("printer: zebra\n", 1, "printer: expected a mapping"),
    ],
)
def test_a_bad_printer_names_the_file_the_line_and_the_problem(tmp_path: Path, text: str, line: int, what: str) -> None:
    path = config_with(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}:") and what in message, message
