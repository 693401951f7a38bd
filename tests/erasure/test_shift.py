"""The certificate's operator: the config wins, else the name given once a shift; a stored
name past its shift, or a file that is not one, means asking again, never a traceback."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from agent import paths
from agent.config import load_config
from agent.erasure.shift import NOBODY_ASKED_YES, ShiftStore, clean_name, resolve_operator
from tests.erasure.conftest import IMEI, UDID, erase, iphone, payload


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_name_given_holds_for_the_shift_and_expires_after_it(tmp_path: Path) -> None:
    clock = Clock()
    store = ShiftStore(8, tmp_path / "operator.json", clock)
    store.remember("Ann")
    clock.now += 8 * 3600 - 1
    assert store.current() == "Ann"
    clock.now += 2
    assert store.current() is None
    assert resolve_operator(None, None, store) is None  # asked again


def test_the_config_wins_over_the_shift_and_the_option_over_both(tmp_path: Path) -> None:
    store = ShiftStore(8, tmp_path / "operator.json", Clock())
    store.remember("Ann")
    signer = resolve_operator(None, "J. Doe", store)
    assert signer is not None and (signer.name, signer.source) == ("J. Doe", "config")
    signer = resolve_operator("Bo", "J. Doe", store)
    assert signer is not None and (signer.name, signer.source) == ("Bo", "option")
    signer = resolve_operator(None, None, store)
    assert signer is not None and (signer.name, signer.source) == ("Ann", "shift")


def test_a_named_operator_leaves_a_bad_stored_file_unread_and_unwarned(tmp_path: Path,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    """Nobody is asked when the option or the config names the operator: no "asking again"."""
    path = tmp_path / "operator.json"
    path.write_text("{")
    store = ShiftStore(8, path, Clock())
    for given, config in (("Ann", None), (None, "J. Doe")):
        assert resolve_operator(given, config, store) is not None
    assert "asking again" not in caplog.text
    assert resolve_operator(None, None, store) is None and "asking again" in caplog.text


def test_a_name_with_control_characters_is_quoted_as_the_config_quotes_it() -> None:
    from agent.erasure.shift import check_name

    with pytest.raises(ValueError) as refused:
        check_name("Ann\nEvil", "--operator")
    assert "'Ann\\x0aEvil'" in str(refused.value) and "\\\\" not in str(refused.value)


@pytest.mark.parametrize("content", ["", "{", "[]", '{"operator": "Ann"}', '{"operator": 3, "since_epoch": "x"}',
                                     '{"operator": "Ann", "since_epoch": 9e99}', "\udcff",
                                     '{"operator": "Zed", "since_epoch": 1' + "0" * 400 + "}",
                                     '{"operator": "Zed", "since_epoch": 1e999}', "[" * 100_000],
                         ids=lambda content: content[:40])
def test_a_bad_stored_file_means_asking_again(tmp_path: Path, content: str) -> None:
    path = tmp_path / "operator.json"
    path.write_bytes(content.encode("utf-8", "surrogateescape"))
    assert ShiftStore(8, path, Clock()).current() is None


def test_a_state_dir_that_cannot_be_written_only_means_asking_again(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    store = ShiftStore(8, tmp_path / "file" / "operator.json", Clock())
    store.remember("Ann")
    assert store.current() is None


def test_names_are_capped_and_made_inert() -> None:
    assert clean_name("  Ann\x1b[31m\n") == "Ann?[31m"
    assert len(clean_name("x" * 500) or "") == 64
    assert clean_name("   ") is None and clean_name(None) is None


def test_shift_hours_in_the_config_is_read_and_a_bad_value_is_one_line_error(tmp_path: Path) -> None:
    from agent.errors import PhonebenchError

    config = tmp_path / "station.yaml"
    config.write_text("shift_hours: 10\n")
    assert load_config(config, env={}).shift_hours == 10.0
    assert load_config(tmp_path / "none.yaml", env={}).shift_hours == 8.0
    config.write_text("shift_hours: forever\n")
    with pytest.raises(PhonebenchError, match="station.yaml:1"):
        load_config(config, env={})


def test_headless_erase_without_an_operator_records_null_with_a_reason(
        usbmuxd, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    usbmuxd.plug(iphone(find_my=False))
    code, out, _ = erase(capsys, "--udid", UDID, "--yes", "--json", "--simulated")
    cert = payload(json.loads(out))
    assert code == 0 and cert["operator"] is None and cert["operator_reason"] == NOBODY_ASKED_YES


def test_the_cli_asks_on_a_terminal_once_a_shift(usbmuxd, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    usbmuxd.plug(iphone(find_my=False))
    monkeypatch.setattr("sys.stdin", Terminal(f"{IMEI[-4:]}\nDee\n"))
    code, out, err = erase(capsys, "--udid", UDID, "--json", "--simulated")
    assert code == 0 and payload(json.loads(out))["operator"] == "Dee" and "Your name" in err
    assert json.loads((paths.state_dir() / "operator.json").read_text())["operator"] == "Dee"
    monkeypatch.setattr("sys.stdin", Terminal(f"{IMEI[-4:]}\n"))  # the name is not asked again
    code, out, err = erase(capsys, "--udid", UDID, "--json", "--simulated")
    assert code == 0 and payload(json.loads(out))["operator"] == "Dee" and "Your name" not in err
