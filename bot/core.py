"""The one entry point every adapter reaches: an Invocation in, a Card and an outcome out.

The command text was parsed at the door (bot.command_text.parse); a text that did not parse is
answered by `refused`, without running anything.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from bot.cards import Card
from bot.command_spec import CommandContext
from bot.error_cards import (
    failure_card,
    invalid_card,
    no_key_card,
    store_unavailable_card,
    unreadable_key_card,
)
from bot.errors import (
    CommandTextError,
    Forbidden,
    KeyUnreadable,
    NoVeniceKey,
    StoreUnavailable,
    VeniceError,
)
from bot.invocation import Invocation
from bot.permissions import forbidden_card, may_run

log = logging.getLogger(__name__)

# forbidden: the caller may not run that command here (CLI exit 1, like failed).
Outcome = Literal["answered", "invalid", "failed", "forbidden"]


@dataclass(frozen=True, slots=True)
class Answer:
    """What to show (`card`) and how it went: answered, invalid text, forbidden, or failed."""

    card: Card
    outcome: Outcome
    command: str | None = None
    # The parsed command, when the text parsed: adapters re-run it (period buttons, Share).
    invocation: Invocation | None = None
    # A billing report others may want to see (the command's `shareable`): Share is offered.
    shareable: bool = False


def refused(error: CommandTextError) -> Answer:
    """The answer to a command text that did not parse: what was wrong, and an example."""
    return Answer(invalid_card(error), "invalid")


async def answer(invocation: Invocation, ctx: CommandContext) -> Answer:
    """Run one parsed command. Never raises for anything a user or Venice can cause."""
    spec = ctx.commands[invocation.command]
    if not may_run(spec, ctx.caller, ctx.read_policy):
        return Answer(forbidden_card(spec), "forbidden", spec.name, invocation)
    try:
        card = await spec.handler(invocation, ctx)
    except CommandTextError as error:
        # A handler may refuse its arguments too (`help nonsense`).
        return Answer(invalid_card(error), "invalid", spec.name)
    except Forbidden as error:
        # A command may refuse one of its own actions to non-admins (`digest on`).
        card = forbidden_card(spec, action=error.action)
        return Answer(card, "forbidden", spec.name, invocation)
    except KeyUnreadable:
        return Answer(unreadable_key_card(), "failed", spec.name, invocation)
    except NoVeniceKey:
        return Answer(no_key_card(ctx.workspace_id), "failed", spec.name, invocation)
    except VeniceError as error:
        log.info("venice error on %s: %s (%s)", spec.name, type(error).__name__, error.status)
        card = failure_card(error, invocation, ctx.workspace_id)
        return Answer(card, "failed", spec.name, invocation)
    except StoreUnavailable as error:
        card = store_unavailable_card(writing=error.writing)
        return Answer(card, "failed", spec.name, invocation)
    except Exception as error:
        from bot.store.database import unreachable  # SQLAlchemy: only when something failed

        if not unreachable(error):
            raise
        # A store without the translation (digests): a change it was about to make did not
        # happen either.
        return Answer(store_unavailable_card(writing=True), "failed", spec.name, invocation)
    return Answer(card, "answered", spec.name, invocation, shareable=spec.shareable)


async def answer_store_unavailable(invocation: Invocation, ctx: CommandContext) -> Answer:
    """INVOCATION answered when the database does not answer and this process knows nothing of
    the workspace: `help` still answered; anything else says the database is unavailable (CTX:
    no workspace, no key)."""
    spec = ctx.commands[invocation.command]
    if spec.store == "none":
        return await answer(invocation, ctx)
    card = store_unavailable_card(writing=spec.store == "changes")
    return Answer(card, "failed", invocation.command, invocation)
