"""The station key: made once, kept for good, never silently replaced."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from agent.errors import SigningError
from agent.report.signing import StationKey


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _pem(private_key, password: bytes | None = None) -> bytes:
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    return private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def test_first_use_creates_a_0600_key_in_0700_folders(tmp_path: Path) -> None:
    path = tmp_path / "config" / "phonebench" / "station_ed25519.pem"
    key = StationKey.load_or_create(path)
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700
    assert _mode(path.parent.parent) == 0o700
    assert key.keyid.startswith("sha256:")
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left behind


def test_the_key_file_is_reused_not_regenerated(tmp_path: Path) -> None:
    path = tmp_path / "station_ed25519.pem"
    first = StationKey.load_or_create(path)
    content = path.read_bytes()
    second = StationKey.load_or_create(path)
    assert second.keyid == first.keyid
    assert second.public_pem() == first.public_pem()
    assert path.read_bytes() == content


def test_threads_creating_the_key_at_once_all_get_the_same_key(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "station_ed25519.pem"
    keyids: list[str] = []
    start = threading.Barrier(8)

    def make() -> None:
        start.wait()
        keyids.append(StationKey.load_or_create(path).keyid)

    threads = [threading.Thread(target=make) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(keyids) == 8
    assert len(set(keyids)) == 1
    assert StationKey.load_or_create(path).keyid == keyids[0]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (lambda: b"", "not a readable PEM private key"),
        (lambda: b"this is not a key\n", "not a readable PEM private key"),
        (lambda: _pem(ed25519.Ed25519PrivateKey.generate())[:60], "not a readable PEM private key"),
        (lambda: _pem(rsa.generate_private_key(65537, 2048)), "holds a RSA private key, expected Ed25519"),
        (lambda: _pem(ec.generate_private_key(ec.SECP256R1())), "holds a EC private key, expected Ed25519"),
        (lambda: _pem(ed25519.Ed25519PrivateKey.generate(), b"secret"), "password-protected"),
    ],
    ids=["empty", "garbage", "truncated", "rsa", "ec", "encrypted"],
)
def test_a_bad_key_file_is_an_error_naming_it_and_is_left_alone(tmp_path: Path, content, message: str) -> None:
    path = tmp_path / "station_ed25519.pem"
    data = content()
    path.write_bytes(data)
    with pytest.raises(SigningError, match=message) as caught:
        StationKey.load_or_create(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert "\n" not in str(caught.value)
    assert path.read_bytes() == data


def test_a_folder_where_the_key_should_be_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "station_ed25519.pem"
    path.mkdir()
    with pytest.raises(SigningError, match="cannot read the station key"):
        StationKey.load_or_create(path)
    assert path.is_dir()


def test_a_dangling_symlink_is_not_replaced_by_a_new_key(tmp_path: Path) -> None:
    path = tmp_path / "station_ed25519.pem"
    path.symlink_to(tmp_path / "gone.pem")
    with pytest.raises(SigningError, match=str(path)):
        StationKey.load_or_create(path)
    assert path.is_symlink() and not (tmp_path / "gone.pem").exists()


def test_an_unreadable_key_file_is_an_error_not_a_new_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "station_ed25519.pem"
    StationKey.load_or_create(path)
    content = path.read_bytes()

    def denied(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", denied)
    with pytest.raises(SigningError, match=f"^{path}: cannot read the station key \\(Permission denied\\)$"):
        StationKey.load_or_create(path)
    monkeypatch.undo()
    assert path.read_bytes() == content


@pytest.mark.skipif(os.name == "nt", reason="no POSIX mode bits")
@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660, 0o620, 0o601])
def test_a_key_others_can_read_is_refused_with_the_chmod_to_run(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "Application Support" / "station_ed25519.pem"
    StationKey.load_or_create(path)
    content = path.read_bytes()
    path.chmod(mode)
    with pytest.raises(SigningError) as caught:
        StationKey.load(path)
    message = str(caught.value)
    assert message == (f"{path}: the station key is open to others (mode {mode:04o}); "
                       f"run `chmod 600 '{path}'` if it is yours")
    assert path.read_bytes() == content and _mode(path) == mode  # left as it was


@pytest.mark.skipif(os.name == "nt", reason="no POSIX mode bits")
@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_a_key_only_its_owner_can_read_is_used(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "station_ed25519.pem"
    keyid = StationKey.load_or_create(path).keyid
    path.chmod(mode)
    assert StationKey.load(path).keyid == keyid


@pytest.mark.skipif(os.name == "nt", reason="no POSIX mode bits")
def test_the_cli_answers_a_key_open_to_others_with_one_line_and_the_key_exit_code(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from agent import paths
    from agent.cli import main as cli

    StationKey.load_or_create(paths.key_path())
    paths.key_path().chmod(0o644)
    code = cli.main(["keys", "export"])
    err = capsys.readouterr().err
    assert code == 6 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"phonebench: {paths.key_path()}: the station key is open to others (mode 0644)")
    assert "chmod 600" in err
