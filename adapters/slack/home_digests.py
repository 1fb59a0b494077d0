"""App Home's digest section: this workspace's daily digests, one line per channel."""

from __future__ import annotations

import logging
import re

from adapters.slack.block_json import Block, context, section
from adapters.slack.escape import escape_mrkdwn
from bot.digest.words import at_phrase, days_phrase, local_and_utc
from bot.startup import OpenedStore
from bot.store.digests import DigestSchedule, DigestStore

log = logging.getLogger(__name__)

MAX_LINES = 15  # a Home section holds 3,000 characters; each line is about 120
NONE_YET = (
    "*Daily digest:* none yet. An admin can type `/venice digest on` in a channel to get "
    "yesterday's spend there every morning (09:00 in their time zone)."
)
UNREADABLE = "*Daily digest:* the schedules could not be read just now."
_CHANNEL_ID = re.compile(r"^[A-Z0-9]{2,20}$")


async def digest_blocks(opened: OpenedStore, workspace_id: str) -> list[Block]:
    """One block listing WORKSPACE_ID's digest schedules (or saying there are none)."""
    try:
        schedules = await DigestStore(opened.database).list_schedules(workspace_id)
    except Exception as error:  # a Home tab without its digest lines beats no Home tab
        log.warning("App Home: digest schedules unreadable: %s", type(error).__name__)
        return [_context(UNREADABLE)]
    if not schedules:
        return [_context(NONE_YET)]
    lines = [schedule_line(schedule) for schedule in schedules[:MAX_LINES]]
    if len(schedules) > MAX_LINES:
        lines.append(f"… and {len(schedules) - MAX_LINES} more (`venice-bot digest list`).")
    text = "*Daily digests*\n" + "\n".join(lines)
    return [section(text)]


def schedule_line(schedule: DigestSchedule) -> str:
    """`• <#C0123> 09:00 Europe/Madrid, Mon–Fri · next Tue 1 Dec 09:00 (08:00 UTC)`."""
    when = schedule.when
    head = f"• {_channel(schedule.channel_id)} {at_phrase(when.at, when.time_zone)}, "
    head += days_phrase(when.weekdays)
    if not schedule.enabled:
        reason = escape_mrkdwn(schedule.disabled_reason or "turned off")
        return f"{head} · *disabled*: {reason}"
    skip = ", skipped without usage" if schedule.skip_empty else ""
    return f"{head}{skip} · next {local_and_utc(schedule.due_at, when.time_zone)}"


def _channel(channel_id: str) -> str:
    # A Slack channel id becomes a mention; anything else is shown as text, never as markup.
    if _CHANNEL_ID.fullmatch(channel_id):
        return f"<#{channel_id}>"
    return f"#{escape_mrkdwn(channel_id)}"


def _context(text: str) -> Block:
    return context([text])
