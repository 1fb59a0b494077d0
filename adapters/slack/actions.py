"""The buttons under a private reply: 7d / 30d / 90d re-run it in place; Share posts it visibly;
Share chart uploads its chart into the channel (both say so on the button, and both re-run the
command as the clicker, so the workspace's read policy applies). A card's own action buttons
(`venice_run_N`, an alert's Snooze / Ack / Balance) run their command as the clicker and answer
them alone, leaving the card where it is. And what every button listener shares: ack at once,
then answer the clicker (`on_click`)."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.block_json import context
from adapters.slack.deps import SlackDeps, team_of
from adapters.slack.escape import escape_mrkdwn
from adapters.slack.messages import (
    ACTION_CHART,
    ACTION_PERIOD_PREFIX,
    ACTION_SHARE,
    reply_message,
)
from adapters.slack.post_errors import BOT_NAME, error_code
from adapters.slack.render import ACTION_RUN_PREFIX
from adapters.slack.replies import message_args, notice
from bot.charts import render_chart_async
from bot.command_spec import Caller
from bot.command_text import parse_request
from bot.core import Answer
from bot.followups import chartable, shareable

log = logging.getLogger(__name__)

MAX_MESSAGE_BLOCKS = 50

Ack = Callable[..., Awaitable[Any]]
Respond = Callable[..., Awaitable[Any]]
Payload = dict[str, Any]
Listener = Callable[..., Awaitable[None]]


@dataclass(frozen=True)
class Click:
    """A button click as Bolt hands it over: its payload, and the way to answer the clicker."""

    respond: Respond
    body: Payload
    action: Payload
    client: AsyncWebClient
    context: Payload

    @property
    def channel_id(self) -> str | None:
        """The channel the clicked message is in."""
        channel = self.body.get("channel") or {}
        container = self.body.get("container") or {}
        found = channel.get("id") or container.get("channel_id")
        return str(found) if found else None

    @property
    def value(self) -> str:
        """The button's value (a period button's command text)."""
        return str(self.action.get("value") or "")

    async def ask(
        self, deps: SlackDeps, text: str, *, confirmed: bool = False
    ) -> tuple[Answer, Caller]:
        """TEXT (a button's value) answered as the clicker, in their workspace, as of now; and
        the clicker. CONFIRMED: the button answered the command's own question."""
        team = team_of(self.context, self.body)
        user = self.body.get("user") or {}
        name = str(user.get("name") or user.get("username") or "")
        caller = await deps.caller(self.client, team, str(user.get("id")), name)
        request = parse_request(text, datetime.now(UTC).date(), confirmed=confirmed)
        return await deps.ask(request, team, caller), caller

    async def answer_privately(self, answer: Answer, text: str, *, replace: bool) -> None:
        """Show ANSWER to the clicker only: in place of the clicked message, or as a new one."""
        message = message_args(reply_message(answer, text, private=True))
        await self.respond(replace_original=replace, response_type="ephemeral", **message)


def on_click(
    deps: SlackDeps, work: Callable[[SlackDeps, Click], Coroutine[Any, Any, None]], name: str
) -> Listener:
    """A button listener that acks at once and runs WORK on the click in the background."""

    async def listener(
        ack: Ack,
        respond: Respond,
        body: Payload,
        action: Payload,
        client: AsyncWebClient,
        context: Payload,
    ) -> None:
        await ack()
        if not answerable(context, name):
            return
        deps.spawn(work(deps, Click(respond, body, action, client, context)), name)

    return listener


def answerable(context: Payload, name: str) -> bool:
    """Whether a click can be answered: a button on a message comes with the response_url the
    answer goes to (Slack always sends one; a payload without it is only logged)."""
    if context.get("response_url"):
        return True
    log.warning("%s: the click came without a response_url; nothing to answer", name)
    return False


def register(app: AsyncApp, deps: SlackDeps) -> None:
    """Listen for the period buttons, Share, Share chart and a card's action buttons on APP
    (ack at once, answer in the background)."""
    app.action(re.compile("^" + re.escape(ACTION_PERIOD_PREFIX)))(
        on_click(deps, _period, "period button")
    )
    # Only the ids the renderer writes (`venice_run_0` ...): any other suffix is no button of ours.
    app.action(re.compile("^" + re.escape(ACTION_RUN_PREFIX) + r"[0-9]{1,4}\Z"))(
        on_click(deps, _run, "card button")
    )
    app.action(ACTION_SHARE)(on_click(deps, _share, "share button"))
    app.action(ACTION_CHART)(on_click(deps, _chart, "chart button"))


async def _period(deps: SlackDeps, click: Click) -> None:
    """Re-run the button's command text and replace the private reply with it."""
    answer, _ = await click.ask(deps, click.value)
    await click.answer_privately(answer, click.value, replace=True)


async def _run(deps: SlackDeps, click: Click) -> None:
    """Run the button's command as the clicker (the core checks their rights) and answer them
    alone in a new private message: the card it is under (an alert in the channel) stays."""
    answer, _ = await click.ask(deps, click.value)
    await click.answer_privately(answer, click.value, replace=False)


async def _share(deps: SlackDeps, click: Click) -> None:
    """Post the reply visibly, re-run as the clicker; privately if it may not be shared now."""
    text = click.value
    # Re-run as the clicker: the channel sees what they may see, as of now.
    answer, caller = await click.ask(deps, text)
    if not shareable(answer):
        # No longer shareable (access changed, Venice failed): say so to the clicker only.
        await click.answer_privately(answer, text, replace=False)
        return
    shared = message_args(reply_message(answer, text, private=False))
    shared["blocks"] = _with_sharer(shared.get("blocks", []), caller.user_id)
    # The reply is ephemeral: post the card as a new visible message through the response_url
    # (works even where the bot is not a member), then remove the private one.
    await click.respond(replace_original=False, response_type="in_channel", **shared)
    await click.respond(delete_original=True)


async def _chart(deps: SlackDeps, click: Click) -> None:
    """Upload the reply's chart into the channel, re-run as the clicker so that the read policy
    applies (Slack cannot show an uploaded image to one person only; the button says "Share
    chart"); privately what went wrong instead."""
    text = click.value
    answer, caller = await click.ask(deps, text)
    channel = click.channel_id
    chart = answer.card.chart
    if not chartable(answer) or chart is None or channel is None:
        await click.answer_privately(answer, text, replace=False)
        return
    image = await render_chart_async(chart)
    title = escape_mrkdwn(chart.title)
    try:
        await click.client.files_upload_v2(
            channel=channel,
            file=image.png,
            filename=image.filename,
            title=chart.title,
            alt_txt=image.alt_text,
            initial_comment=f"<@{caller.user_id}> shared this chart: {title}",
        )
    except SlackApiError as error:
        code = error_code(error)
        log.info("chart button: upload refused (%s)", code)
        await click.respond(
            replace_original=False, response_type="ephemeral", **_chart_refused(code)
        )


def _chart_refused(code: str) -> dict[str, Any]:
    """What the clicker reads when Slack refused the upload."""
    if code in ("not_in_channel", "channel_not_found"):
        return notice(f"To post charts here, invite {BOT_NAME} first (/invite {BOT_NAME}).")
    return notice(f"Slack did not take the chart ({code}). Try again in a minute.")


def _with_sharer(blocks: list[dict[str, Any]], user_id: str) -> list[dict[str, Any]]:
    """BLOCKS with a last line naming who shared it, when Slack's 50 blocks allow."""
    if len(blocks) >= MAX_MESSAGE_BLOCKS:
        return blocks
    return [*blocks, context([f"Shared by <@{user_id}>"])]
