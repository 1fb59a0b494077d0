"""`/venice disconnect` asks first: a private message with Delete / Cancel buttons."""

from __future__ import annotations

from datetime import UTC, datetime

import discord

from adapters.discord.interactions import (
    Interaction,
    caller_of,
    editable,
    workspace_of,
)
from adapters.discord.messages import reply_kwargs
from adapters.discord.render import ALLOWED_MENTIONS, card_embed
from bot.cards import Card, Tone
from bot.command_text import parse_request
from bot.runtime import Runtime

CONFIRM_TIMEOUT = 5 * 60.0
COMMAND_TEXT = "disconnect"
QUESTION = Card(
    title="Delete this server's Venice key?",
    kind="help",
    tone=Tone.WARNING,
    summary=(
        "Billing commands stop working here until someone with Manage Server runs "
        "`/venice connect` again. The key itself stays valid in Venice: revoke it there if it "
        "leaked."
    ),
)
CANCELLED = Card(
    title="Nothing was deleted",
    kind="help",
    tone=Tone.INFO,
    summary="The Venice key stays connected.",
)


class ConfirmDisconnect(discord.ui.View):
    """The two buttons under the question; only the member who asked may press them."""

    def __init__(self, runtime: Runtime, asked_by: int) -> None:
        super().__init__(timeout=CONFIRM_TIMEOUT)
        self.runtime = runtime
        self.asked_by = asked_by

    async def interaction_check(self, interaction: Interaction) -> bool:
        return interaction.user.id == self.asked_by

    @discord.ui.button(label="Delete the key", style=discord.ButtonStyle.danger)
    async def delete(
        self, interaction: Interaction, button: discord.ui.Button[ConfirmDisconnect]
    ) -> None:
        """Run `disconnect` through the core (which checks the member again) and show the result."""
        self.stop()
        workspace = workspace_of(interaction)
        await interaction.response.defer()  # an update of this message, within Discord's 3 s
        answer = await self.runtime.ask(
            parse_request(COMMAND_TEXT, datetime.now(UTC).date()),
            workspace_id=workspace,
            caller=caller_of(interaction),
        )
        reply = editable(reply_kwargs(answer, COMMAND_TEXT, private=True))
        await interaction.edit_original_response(**reply, view=None)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(
        self, interaction: Interaction, button: discord.ui.Button[ConfirmDisconnect]
    ) -> None:
        """Keep the key; the question turns into a note saying so."""
        self.stop()
        await interaction.response.edit_message(
            embed=card_embed(CANCELLED), view=None, allowed_mentions=ALLOWED_MENTIONS
        )


async def ask_to_confirm(interaction: Interaction, runtime: Runtime) -> None:
    """Answer `/venice disconnect` with the question, privately."""
    workspace_of(interaction)  # a DM is refused before anything is asked
    await interaction.response.send_message(
        embed=card_embed(QUESTION),
        view=ConfirmDisconnect(runtime, interaction.user.id),
        ephemeral=True,
        allowed_mentions=ALLOWED_MENTIONS,
    )
