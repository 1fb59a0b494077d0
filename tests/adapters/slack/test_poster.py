"""SlackPoster against the fake Slack Web API: the card as a visible message marked with its
delivery (message metadata), the chart uploaded under it (files_upload_v2) with the delivery's
token in its name, both found again in the channel's history, a channel that refuses the chart
joined or reported, one message a second per channel, Retry-After, channels the bot cannot post
to, admins told in DMs, and rotated OAuth tokens refreshed once before posting."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.slack.poster import EVENT_TYPE, SlackPoster, chart_filename
from adapters.slack.render import render_card
from bot.ports import CannotLookBack, ChannelUnavailable, ChartRefused, Found, PostFailed
from bot.settings import Settings
from tests.adapters.post_samples import ALT_TEXT, chart_png, digest_card, digest_post
from tests.adapters.slack.fake_slack import UPLOAD_METHOD, Call, FakeSlack
from tests.adapters.slack.installs import (
    BASIC_AUTH_DEPRECATED,
    Installed,
    multi_workspace_settings,
    running_install,
)
from tests.adapters.slack.served import BOT_TOKEN
from tests.adapters.slack.test_oauth_token_rotation import RotatingSlack

WORKSPACE = "slack:T0FAKE"
DELIVERY = "digest:slack:T0FAKE:C0DIGEST:2026-11-30"
LOOK = timedelta(minutes=2)
LATER = datetime.now(UTC) + timedelta(hours=1)


def single_workspace(fake: FakeSlack) -> Settings:
    return Settings(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL=fake.api_url)


@pytest.fixture
async def poster(fake_slack: FakeSlack) -> AsyncIterator[SlackPoster]:
    # Single-workspace mode needs no database: the store is never opened.
    made = SlackPoster(single_workspace(fake_slack), opened=None)  # type: ignore[arg-type]
    try:
        yield made
    finally:
        await made.aclose()


async def test_the_card_is_posted_visibly_and_the_chart_uploaded_under_it(
    poster: SlackPoster, fake_slack: FakeSlack
):
    post = digest_post(delivery=DELIVERY)
    posted = await poster.post(WORKSPACE, "C0DIGEST", post)
    assert fake_slack.calls_to("files.getUploadURLExternal") == []  # the chart comes next
    file_id = await poster.post_chart(WORKSPACE, "C0DIGEST", post, message_id=posted.message_id)
    ts = posted.message_id

    (message,) = fake_slack.calls_to("chat.postMessage")
    assert message.params["metadata"] == {
        "event_type": EVENT_TYPE,
        "event_payload": {"delivery": DELIVERY},
    }
    expected = render_card(digest_card())
    assert message.token == BOT_TOKEN
    assert message.params["channel"] == "C0DIGEST"
    assert message.params["text"] == expected["text"]
    assert message.params["blocks"] == expected["blocks"]
    assert message.params["unfurl_links"] is False
    assert message.params["unfurl_media"] is False
    assert "actions" not in {block["type"] for block in message.params["blocks"]}  # no buttons
    assert float(ts) > 0  # the message's ts, as Slack answered it
    (upload,) = fake_slack.calls_to(UPLOAD_METHOD)
    assert upload.params["size"] == len(chart_png())
    (shared,) = fake_slack.shared_files()
    assert shared.channel == "C0DIGEST"
    assert shared.data == chart_png()
    assert shared.alt_txt == ALT_TEXT
    assert shared.file_id == file_id
    assert shared.title == "venice-spend.png"
    assert shared.filename == chart_filename(post.chart, DELIVERY)  # type: ignore[arg-type]
    assert shared.filename.startswith("venice-spend-")
    assert shared.filename.endswith(".png")
    # The upload counts as a message in the channel's pace.
    assert shared.at - message.at >= 0.95
    assert posted.chart_attached is False


async def test_a_one_off_post_carries_no_metadata_and_its_chart_keeps_its_name(
    poster: SlackPoster, fake_slack: FakeSlack
):
    post = digest_post()
    posted = await poster.post(WORKSPACE, "C0DIGEST", post)
    await poster.post_chart(WORKSPACE, "C0DIGEST", post, message_id=posted.message_id)
    (message,) = fake_slack.calls_to("chat.postMessage")
    assert "metadata" not in message.params
    (shared,) = fake_slack.shared_files()
    assert shared.filename == "venice-spend.png"


async def test_a_delivery_is_found_again_in_the_channel_with_its_chart(
    poster: SlackPoster, fake_slack: FakeSlack
):
    since = datetime.now(UTC) - timedelta(minutes=2)
    until = since + timedelta(minutes=5)
    post = digest_post(delivery=DELIVERY)
    other = digest_post(delivery=DELIVERY.replace("2026-11-30", "2026-11-29"))
    await poster.post(WORKSPACE, "C0DIGEST", other)
    posted = await poster.post(WORKSPACE, "C0DIGEST", post)
    assert await poster.find(WORKSPACE, "C0DIGEST", DELIVERY, since=since, until=until) == Found(
        posted.message_id
    )  # the message, no chart yet
    file_id = await poster.post_chart(WORKSPACE, "C0DIGEST", post, message_id=posted.message_id)

    found = await poster.find(WORKSPACE, "C0DIGEST", DELIVERY, since=since, until=until)
    assert found == Found(posted.message_id, chart_id=file_id)
    (read, *_) = fake_slack.calls_to("conversations.history")
    assert read.params["include_all_metadata"] in (True, "true", "1", 1)
    assert float(read.params["oldest"]) == pytest.approx(since.timestamp(), abs=1e-5)
    later = datetime.now(UTC) + timedelta(minutes=1)
    assert await poster.find(WORKSPACE, "C0DIGEST", DELIVERY, since=later, until=until) is None
    earlier = since - timedelta(minutes=5)
    assert await poster.find(WORKSPACE, "C0DIGEST", DELIVERY, since=earlier, until=since) is None
    assert await poster.find(WORKSPACE, "C0OTHER", DELIVERY, since=since, until=until) is None


def chatter(fake: FakeSlack, channel: str, count: int, start: float) -> None:
    """COUNT messages from people into CHANNEL, a millisecond apart from START."""
    for n in range(count):
        fake.channels.setdefault(channel, []).append(
            {"type": "message", "user": "U1", "text": f"{n}", "ts": f"{start + n / 1000:.6f}"}
        )


async def test_a_busy_window_is_read_page_by_page(poster: SlackPoster, fake_slack: FakeSlack):
    since = datetime.now(UTC) - timedelta(minutes=2)
    until = since + timedelta(minutes=5)
    posted = await poster.post(WORKSPACE, "C1", digest_post(chart=False, delivery=DELIVERY))
    chatter(fake_slack, "C1", 40, time.time() + 1)  # the team kept talking after the digest
    chatter(fake_slack, "C1", 500, until.timestamp() + 1)  # and long after the window: unread
    fake_slack.history_page_cap = 15  # as Slack pages history for some apps
    found = await poster.find(WORKSPACE, "C1", DELIVERY, since=since, until=until)
    assert found is not None
    assert found.message_id == posted.message_id
    assert len(fake_slack.calls_to("conversations.history")) == 3  # 41 messages, 15 a page
    # A window too busy to read through cannot rule a post out: it says so.
    chatter(fake_slack, "C1", 100, time.time() + 2)
    with pytest.raises(CannotLookBack, match="more than 75 messages"):
        await poster.find(WORKSPACE, "C1", DELIVERY, since=since, until=until)


async def test_an_install_without_the_history_scopes_cannot_look_back(
    poster: SlackPoster, fake_slack: FakeSlack
):
    fake_slack.scopes = {"commands", "chat:write", "chat:write.public", "files:write"}
    with pytest.raises(CannotLookBack, match="channels:history"):
        await poster.find(WORKSPACE, "C1", DELIVERY, since=datetime.now(UTC), until=LATER)


async def test_a_public_channel_the_bot_is_not_in_is_joined_to_read_and_to_upload(
    poster: SlackPoster, fake_slack: FakeSlack
):
    fake_slack.not_member.add("C0PUBLIC")
    post = digest_post(delivery=DELIVERY)
    posted = await poster.post(WORKSPACE, "C0PUBLIC", post)  # chat:write.public lets it in
    file_id = await poster.post_chart(WORKSPACE, "C0PUBLIC", post, message_id=posted.message_id)

    (joined,) = fake_slack.calls_to("conversations.join")
    assert joined.params["channel"] == "C0PUBLIC"
    (shared,) = fake_slack.shared_files()
    assert (shared.channel, shared.file_id) == ("C0PUBLIC", file_id)
    fake_slack.not_member.add("C0PUBLIC")  # removed again: reading joins too
    found = await poster.find(
        WORKSPACE, "C0PUBLIC", DELIVERY, since=datetime.now(UTC) - LOOK, until=LATER
    )
    assert found == Found(posted.message_id, chart_id=file_id)


@pytest.mark.parametrize(
    ("join", "advice", "here"),
    [
        # A channel Slack will not let the bot join (a Slack Connect channel, say).
        (
            {"ok": False, "error": "method_not_supported_for_channel_type"},
            "Invite @Venice to <#C0SHY> (`/invite @Venice`)",
            "Invite @Venice to this ",
        ),
        # An install from before channels:join.
        ({"ok": False, "error": "missing_scope"}, "may not join public channels", "reinstall"),
    ],
)
async def test_a_channel_that_will_not_take_the_chart_refuses_it_with_what_to_do(
    poster: SlackPoster, fake_slack: FakeSlack, join: dict[str, Any], advice: str, here: str
):
    fake_slack.not_member.add("C0SHY")
    fake_slack.on("conversations.join", lambda call: join)
    post = digest_post(delivery=DELIVERY)
    posted = await poster.post(WORKSPACE, "C0SHY", post)
    with pytest.raises(ChartRefused) as refused:
        await poster.post_chart(WORKSPACE, "C0SHY", post, message_id=posted.message_id)
    assert advice in refused.value.message
    assert refused.value.here is not None
    assert here in refused.value.here
    assert "<#" not in refused.value.here
    assert fake_slack.shared_files() == []


async def test_a_private_channel_the_bot_was_not_invited_to_is_unavailable(
    poster: SlackPoster, fake_slack: FakeSlack
):
    fake_slack.private.add("C0SECRET")
    with pytest.raises(ChannelUnavailable) as raised:
        await poster.post(WORKSPACE, "C0SECRET", digest_post())
    assert "Invite @Venice to <#C0SECRET>" in raised.value.message


async def test_one_channel_gets_a_message_a_second_and_channels_go_in_parallel(
    poster: SlackPoster, fake_slack: FakeSlack
):
    plain = digest_post(chart=False)
    started = time.monotonic()
    await asyncio.gather(
        *(poster.post(WORKSPACE, channel, plain) for channel in ("C1", "C1", "C2", "C2"))
    )
    elapsed = time.monotonic() - started

    by_channel: dict[str, list[float]] = {}
    for call in fake_slack.calls_to("chat.postMessage"):
        by_channel.setdefault(call.params["channel"], []).append(call.at)
    for times in by_channel.values():
        assert len(times) == 2
        assert times[1] - times[0] >= 0.99
    # C1 and C2 did not wait for each other: their first messages went out together.
    assert abs(by_channel["C1"][0] - by_channel["C2"][0]) < 0.5
    assert elapsed < 1.9


async def test_a_429_is_retried_after_retry_after(poster: SlackPoster, fake_slack: FakeSlack):
    answers = iter([(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})])
    fake_slack.on("chat.postMessage", lambda call: next(answers, posted(call)))

    answered = await poster.post(WORKSPACE, "C1", digest_post(chart=False))

    first, second = fake_slack.calls_to("chat.postMessage")
    assert second.at - first.at >= 1.0
    assert answered.message_id


async def test_rate_limited_after_every_retry_fails_with_retry_after(
    poster: SlackPoster, fake_slack: FakeSlack
):
    calls = 0

    def limited(call: Call) -> Any:
        nonlocal calls
        calls += 1
        wait = "0" if calls <= 3 else "7"  # the client retries 3 times; the last one counts
        return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": wait}

    fake_slack.on("chat.postMessage", limited)
    with pytest.raises(PostFailed) as raised:
        await poster.post(WORKSPACE, "C1", digest_post())
    assert not isinstance(raised.value, ChannelUnavailable)
    assert raised.value.retry_after == 7.0
    assert raised.value.uncertain is False  # Slack took nothing: no need to look for it
    assert calls == 4
    assert fake_slack.calls_to("files.getUploadURLExternal") == []


@pytest.mark.parametrize(
    ("error", "advice"),
    [
        ("not_in_channel", "Invite @Venice to <#C0GONE> (/invite @Venice)"),
        ("channel_not_found", "Invite @Venice to <#C0GONE>"),
        ("is_archived", "<#C0GONE> is archived"),
        ("token_revoked", "reinstall it"),
    ],
)
async def test_a_channel_the_bot_cannot_post_to_is_unavailable(
    poster: SlackPoster, fake_slack: FakeSlack, error: str, advice: str
):
    fake_slack.on("chat.postMessage", lambda call: {"ok": False, "error": error})
    with pytest.raises(ChannelUnavailable) as raised:
        await poster.post(WORKSPACE, "C0GONE", digest_post())
    assert advice in raised.value.message
    assert "/venice digest on" in raised.value.message
    assert BOT_TOKEN not in raised.value.message
    # For `digest now`, said in that very channel: no mention of it, nothing about schedules.
    assert raised.value.here is not None
    assert "<#" not in raised.value.here
    assert "digest on" not in raised.value.here


async def test_other_errors_may_be_retried(poster: SlackPoster, fake_slack: FakeSlack):
    fake_slack.on("chat.postMessage", lambda call: {"ok": False, "error": "internal_error"})
    with pytest.raises(PostFailed) as raised:
        await poster.post(WORKSPACE, "C1", digest_post())
    assert not isinstance(raised.value, ChannelUnavailable)
    assert "internal_error" in raised.value.message


@pytest.mark.parametrize(
    ("answer", "uncertain"),
    [
        ({"ok": False, "error": "internal_error"}, True),  # Slack: part of it may have succeeded
        ({"ok": False, "error": "fatal_error"}, True),
        ((503, {"ok": False, "error": "service_unavailable"}), True),
        ({"ok": False, "error": "invalid_blocks"}, False),  # refused outright: nothing went in
        ({"ok": False, "error": "msg_too_long"}, False),
    ],
)
async def test_an_error_after_which_the_post_may_be_in_is_uncertain(
    poster: SlackPoster, fake_slack: FakeSlack, answer: Any, uncertain: bool
):
    fake_slack.on("chat.postMessage", lambda call: answer)
    with pytest.raises(PostFailed) as raised:
        await poster.post(WORKSPACE, "C1", digest_post(delivery=DELIVERY))
    assert not isinstance(raised.value, ChannelUnavailable)
    assert raised.value.uncertain is uncertain


async def test_a_join_slack_refuses_for_now_is_tried_again_not_reported(
    poster: SlackPoster, fake_slack: FakeSlack
):
    fake_slack.not_member.add("C0BUSY")
    limited = (429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "0"})
    fake_slack.on("conversations.join", lambda call: limited)
    post = digest_post(delivery=DELIVERY)
    posted = await poster.post(WORKSPACE, "C0BUSY", post)
    with pytest.raises(PostFailed) as failed:
        await poster.post_chart(WORKSPACE, "C0BUSY", post, message_id=posted.message_id)
    assert not isinstance(failed.value, ChartRefused)  # no "/invite" to the admin for a 429
    with pytest.raises(PostFailed) as reading:
        await poster.find(
            WORKSPACE, "C0BUSY", DELIVERY, since=datetime.now(UTC) - LOOK, until=LATER
        )
    assert not isinstance(reading.value, CannotLookBack)  # never "cannot say": try again


async def test_a_chart_upload_slack_fails_for_now_may_be_retried(
    poster: SlackPoster, fake_slack: FakeSlack
):
    fake_slack.on(
        "files.getUploadURLExternal", lambda call: {"ok": False, "error": "internal_error"}
    )
    post = digest_post(delivery=DELIVERY)
    posted = await poster.post(WORKSPACE, "C1", post)
    with pytest.raises(PostFailed) as failed:
        await poster.post_chart(WORKSPACE, "C1", post, message_id=posted.message_id)
    assert not isinstance(failed.value, ChartRefused)
    assert "internal_error" in failed.value.message


async def test_admins_are_told_in_their_dm_and_failures_are_only_logged(
    poster: SlackPoster, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
):
    def dm(call: Call) -> Any:
        if call.params["channel"] == "U0LEFT":
            return {"ok": False, "error": "user_not_found"}
        return posted(call)

    fake_slack.on("chat.postMessage", dm)
    await poster.tell_admins(WORKSPACE, ["U0ADMIN", "U0LEFT", "U0OWNER"], "The digest stopped.")
    sent = fake_slack.calls_to("chat.postMessage")
    assert [call.params["channel"] for call in sent] == ["U0ADMIN", "U0LEFT", "U0OWNER"]
    assert {call.params["text"] for call in sent} == {"The digest stopped."}
    assert "user_not_found" in caplog.text
    assert BOT_TOKEN not in caplog.text


def posted(call: Call) -> dict[str, Any]:
    return {"ok": True, "channel": call.params.get("channel"), "ts": f"{time.time():.6f}"}


# -- multi-workspace: the installation's token, refreshed first when it is about to expire ---


@pytest.fixture(params=["sqlite", "postgresql"])
async def installed(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Installed]:
    async with running_install(request.param, tmp_path, request) as running:
        yield running


@BASIC_AUTH_DEPRECATED
async def test_an_expiring_installation_token_is_refreshed_once_then_used(installed: Installed):
    slack = RotatingSlack(installed)  # installs hand out tokens that expire in a minute
    await installed.install("T1")
    first_token = installed.tokens["T1"]
    installed.slack.clear()
    poster = SlackPoster(multi_workspace_settings(installed.slack.api_url), installed.opened)
    try:
        # Two channels at once: both wait for the one refresh, under the team's lock.
        first, _ = await asyncio.gather(
            poster.post("slack:T1", "C1", digest_post()),
            poster.post("slack:T1", "C2", digest_post(chart=False)),
        )
        await poster.post_chart("slack:T1", "C1", digest_post(), message_id=first.message_id)
    finally:
        await poster.aclose()

    assert slack.refreshes == 1
    fresh = installed.tokens["T1"]
    assert fresh != first_token
    messages = installed.slack.calls_to("chat.postMessage")
    assert sorted(call.params["channel"] for call in messages) == ["C1", "C2"]
    assert {call.token for call in messages} == {fresh}
    (shared,) = installed.slack.shared_files()
    assert shared.channel == "C1"
    assert shared.data == chart_png()
    assert first_token not in installed.slack.all_text()


@BASIC_AUTH_DEPRECATED
async def test_a_team_without_an_installation_is_unavailable(installed: Installed):
    poster = SlackPoster(multi_workspace_settings(installed.slack.api_url), installed.opened)
    try:
        with pytest.raises(ChannelUnavailable) as raised:
            await poster.post("slack:T0NONE", "C1", digest_post())
    finally:
        await poster.aclose()
    assert "not installed" in raised.value.message
    assert installed.slack.calls_to("chat.postMessage") == []


async def test_a_reply_goes_into_the_thread_of_the_message_it_follows_and_is_found(
    poster: SlackPoster, fake_slack: FakeSlack
):
    since = datetime.now(UTC) - timedelta(minutes=2)
    alert = await poster.post(WORKSPACE, "C0ALERTS", digest_post(chart=False, delivery="alert:1"))
    reply = replace(
        digest_post(chart=False, delivery="alert:1:recovered"), reply_to=alert.message_id
    )
    posted = await poster.post(WORKSPACE, "C0ALERTS", reply)
    first, second = fake_slack.calls_to("chat.postMessage")
    assert "thread_ts" not in first.params
    assert second.params["thread_ts"] == alert.message_id
    assert second.params["reply_broadcast"] in (True, "true", "1", 1)  # seen in the channel too
    found = await poster.find(
        WORKSPACE, "C0ALERTS", "alert:1:recovered", since=since, until=since + timedelta(minutes=5)
    )
    assert found == Found(posted.message_id)
