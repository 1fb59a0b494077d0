"""Sealing secrets at rest: AES-256-GCM, each ciphertext bound to its workspace and purpose.

A blob is: format version (1 byte), key id length (1 byte), key id (ASCII), nonce (12 bytes),
ciphertext with its 16-byte tag. The associated data is the header (version and key id) plus
the context, so a blob copied to another workspace's row, relabelled to another key or edited
anywhere fails to open.
"""

from __future__ import annotations

import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bot.secrets.errors import MasterKeyMissing, SecretUnreadable
from bot.secrets.keyring import KEY_ID, Keyring

FORMAT_VERSION = 1
NONCE_BYTES = 12
TAG_BYTES = 16
CONTEXT_VERSION = "v1"
_PURPOSE = re.compile(r"[a-z][a-z0-9_]{0,31}")


def secret_context(workspace_id: str, purpose: str) -> str:
    """Associated data binding a secret to a workspace and purpose: `slack:T1:venice_key:v1`."""
    if not _PURPOSE.fullmatch(purpose):
        raise ValueError("a secret's purpose is a short lower-case word such as 'venice_key'")
    return f"{workspace_id}:{purpose}:{CONTEXT_VERSION}"


def _workspace_of(context: str) -> str | None:
    # `workspace:purpose:v1` -> workspace; None for a context of another shape.
    parts = context.rsplit(":", 2)
    return parts[0] if len(parts) == 3 and parts[2] == CONTEXT_VERSION else None


class SecretBox:
    """Seals under the keyring's newest key; opens under whichever key a blob names."""

    def __init__(self, keyring: Keyring) -> None:
        self.keyring = keyring

    def seal(self, plaintext: str, *, context: str) -> bytes:
        """PLAINTEXT encrypted under the newest master key, bound to CONTEXT (fresh nonce)."""
        key = self.keyring.newest
        header = _header(key.id)
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(key.material).encrypt(
            nonce, plaintext.encode("utf-8"), _aad(header, context)
        )
        return header + nonce + sealed

    def open(self, blob: bytes, *, context: str) -> str:
        """The plaintext of BLOB; MasterKeyMissing or SecretUnreadable when it cannot be."""
        key_id, header_length = _parse_header(blob, context)
        key = self.keyring.get(key_id)
        if key is None:
            raise MasterKeyMissing(key_id)
        header = blob[:header_length]
        nonce = blob[header_length : header_length + NONCE_BYTES]
        sealed = blob[header_length + NONCE_BYTES :]
        try:
            plaintext = AESGCM(key.material).decrypt(nonce, sealed, _aad(header, context))
            return plaintext.decode("utf-8")
        except (InvalidTag, UnicodeDecodeError):
            raise SecretUnreadable(_workspace_of(context)) from None

    @staticmethod
    def key_id_of(blob: bytes) -> str:
        """The id of the master key that sealed BLOB."""
        return key_id_of(blob)

    def __repr__(self) -> str:
        return f"SecretBox({self.keyring!r})"


def key_id_of(blob: bytes) -> str:
    """The id of the master key that sealed BLOB (SecretUnreadable when it is no blob)."""
    key_id, _ = _parse_header(blob, None)
    return key_id


def _header(key_id: str) -> bytes:
    encoded = key_id.encode("ascii")
    return bytes([FORMAT_VERSION, len(encoded)]) + encoded


def _aad(header: bytes, context: str) -> bytes:
    return header + context.encode("utf-8")


def _parse_header(blob: bytes, context: str | None) -> tuple[str, int]:
    unreadable = SecretUnreadable(_workspace_of(context) if context is not None else None)
    if len(blob) < 2 or blob[0] != FORMAT_VERSION:
        raise unreadable
    header_length = 2 + blob[1]
    if len(blob) < header_length + NONCE_BYTES + TAG_BYTES:
        raise unreadable
    try:
        key_id = blob[2:header_length].decode("ascii")
    except UnicodeDecodeError:
        raise unreadable from None
    if not KEY_ID.fullmatch(key_id):
        raise unreadable
    return key_id, header_length
