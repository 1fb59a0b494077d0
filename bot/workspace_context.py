"""One command in a workspace: its stored key, its read policy, and what the answer taught us
about the key (kept as `last verified` / `last error`, which `status` shows)."""

from __future__ import annotations

import logging
from datetime import datetime

from bot.command_spec import NO_SERVICES, Caller, CommandContext, CommandServices
from bot.core import Answer
from bot.deadline import Deadline
from bot.registry import COMMANDS
from bot.store.workspaces import WorkspaceStore
from bot.workspaces import SourceFor, workspace_source

log = logging.getLogger(__name__)

# What `status` says after Venice refused the stored key; short sentences, never the key.
KEY_ERRORS = {
    "BadKey": "Venice rejected the key (revoked, mistyped or expired).",
    "AdminKeyRequired": "Venice says this is an inference key; billing needs an admin key.",
    "PaymentRequired": "No key reached Venice.",
}


async def workspace_context(
    store: WorkspaceStore,
    workspace_id: str,
    caller: Caller | None,
    source_for: SourceFor,
    *,
    now: datetime,
    deadline: Deadline,
    channel_id: str | None = None,
    services: CommandServices = NO_SERVICES,
) -> CommandContext:
    """The context of one command in WORKSPACE_ID, with its stored key and read policy, the
    channel it was typed in, and SERVICES (the digest service, the workspace's time zone)."""
    # One query, or none within a few seconds of the last (see WorkspaceStore.command_state).
    state = await store.command_state(workspace_id)
    source = workspace_source(state, workspace_id, source_for)
    return CommandContext(
        now=now,
        deadline=deadline,
        source=source,
        workspace_id=workspace_id,
        caller=caller,
        read_policy=state.read_policy,
        keys=store,
        channel_id=channel_id,
        services=services,
        commands=COMMANDS,
    )


async def record_outcome(
    store: WorkspaceStore, workspace_id: str, reply: Answer, *, now: datetime
) -> None:
    """Keep what the answer proved about the key: it worked (as of when), or Venice refused it."""
    card = reply.card
    if reply.outcome == "answered" and card.kind == "report" and card.footer.as_of is not None:
        # As of the fetch, not now: an answer served from the cache proves the key only then.
        await store.record_check(workspace_id, at=card.footer.as_of, error=None)
    elif reply.outcome == "failed" and (error := KEY_ERRORS.get(str(card.data.get("error")))):
        await store.record_check(workspace_id, at=now, error=error)
