"""The connect modal: one text input for the Venice key, checked and stored by the core.

Discord has no masked input, so the label says the key shows while typed. The key goes from the
submission straight to the secret registry (masked in every log line), then to `connect_key`;
it is never echoed, logged or kept on the modal.
"""

from __future__ import annotations

import logging

import discord
from pydantic import SecretStr

from adapters.discord.interactions import Interaction, caller_of, send_private, workspace_of
from bot.cards import Card, SecretPrompt, Tone
from bot.core import Answer
from bot.deadline import Deadline
from bot.key_connection import connect_key
from bot.logs import register_secret
from bot.runtime import Runtime

log = logging.getLogger(__name__)

# Discord allows 100 characters here; there is no masked input, so say it.
KEY_DESCRIPTION = "Not masked: it shows while you type. Checked with Venice, then stored encrypted."
KEY_PLACEHOLDER = "Paste the ADMIN key from venice.ai/settings/api"
KEY_MAX_LENGTH = 200
MODAL_TIMEOUT = 15 * 60.0  # as long as Discord keeps the interaction token


class ConnectModal(discord.ui.Modal):
    """Collects the secret a card asks for (PROMPT) privately; only the submitter sees it."""

    def __init__(self, runtime: Runtime, prompt: SecretPrompt) -> None:
        super().__init__(title=prompt.title, timeout=MODAL_TIMEOUT)
        self.runtime = runtime
        self.key: discord.ui.TextInput[ConnectModal] = discord.ui.TextInput(
            placeholder=KEY_PLACEHOLDER,
            style=discord.TextStyle.short,
            min_length=1,
            max_length=KEY_MAX_LENGTH,
            required=True,
        )
        self.add_item(
            discord.ui.Label(text=prompt.label, description=KEY_DESCRIPTION, component=self.key)
        )

    async def on_submit(self, interaction: Interaction) -> None:
        """Check the key with Venice, store it encrypted, answer privately."""
        secret = self.key.value.strip()
        register_secret(secret)  # first: from here on no log line can show it
        workspace = workspace_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        store = (await self.runtime.open_store()).store
        result = await connect_key(
            store,
            self.runtime.venice,
            workspace,
            SecretStr(secret),
            caller_of(interaction),
            Deadline.after(self.runtime.settings.request_budget),
        )
        # Private, never shared: no command text for a Share button.
        answer = Answer(result.card, "answered" if result.ok else "failed")
        await send_private(interaction, answer, "")

    async def on_error(  # type: ignore[override]
        self, interaction: Interaction, error: Exception
    ) -> None:
        """A private apology; the log gets the error's type only (its text might quote input)."""
        log.warning("discord connect modal failed: %s", type(error).__name__)
        card = Card(
            title="Could not connect the key",
            kind="error",
            tone=Tone.DANGER,
            summary="Something went wrong, so nothing was stored. Try `/venice connect` again "
            "in a minute.",
            data={"error": type(error).__name__, "status": None, "retry_after": None},
        )
        await send_private(interaction, Answer(card, "failed"), "")
