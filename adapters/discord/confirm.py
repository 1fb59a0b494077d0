"""A question's two buttons under a private reply (a Confirm card, e.g. `/venice disconnect`):
confirm runs the command the card names, confirmed, through the core (which checks the member
again); cancel turns the question into the card's `cancelled`. The words are the core's."""

from __future__ import annotations

import discord

from adapters.discord.interactions import Interaction, caller_of, editable, workspace_of
from adapters.discord.messages import reply_kwargs
from adapters.discord.render import ALLOWED_MENTIONS, card_embed
from bot.cards import Confirm
from bot.command_text import text_of
from bot.runtime import Runtime

CONFIRM_TIMEOUT = 5 * 60.0


class ConfirmView(discord.ui.View):
    """The two buttons under the question; only the member who asked may press them."""

    def __init__(self, runtime: Runtime, asked_by: int, confirm: Confirm) -> None:
        super().__init__(timeout=CONFIRM_TIMEOUT)
        self.runtime = runtime
        self.asked_by = asked_by
        self.confirm = confirm
        yes = discord.ui.Button[ConfirmView](
            label=confirm.confirm_label, style=discord.ButtonStyle.danger
        )
        no = discord.ui.Button[ConfirmView](
            label=confirm.cancel_label, style=discord.ButtonStyle.secondary
        )
        yes.callback = self.confirmed  # type: ignore[method-assign]
        no.callback = self.cancelled  # type: ignore[method-assign]
        self.add_item(yes)
        self.add_item(no)

    async def interaction_check(self, interaction: Interaction) -> bool:
        return interaction.user.id == self.asked_by

    async def confirmed(self, interaction: Interaction) -> None:
        """Run the confirmed command through the core and show its answer in place."""
        self.stop()
        workspace = workspace_of(interaction)
        await interaction.response.defer()  # an update of this message, within Discord's 3 s
        answer = await self.runtime.ask(
            self.confirm.run, workspace_id=workspace, caller=caller_of(interaction)
        )
        reply = editable(reply_kwargs(answer, text_of(self.confirm.run), private=True))
        await interaction.edit_original_response(**reply, view=None)

    async def cancelled(self, interaction: Interaction) -> None:
        """Do nothing; the question turns into the card saying so."""
        self.stop()
        await interaction.response.edit_message(
            embed=card_embed(self.confirm.cancelled), view=None, allowed_mentions=ALLOWED_MENTIONS
        )
