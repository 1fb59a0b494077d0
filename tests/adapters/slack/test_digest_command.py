"""`/venice digest ...` in a Slack channel, over real HTTP: the schedule lands in the channel the
command was typed in, at the caller's Slack time zone (users.info `tz`), and App Home lists it;
`serve` posts a due digest through its scheduler (unless DIGEST_SCHEDULER=off)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.schedule import DigestTime
from bot.settings import Settings
from bot.startup import open_database
from bot.store.digests import DigestStore
from tests.adapters.slack.fake_slack import TEAM_ID, FakeSlack
from tests.adapters.slack.served import (
    ADMIN,
    CHANNEL,
    MEMBER,
    ServedBot,
    admin_key,
    bot_settings,
    message_text,
    seed_key,
)
from tests.adapters.slack.test_commands import final_reply
from tests.adapters.slack.test_home import open_home, published, texts
from venice_simulator.server import RunningSimulator


def say(bot: ServedBot, text: str, user: str = ADMIN) -> str:
    command = bot.command(text, user=user)
    assert command.seconds < 3
    assert command.ack["response_type"] == "ephemeral"
    return message_text(final_reply(bot, command.ack, command.response_id))


def test_digest_on_schedules_this_channel_in_the_callers_zone_and_home_lists_it(
    served: ServedBot, fake_slack: FakeSlack
):
    fake_slack.admins.add(ADMIN)
    reply = say(served, "digest on 08:00 mon-fri")
    # The fake's users.info says the caller lives in Europe/Paris.
    assert "Daily digest on in this channel: 08:00 Europe/Paris, Mon–Fri" in reply
    assert "Europe/Paris is your own time zone" in reply

    status = say(served, "digest", user=MEMBER)
    assert "Daily digest here: 08:00 Europe/Paris, Mon–Fri" in status

    open_home(served, MEMBER)
    shown = texts(published(fake_slack, MEMBER))
    assert f"<#{CHANNEL}> 08:00 Europe/Paris, Mon–Fri" in shown
    assert "coming soon" not in shown


def test_members_cannot_turn_the_digest_off_and_home_says_when_there_is_none(
    served: ServedBot, fake_slack: FakeSlack
):
    refused = say(served, "digest off", user=MEMBER)
    assert "Only workspace admins can turn the daily digest on or off" in refused

    open_home(served, MEMBER)
    assert "/venice digest on" in texts(published(fake_slack, MEMBER))


def test_digest_now_joins_a_public_channel_for_its_chart_and_says_what_went_in(
    served: ServedBot, fake_slack: FakeSlack
):
    fake_slack.admins.add(ADMIN)
    seed_key(served.settings, admin_key())
    fake_slack.not_member.add(CHANNEL)  # /venice works anywhere; the bot never joined
    reply = say(served, "digest now")
    assert "Posted today's digest in this channel with its chart." in reply
    [joined] = fake_slack.calls_to("conversations.join")
    assert joined.params["channel"] == CHANNEL
    [shared] = fake_slack.shared_files()
    assert shared.channel == CHANNEL


def test_digest_now_says_when_the_chart_or_the_message_did_not_go_in(
    served: ServedBot, fake_slack: FakeSlack
):
    fake_slack.admins.add(ADMIN)
    seed_key(served.settings, admin_key())
    fake_slack.not_member.add(CHANNEL)
    fake_slack.on("conversations.join", lambda call: {"ok": False, "error": "missing_scope"})
    without_chart = say(served, "digest now")
    assert "Digest posted without its chart" in without_chart
    assert "Invite @Venice to this channel (`/invite @Venice`)" in without_chart
    assert fake_slack.shared_files() == []

    fake_slack.private.add(CHANNEL)
    refused = say(served, "digest now")
    assert "Digest not posted" in refused
    assert "I could not post the digest in this channel. Invite @Venice to this channel" in refused
    assert "&lt;" not in refused
    assert "digest on" not in refused


def seed_schedule(settings: Settings, due: datetime) -> None:
    """A schedule of the fake team's #general, set an hour before DUE (before the bot starts)."""

    async def store() -> None:
        database = await open_database(settings)
        try:
            await DigestStore(database).upsert(
                f"slack:{TEAM_ID}", CHANNEL, DigestTime(due.time(), "UTC"), skip_empty=False,
                by="ada", by_id=ADMIN, now=due - timedelta(hours=1),
            )  # fmt: skip
        finally:
            await database.aclose()

    asyncio.run(store())


@pytest.mark.parametrize("scheduler", ["on", "off"])
def test_serve_posts_a_due_digest_unless_the_scheduler_is_off(
    tmp_path: Path, sim: RunningSimulator, fake_slack: FakeSlack, scheduler: str
):
    settings = bot_settings(tmp_path, sim.base_url, fake_slack, DIGEST_SCHEDULER=scheduler,
                            DIGEST_TICK_SECONDS=0.2)  # fmt: skip
    seed_key(settings, admin_key())
    due = (datetime.now(UTC) - timedelta(minutes=20)).replace(second=0, microsecond=0)
    seed_schedule(settings, due)
    bot = ServedBot(settings, fake_slack).start()
    try:
        if scheduler == "on":
            [post] = fake_slack.wait_for("chat.postMessage", timeout=20)
            assert post.params["channel"] == CHANNEL
        else:
            time.sleep(1)  # five ticks' worth
            assert fake_slack.calls_to("chat.postMessage") == []
    finally:
        assert bot.stop() == 0
    if scheduler == "on":
        time.sleep(0.5)
        assert len(fake_slack.calls_to("chat.postMessage")) == 1  # once, however many ticks
