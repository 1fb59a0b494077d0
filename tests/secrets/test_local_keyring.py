"""The local keyring file `demo` creates: private from the first byte, refused when it is not."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from bot.secrets import KeyringError, default_keyring_path, load_or_create_local_keyring


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_created_0600_in_a_0700_directory_then_reused(tmp_path: Path):
    path = tmp_path / "state" / "venice-bot" / "master-keys"
    previous = os.umask(0o000)  # even a permissive umask must not widen them
    try:
        keyring, created = load_or_create_local_keyring(path)
    finally:
        os.umask(previous)
    assert created
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700
    assert os.listdir(path.parent) == ["master-keys"]  # no temporary file left behind
    assert len(keyring) == 1

    again, created_again = load_or_create_local_keyring(path)
    assert not created_again
    assert again == keyring


@pytest.mark.parametrize("loose", [0o644, 0o640, 0o604, 0o620])
def test_a_file_others_can_reach_is_refused(tmp_path: Path, loose: int):
    path = tmp_path / "master-keys"
    keyring, _ = load_or_create_local_keyring(path)
    path.chmod(loose)
    with pytest.raises(KeyringError) as caught:
        load_or_create_local_keyring(path)
    message = str(caught.value)
    assert str(path) in message
    assert f"chmod 600 {path}" in message
    assert keyring.newest.encoded().split(":")[1] not in message


def test_a_malformed_file_is_named_without_its_content(tmp_path: Path):
    path = tmp_path / "master-keys"
    path.write_text("this-is-no-keyring\n")
    path.chmod(0o600)
    with pytest.raises(KeyringError) as caught:
        load_or_create_local_keyring(path)
    assert str(path) in str(caught.value)
    assert "this-is-no-keyring" not in str(caught.value)


def test_default_path_follows_xdg_state_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert default_keyring_path() == tmp_path / "state" / "venice-bot" / "master-keys"
    monkeypatch.setenv("XDG_STATE_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_keyring_path() == tmp_path / ".local" / "state" / "venice-bot" / "master-keys"
    monkeypatch.delenv("XDG_STATE_HOME")
    assert default_keyring_path() == tmp_path / ".local" / "state" / "venice-bot" / "master-keys"
