"""What a command handler receives and returns, and how commands are declared."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.cards import Card
from bot.commands.period import Period
from bot.deadline import Deadline
from bot.errors import NoVeniceKey
from bot.venice.source import BillingSource

Argument = Literal["period", "limit", "topic"]

DEFAULT_LIMIT = 10
MAX_LIMIT = 50


@dataclass(frozen=True, slots=True)
class Invocation:
    """A parsed command: its name and the arguments it was given (defaults filled in)."""

    command: str
    period: Period | None = None
    limit: int | None = None
    topic: str | None = None


@dataclass(frozen=True, slots=True)
class CommandContext:
    """Everything a handler may use. `now` is timezone-aware UTC; `source` is None with no key."""

    now: datetime
    deadline: Deadline
    source: BillingSource | None = None

    def billing(self) -> BillingSource:
        """The tenant's billing source, or NoVeniceKey when no key is configured."""
        if self.source is None:
            raise NoVeniceKey("No Venice key is configured.")
        return self.source


Handler = Callable[[Invocation, CommandContext], Awaitable[Card]]


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """One command, declared once: the parser, help, Slack and Discord all read this."""

    name: str
    summary: str
    usage: str
    examples: tuple[str, ...]
    arguments: tuple[Argument, ...]
    handler: Handler
    details: str = ""
