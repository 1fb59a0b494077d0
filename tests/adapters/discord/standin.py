"""A stand-in for discord.py's Interaction: `response` and `followup` record what the bot sends.

dpytest cannot drive application commands, so tests call a command's `.callback` with this. It
enforces Discord's one rule that matters here: one first response (a second raises, as
discord.py's `InteractionResponded` does), and follow-ups only after it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import discord

GUILD_ID = 4_000_000_000_000_000_001
CHANNEL_ID = 4_000_000_000_000_000_002


@dataclass
class Sent:
    """One thing the bot did with the interaction: `defer`, `send_modal`, `followup.send`..."""

    method: str
    kwargs: dict[str, Any]

    @property
    def embed(self) -> discord.Embed:
        embed = self.kwargs.get("embed")
        assert isinstance(embed, discord.Embed), f"{self.method} sent no embed: {self.kwargs}"
        return embed

    @property
    def private(self) -> bool:
        return bool(self.kwargs.get("ephemeral", False))

    def custom_ids(self) -> list[str]:
        view = self.kwargs.get("view")
        if not isinstance(view, discord.ui.View):
            return []
        buttons = [item for item in view.children if isinstance(item, discord.ui.Button)]
        return [button.custom_id for button in buttons if button.custom_id is not None]

    def allowed_mentions(self) -> dict[str, Any] | None:
        mentions = self.kwargs.get("allowed_mentions")
        return mentions.to_dict() if isinstance(mentions, discord.AllowedMentions) else None

    def text(self) -> str:
        """Everything sent, as text: to prove a secret appears nowhere in it."""
        parts: list[str] = [repr(self.kwargs)]
        for value in self.kwargs.values():
            if isinstance(value, discord.Embed):
                parts.append(json.dumps(value.to_dict()))
            if isinstance(value, discord.ui.Modal | discord.ui.View):
                parts.append(json.dumps(value.to_components()))
        return "\n".join(parts)


class AlreadyResponded(RuntimeError):
    """A second first response: Discord would refuse it (discord.py: InteractionResponded)."""


class StandInResponse:
    def __init__(self, calls: list[Sent]) -> None:
        self._calls = calls
        self._done = False

    def is_done(self) -> bool:
        return self._done

    def _first(self, method: str, kwargs: dict[str, Any]) -> None:
        if self._done:
            raise AlreadyResponded(f"{method} after the interaction was answered")
        self._done = True
        self._calls.append(Sent(method, kwargs))

    async def defer(self, *, ephemeral: bool = False, thinking: bool = False) -> None:
        self._first("defer", {"ephemeral": ephemeral, "thinking": thinking})

    async def send_modal(self, modal: discord.ui.Modal) -> None:
        self._first("send_modal", {"modal": modal})

    async def send_message(self, content: str | None = None, **kwargs: Any) -> None:
        self._first("send_message", {"content": content, **kwargs})

    async def edit_message(self, **kwargs: Any) -> None:
        self._first("edit_message", kwargs)


class StandInFollowup:
    def __init__(self, calls: list[Sent], response: StandInResponse) -> None:
        self._calls = calls
        self._response = response

    async def send(self, content: str | None = None, **kwargs: Any) -> None:
        assert self._response.is_done(), "a follow-up before any response: Discord refuses it"
        self._calls.append(Sent("followup.send", {"content": content, **kwargs}))


@dataclass
class StandInUser:
    id: int
    display_name: str
    name: str = ""


@dataclass
class StandInCommand:
    name: str


@dataclass
class StandInInteraction:
    """What the bot reads from an interaction, and recorders for what it sends."""

    user_id: int = 5_000_000_000_000_000_001
    name: str = "Ada"
    manage_guild: bool = False
    guild_id: int | None = GUILD_ID
    command_name: str | None = None
    custom_id: str | None = None
    calls: list[Sent] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.user = StandInUser(self.user_id, self.name)
        self.permissions = discord.Permissions(manage_guild=self.manage_guild)
        self.response = StandInResponse(self.calls)
        self.followup = StandInFollowup(self.calls, self.response)
        self.command = StandInCommand(self.command_name) if self.command_name else None
        self.channel_id = CHANNEL_ID
        if self.custom_id is not None:
            self.type = discord.InteractionType.component
            self.data: dict[str, Any] | None = {"custom_id": self.custom_id, "component_type": 2}
        else:
            self.type = discord.InteractionType.application_command
            self.data = None

    async def edit_original_response(self, **kwargs: Any) -> None:
        assert self.response.is_done(), "editing a response that was never sent"
        self.calls.append(Sent("edit_original_response", kwargs))

    def methods(self) -> list[str]:
        return [call.method for call in self.calls]

    def last(self) -> Sent:
        assert self.calls, "the bot sent nothing"
        return self.calls[-1]

    def everything_sent(self) -> str:
        return "\n".join(call.text() for call in self.calls)

    @property
    def workspace_id(self) -> str:
        return f"discord:{self.guild_id}"


def member(**kwargs: Any) -> Any:
    """A stand-in interaction from a member without Manage Server (typed Any for callbacks)."""
    return StandInInteraction(**kwargs)


def manager(**kwargs: Any) -> Any:
    """A stand-in interaction from a member with Manage Server."""
    kwargs = {"name": "Grace", "user_id": 5_000_000_000_000_000_002, **kwargs}
    return StandInInteraction(manage_guild=True, **kwargs)
