"""Secrets at rest: the master keyring and the box that seals each secret to its workspace."""

from bot.secrets.box import SecretBox, key_id_of, secret_context
from bot.secrets.errors import KeyringError, MasterKeyMissing, SecretUnreadable
from bot.secrets.keyring import Keyring, MasterKey, generate_master_key
from bot.secrets.local_keyring import default_keyring_path, load_or_create_local_keyring

__all__ = [
    "Keyring",
    "KeyringError",
    "MasterKey",
    "MasterKeyMissing",
    "SecretBox",
    "SecretUnreadable",
    "default_keyring_path",
    "generate_master_key",
    "key_id_of",
    "load_or_create_local_keyring",
    "secret_context",
]
