"""The master keyring: `id:base64-32-bytes` entries, newest first; the newest seals, any opens."""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.secrets.errors import KeyringError

if TYPE_CHECKING:
    from bot.settings import Settings

KEY_BYTES = 32
KEY_ID = re.compile(r"[A-Za-z0-9._-]{1,32}")
ENV_SOURCE = "VENICE_BOT_MASTER_KEYS"
FILE_SOURCE = "VENICE_BOT_MASTER_KEYS_FILE"


@dataclass(frozen=True, slots=True)
class MasterKey:
    """One AES-256 master key and the id stored beside every ciphertext it seals."""

    id: str
    material: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not KEY_ID.fullmatch(self.id):
            raise ValueError("a master key id is 1 to 32 letters, digits, '.', '_' or '-'")
        if len(self.material) != KEY_BYTES:
            raise ValueError(f"a master key is exactly {KEY_BYTES} bytes")

    def encoded(self) -> str:
        """`id:base64`, the form VENICE_BOT_MASTER_KEYS takes."""
        return f"{self.id}:{base64.b64encode(self.material).decode('ascii')}"


def generate_master_key(id: str | None = None) -> MasterKey:
    """A fresh random master key; the default id is the date plus a short random suffix."""
    key_id = id or f"k{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(2)}"
    return MasterKey(key_id, os.urandom(KEY_BYTES))


@dataclass(frozen=True, slots=True)
class Keyring:
    """Master keys, newest first. Never empty."""

    keys: tuple[MasterKey, ...]

    def __post_init__(self) -> None:
        if not self.keys:
            raise ValueError("a keyring holds at least one master key")

    @classmethod
    def parse(cls, text: str, *, source: str) -> Keyring:
        """Read comma- or newline-separated `id:base64` entries; errors name SOURCE and entry."""
        entries = [e.strip() for e in re.split(r"[,\n]", text)]
        entries = [e for e in entries if e and not e.startswith("#")]
        if not entries:
            raise KeyringError(f"{source} holds no master keys; write them as id:base64, ...")
        keys: list[MasterKey] = []
        for position, entry in enumerate(entries, start=1):
            key = _parse_entry(entry, position, source)
            if any(k.id == key.id for k in keys):
                raise KeyringError(
                    f"{source}: master key id '{key.id}' appears twice; every id must be unique."
                )
            keys.append(key)
        return cls(tuple(keys))

    @classmethod
    def from_settings(cls, settings: Settings) -> Keyring | None:
        """VENICE_BOT_MASTER_KEYS, else VENICE_BOT_MASTER_KEYS_FILE, else None."""
        if settings.master_keys is not None and settings.master_keys.get_secret_value().strip():
            return cls.parse(settings.master_keys.get_secret_value(), source=ENV_SOURCE)
        if settings.master_keys_file is not None:
            path = settings.master_keys_file
            return cls.parse(read_keyring_file(path, FILE_SOURCE), source=f"{FILE_SOURCE} {path}")
        return None

    @property
    def newest(self) -> MasterKey:
        """The key that seals new secrets."""
        return self.keys[0]

    @property
    def ids(self) -> tuple[str, ...]:
        """Every key id, newest first."""
        return tuple(k.id for k in self.keys)

    def get(self, key_id: str) -> MasterKey | None:
        """The key with KEY_ID, or None."""
        return next((k for k in self.keys if k.id == key_id), None)

    def __iter__(self) -> Iterator[MasterKey]:
        return iter(self.keys)

    def __len__(self) -> int:
        return len(self.keys)

    def __repr__(self) -> str:
        return f"Keyring(ids={self.ids!r})"


def read_keyring_file(path: Path, source: str) -> str:
    """The text of a keyring file, or KeyringError naming the path and the reason."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else "not text"
        raise KeyringError(
            f"{source}: cannot read the keyring file {path} ({reason}); fix the path or its "
            "permissions."
        ) from None


def _parse_entry(entry: str, position: int, source: str) -> MasterKey:
    # An entry that fails to parse may be bare key material: name only its position, and its id
    # once the id is known to be a well-formed id.
    key_id, sep, encoded = entry.partition(":")
    key_id, encoded = key_id.strip(), encoded.strip()
    where = f"{source}: entry {position}"
    if not sep:
        raise KeyringError(f"{where} has no id; write each key as id:base64.")
    if not KEY_ID.fullmatch(key_id):
        raise KeyringError(
            f"{where} has an invalid id; ids are 1 to 32 letters, digits, '.', '_' or '-'."
        )
    try:
        material = base64.b64decode(encoded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        material = b""
    if len(material) != KEY_BYTES:
        raise KeyringError(
            f"{where} (id '{key_id}') is not {KEY_BYTES} bytes of base64; create one with "
            "`head -c 32 /dev/urandom | base64`."
        )
    return MasterKey(key_id, material)
