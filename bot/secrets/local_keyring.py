"""The local keyring file `make run` and `demo` create when no keyring is configured."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

from bot.secrets.errors import KeyringError
from bot.secrets.keyring import Keyring, generate_master_key, read_keyring_file

SOURCE = "the local keyring"


def default_keyring_path() -> Path:
    """`$XDG_STATE_HOME/venice-bot/master-keys`, or `~/.local/state/venice-bot/master-keys`."""
    state = os.environ.get("XDG_STATE_HOME", "")
    # The XDG spec says a relative value is invalid and must be ignored.
    base = Path(state) if state and Path(state).is_absolute() else Path.home() / ".local" / "state"
    return base / "venice-bot" / "master-keys"


def load_or_create_local_keyring(path: Path) -> tuple[Keyring, bool]:
    """The keyring in PATH, created (mode 0600, directory 0700) when missing; bool = created."""
    if not path.exists():
        _make_private_directory(path.parent)
        if _create(path):
            return _read(path), True
    return _read(path), False


def _make_private_directory(directory: Path) -> None:
    if directory.is_dir():
        return
    try:
        directory.mkdir(mode=0o700, parents=True)
        directory.chmod(0o700)  # mkdir's mode is filtered by the umask; say it exactly
    except FileExistsError:
        pass
    except OSError as error:
        raise KeyringError(
            f"Cannot create the keyring directory {directory} ({error.strerror}); set "
            "VENICE_BOT_MASTER_KEYS or VENICE_BOT_MASTER_KEYS_FILE instead."
        ) from None


def _create(path: Path) -> bool:
    """Write a new keyring to PATH atomically; False when another process got there first."""
    # The key goes into a private temporary file first, then is hard-linked into place: the
    # keyring path never exists half-written, never with wider permissions, and never replaces
    # a keyring another process has just created.
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(temporary, flags, 0o600)
        try:
            os.write(descriptor, f"{generate_master_key().encoded()}\n".encode("ascii"))
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.link(temporary, path)
    except FileExistsError:
        return False
    except OSError as error:
        raise KeyringError(
            f"Cannot create the keyring file {path} ({error.strerror}); set "
            "VENICE_BOT_MASTER_KEYS or VENICE_BOT_MASTER_KEYS_FILE instead."
        ) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
    return True


def _read(path: Path) -> Keyring:
    try:
        mode = path.stat().st_mode
    except OSError as error:
        raise KeyringError(f"Cannot read the keyring file {path} ({error.strerror}).") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyringError(
            f"The keyring file {path} can be read or changed by other users; run "
            f"`chmod 600 {path}` and start again."
        )
    return Keyring.parse(read_keyring_file(path, SOURCE), source=f"{SOURCE} {path}")
