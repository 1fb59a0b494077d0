"""SlackPoster against the fake Slack Web API: the card as a visible message, the chart uploaded
under it (files_upload_v2), one message a second per channel, Retry-After, channels the bot
cannot post to, admins told in DMs, and rotated OAuth tokens refreshed once before posting."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from adapters.slack.poster import SlackPoster
from adapters.slack.render import render_card
from bot.ports import ChannelUnavailable, PostFailed
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
    ts = await poster.post(WORKSPACE, "C0DIGEST", digest_post())

    (message,) = fake_slack.calls_to("chat.postMessage")
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
    assert shared.filename == "venice-spend.png"
    # The upload counts as a message in the channel's pace.
    assert shared.at - message.at >= 0.95


async def test_a_card_without_a_chart_uploads_nothing(poster: SlackPoster, fake_slack: FakeSlack):
    await poster.post(WORKSPACE, "C0DIGEST", digest_post(chart=False))
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    assert fake_slack.calls_to("files.getUploadURLExternal") == []


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

    ts = await poster.post(WORKSPACE, "C1", digest_post(chart=False))

    first, second = fake_slack.calls_to("chat.postMessage")
    assert second.at - first.at >= 1.0
    assert ts


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


async def test_other_errors_may_be_retried(poster: SlackPoster, fake_slack: FakeSlack):
    fake_slack.on("chat.postMessage", lambda call: {"ok": False, "error": "internal_error"})
    with pytest.raises(PostFailed) as raised:
        await poster.post(WORKSPACE, "C1", digest_post())
    assert not isinstance(raised.value, ChannelUnavailable)
    assert "internal_error" in raised.value.message


async def test_a_failed_chart_upload_keeps_the_posted_card(
    poster: SlackPoster, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
):
    fake_slack.on(
        "files.getUploadURLExternal", lambda call: {"ok": False, "error": "missing_scope"}
    )
    ts = await poster.post(WORKSPACE, "C1", digest_post())
    assert ts  # not raised: a retry would post the card a second time
    assert "missing_scope" in caplog.text


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
        await asyncio.gather(
            poster.post("slack:T1", "C1", digest_post()),
            poster.post("slack:T1", "C2", digest_post(chart=False)),
        )
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
