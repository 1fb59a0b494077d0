"""Why a secret at rest could not be sealed or opened. Messages never hold key material."""

from __future__ import annotations

from bot.errors import BotError

KEYRING_SETTINGS = "VENICE_BOT_MASTER_KEYS or VENICE_BOT_MASTER_KEYS_FILE"


class KeyringError(BotError):
    """The master keyring is missing, unreadable or malformed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MasterKeyMissing(BotError):
    """Stored secrets were sealed under master key(s) the keyring does not hold."""

    def __init__(self, key_id: str, *more_key_ids: str) -> None:
        self.key_id = key_id
        self.key_ids = (key_id, *more_key_ids)
        if more_key_ids:
            names = ", ".join(f"'{k}'" for k in self.key_ids)
            need = f"master keys {names}, which are not"
        else:
            need = f"master key '{key_id}', which is not"
        self.message = (
            f"The stored secrets need {need} in the keyring ({KEYRING_SETTINGS}). "
            "Add it back, or reconnect the affected workspaces."
        )
        super().__init__(self.message)


class SecretUnreadable(BotError):
    """A ciphertext failed authentication: altered, or bound to another workspace or purpose."""

    def __init__(self, workspace_id: str | None = None) -> None:
        self.workspace_id = workspace_id
        if workspace_id is None:
            self.message = (
                "A stored secret cannot be decrypted: it was altered, or copied from another "
                "workspace. Reconnect the affected workspace to store its key again."
            )
        else:
            self.message = (
                f"The key stored for {workspace_id} cannot be decrypted: it was altered, "
                "or copied from another workspace. Reconnect this workspace to store its key again."
            )
        super().__init__(self.message)
