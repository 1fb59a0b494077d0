"""What every Slack listener shares: the process's Runtime and the directory of callers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.callers import CallerDirectory
from adapters.slack.replies import store_down
from bot.command_spec import Caller
from bot.core import Answer
from bot.errors import CommandTextError
from bot.invocation import Invocation
from bot.runtime import Runtime
from bot.startup import OpenedStore

log = logging.getLogger(__name__)

# How long work cancelled at shutdown gets to say so.
CANCELLED_SECONDS = 1.5
# What Slack's Web API, or a response_url, answers when it does not take a message.
SLACK_UNREACHABLE = (SlackApiError, SlackClientError, aiohttp.ClientError, OSError, TimeoutError)


def workspace_id(team_id: str) -> str:
    """The core's name for a Slack workspace: `slack:T0123ABCD`."""
    return f"slack:{team_id}"


def team_of(context: Mapping[str, Any], body: Mapping[str, Any]) -> str:
    """The workspace a request came from: Bolt's context first, then the payload's own fields."""
    team = context.get("team_id") or body.get("team_id")
    if not team:
        team_field = body.get("team")
        team = team_field.get("id") if isinstance(team_field, Mapping) else None
    if not team:
        user = body.get("user")
        team = user.get("team_id") if isinstance(user, Mapping) else None
    # Org-wide installs on Enterprise Grid may carry only the enterprise id.
    team = team or context.get("enterprise_id")
    if not team:
        raise ValueError("the Slack request names no team")
    return str(team)


@dataclass
class SlackDeps:
    """The Runtime (one per process) and who is who in each workspace (cached briefly)."""

    runtime: Runtime
    callers: CallerDirectory = field(default_factory=CallerDirectory)
    # Work still running after its ack (a respond() to come): shutdown waits for it.
    inflight: set[asyncio.Task[object]] = field(default_factory=set)

    def spawn(self, work: Coroutine[Any, Any, object], name: str) -> None:
        """Run WORK after the listener has returned (and Slack has its ack), tracked and logged.

        Listeners run inline (Bolt's process_before_response): the ack goes out when the
        listener returns, so whatever may take longer than the ack runs here instead.
        """
        task = asyncio.create_task(work, name=name)
        self.inflight.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[object]) -> None:
        self.inflight.discard(task)
        if task.cancelled() or task.exception() is None:
            return
        error = task.exception()
        if store_down(error):
            log.warning(
                "%s: the database is unavailable (%s)", task.get_name(), type(error).__name__
            )
        elif isinstance(error, SLACK_UNREACHABLE):
            # Slack (or its response_url) did not take the answer: one line, no traceback.
            log.warning("%s: Slack did not take the answer (%s)", task.get_name(), _said(error))
        else:
            log.error("%s failed: %s", task.get_name(), type(error).__name__, exc_info=error)

    async def drain(self, seconds: float) -> None:
        """Wait up to SECONDS for the listeners in flight to deliver their answers; then cancel
        the rest, giving each a moment to say so (a slow /venice says "ask again")."""
        pending = {task for task in self.inflight if not task.done()}
        if pending:
            _, late = await asyncio.wait(pending, timeout=seconds)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late, timeout=CANCELLED_SECONDS)

    async def caller(
        self, client: AsyncWebClient, team_id: str, user_id: str, name: str = ""
    ) -> Caller:
        """The Caller USER_ID of TEAM_ID, admin or not as Slack says (users.info, cached)."""
        return await self.callers.caller(client, team_id, user_id, name)

    async def ask(
        self,
        request: Invocation | CommandTextError,
        team_id: str,
        caller: Caller,
        *,
        channel_id: str | None = None,
    ) -> Answer:
        """Run one parsed command (bot.command_text.parse_request) in TEAM_ID's workspace as
        CALLER (typed in CHANNEL_ID)."""
        return await self.runtime.ask(
            request, workspace_id=workspace_id(team_id), caller=caller, channel_id=channel_id
        )

    async def opened(self) -> OpenedStore:
        """The workspace store (opened once per process)."""
        return await self.runtime.open_store()


def _said(error: BaseException) -> str:
    """Slack's error code (`channel_not_found`), or the error's class: never a URL or a body."""
    if isinstance(error, SlackApiError):
        return str(error.response.get("error") or "error")
    return type(error).__name__
