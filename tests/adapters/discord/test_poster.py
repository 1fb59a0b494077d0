"""DiscordPoster against the fake Discord HTTP API, with no gateway: the card as an embed showing
its chart attached to the same message, one message per digest however often it is retried
(nonce), found again past the nonce window by its embed's link, a channel without Attach Files
getting the card and a refused chart, channels the bot cannot post to, and admins told in DMs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from adapters.discord.poster import NONCE_CHARS, DiscordPoster, marker_of, nonce_of
from adapters.discord.render import card_embed
from bot.ports import CannotLookBack, ChannelUnavailable, ChartRefused, Found, PostFailed
from bot.settings import Settings
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.adapters.post_samples import ALT_TEXT, chart_png, digest_card, digest_post

CHANNEL = "4000000000000000100"
WORKSPACE = "discord:4000000000000000001"
NOW = datetime.now(UTC)
DEDUPE = "digest:discord:4000000000000000001:4000000000000000100:2026-11-30"


@pytest.fixture
async def poster(fake_discord: FakeDiscord, discord_api_url: None) -> AsyncIterator[DiscordPoster]:
    settings = Settings(DISCORD_TOKEN=fake_discord.token, DISCORD_API_URL=fake_discord.base_url)
    made = DiscordPoster(settings)
    try:
        yield made
    finally:
        await made.aclose()


async def test_the_card_is_an_embed_showing_the_chart_attached_to_it(
    poster: DiscordPoster, fake_discord: FakeDiscord
):
    sent_post = await poster.post(WORKSPACE, CHANNEL, digest_post(delivery=DEDUPE))

    (posted,) = fake_discord.posted(CHANNEL)
    assert posted.message["id"] == sent_post.message_id
    assert sent_post.chart_attached is True
    (upload,) = posted.files
    assert upload.data == chart_png()
    assert upload.filename == "venice-spend.png"
    sent = fake_discord.wait_for(lambda r: r.path == f"/channels/{CHANNEL}/messages").json
    (embed,) = sent["embeds"]
    expected = card_embed(digest_card()).to_dict()
    assert embed["title"] == expected["title"]
    assert embed["url"] == marker_of(DEDUPE)  # the title links to Venice; it marks the delivery
    assert embed["url"].startswith("https://venice.ai/settings/api#")
    assert embed["image"] == {"url": "attachment://venice-spend.png"}
    assert sent["attachments"] == [
        {"id": 0, "filename": "venice-spend.png", "description": ALT_TEXT}
    ]
    assert sent["allowed_mentions"] == {"parse": []}
    # Posted over HTTP alone: nothing ever opened the gateway.
    assert fake_discord.gateway_frames == []
    assert not fake_discord.identified.is_set()


async def test_a_retried_digest_is_posted_once(poster: DiscordPoster, fake_discord: FakeDiscord):
    first = await poster.post(WORKSPACE, CHANNEL, digest_post(delivery=DEDUPE))
    again = await poster.post(WORKSPACE, CHANNEL, digest_post(delivery=DEDUPE))

    assert again == first
    assert len(fake_discord.posted(CHANNEL)) == 1
    sends = fake_discord.recorded("POST", f"/channels/{CHANNEL}/messages")
    nonces = {request.json["nonce"] for request in sends}
    assert nonces == {nonce_of(DEDUPE)}
    assert all(request.json["enforce_nonce"] is True for request in sends)
    # Another day's digest is another message.
    other = await poster.post(WORKSPACE, CHANNEL, digest_post(delivery=DEDUPE + "x"))
    assert other != first


async def test_past_the_nonce_window_a_delivery_is_found_by_its_link(
    poster: DiscordPoster, fake_discord: FakeDiscord
):
    since = datetime.now(UTC) - timedelta(minutes=2)
    await poster.post(WORKSPACE, CHANNEL, digest_post(delivery=DEDUPE + "-yesterday"))
    first = await poster.post(WORKSPACE, CHANNEL, digest_post(delivery=DEDUPE))
    await poster.tell_admins(WORKSPACE, ["5000000000000000001"], "something else")

    until = since + timedelta(minutes=5)
    found = await poster.find(WORKSPACE, CHANNEL, DEDUPE, since=since, until=until)

    assert found == Found(first.message_id, chart_attached=True)
    (read,) = fake_discord.recorded("GET", f"/channels/{CHANNEL}/messages")
    assert int(read.query["after"]) < int(first.message_id)
    assert (
        await poster.find(WORKSPACE, CHANNEL, DEDUPE + "-other", since=since, until=until) is None
    )
    later = datetime.now(UTC) + timedelta(minutes=1)
    assert await poster.find(WORKSPACE, CHANNEL, DEDUPE, since=later, until=until) is None
    before = since - timedelta(minutes=5)
    assert await poster.find(WORKSPACE, CHANNEL, DEDUPE, since=before, until=since) is None


async def test_a_channel_with_many_messages_is_read_page_by_page(
    poster: DiscordPoster, fake_discord: FakeDiscord
):
    since = datetime.now(UTC) - timedelta(minutes=2)
    for n in range(150):
        await poster.post(WORKSPACE, CHANNEL, digest_post(chart=False, delivery=f"{DEDUPE}-{n}"))
    found = await poster.find(
        WORKSPACE, CHANNEL, f"{DEDUPE}-149", since=since, until=since + timedelta(minutes=5)
    )
    assert found is not None
    assert found.message_id == fake_discord.posted(CHANNEL)[-1].message["id"]
    assert len(fake_discord.recorded("GET", f"/channels/{CHANNEL}/messages")) == 2


async def test_without_read_message_history_it_cannot_look_back(
    poster: DiscordPoster, fake_discord: FakeDiscord
):
    fake_discord.no_history.add(CHANNEL)
    with pytest.raises(CannotLookBack, match="Read Message History"):
        await poster.find(WORKSPACE, CHANNEL, DEDUPE, since=NOW, until=NOW + timedelta(minutes=5))


async def test_a_channel_without_attach_files_gets_the_card_and_a_refused_chart(
    poster: DiscordPoster, fake_discord: FakeDiscord
):
    fake_discord.no_attach.add(CHANNEL)
    post = digest_post(delivery=DEDUPE)
    posted = await poster.post(WORKSPACE, CHANNEL, post)
    assert posted.chart_attached is False
    (message,) = fake_discord.posted(CHANNEL)
    assert message.files == ()
    assert "image" not in message.message["embeds"][0]
    with pytest.raises(ChartRefused) as refused:
        await poster.post_chart(WORKSPACE, CHANNEL, post, message_id=posted.message_id)
    assert "Attach Files" in refused.value.message
    assert f"<#{CHANNEL}>" in refused.value.message
    assert refused.value.here == "Give the bot Attach Files in this channel."
    # Given Attach Files later, the chart goes in as a reply to its message.
    fake_discord.no_attach.clear()
    await poster.post_chart(WORKSPACE, CHANNEL, post, message_id=posted.message_id)
    _, reply = fake_discord.posted(CHANNEL)
    assert reply.files[0].data == chart_png()


def test_nonces_are_short_stable_and_distinct():
    assert nonce_of(DEDUPE) == nonce_of(DEDUPE)
    assert len(nonce_of(DEDUPE)) <= NONCE_CHARS
    assert nonce_of(DEDUPE) != nonce_of(DEDUPE.replace("11-30", "12-01"))


async def test_a_card_without_a_chart_has_no_attachment(
    poster: DiscordPoster, fake_discord: FakeDiscord
):
    await poster.post(WORKSPACE, CHANNEL, digest_post(chart=False))
    (posted,) = fake_discord.posted(CHANNEL)
    assert posted.files == ()
    assert "image" not in posted.message["embeds"][0]


@pytest.mark.parametrize(
    ("where", "advice"),
    [("no_access", "may not post in"), ("unknown_channels", "no longer exists")],
)
async def test_a_channel_the_bot_cannot_post_to_is_unavailable(
    poster: DiscordPoster, fake_discord: FakeDiscord, where: str, advice: str
):
    getattr(fake_discord, where).add(CHANNEL)
    with pytest.raises(ChannelUnavailable) as raised:
        await poster.post(WORKSPACE, CHANNEL, digest_post())
    assert advice in raised.value.message
    assert f"<#{CHANNEL}>" in raised.value.message
    assert "/venice digest on" in raised.value.message
    assert raised.value.here is not None
    assert "<#" not in raised.value.here
    assert fake_discord.posted() == []


async def test_a_server_error_may_be_retried(poster: DiscordPoster, fake_discord: FakeDiscord):
    fake_discord.refuse[f"/channels/{CHANNEL}/messages"] = (400, {"message": "Bad", "code": 50035})
    with pytest.raises(PostFailed) as raised:
        await poster.post(WORKSPACE, CHANNEL, digest_post())
    assert not isinstance(raised.value, ChannelUnavailable)
    assert "50035" in raised.value.message


async def test_a_refused_token_fails_every_post_without_disabling_it(
    fake_discord: FakeDiscord, discord_api_url: None
):
    settings = Settings(DISCORD_TOKEN="MTEw" + ".nope.nope", DISCORD_API_URL=fake_discord.base_url)
    poster = DiscordPoster(settings)
    with pytest.raises(PostFailed) as raised:
        await poster.post(WORKSPACE, CHANNEL, digest_post())
    await poster.aclose()
    assert not isinstance(raised.value, ChannelUnavailable)
    assert "401" in raised.value.message


async def test_admins_are_told_in_dms_and_failures_are_only_logged(
    poster: DiscordPoster, fake_discord: FakeDiscord, caplog: pytest.LogCaptureFixture
):
    fake_discord.closed_dms.add("5000000000000000002")
    admins = ["5000000000000000001", "5000000000000000002", "5000000000000000003"]

    await poster.tell_admins(WORKSPACE, admins, "The digest in #costs stopped.")

    opened = fake_discord.recorded("POST", "/users/@me/channels")
    assert [request.json["recipient_id"] for request in opened] == [int(a) for a in admins]
    delivered = [fake_discord.dm_channels[admins[0]], fake_discord.dm_channels[admins[2]]]
    assert [p.channel_id for p in fake_discord.posted()] == delivered
    assert {p.message["content"] for p in fake_discord.posted()} == {
        "The digest in #costs stopped."
    }
    assert "50007" in caplog.text
    assert fake_discord.token not in caplog.text


async def test_a_reply_references_the_message_it_follows(
    poster: DiscordPoster, fake_discord: FakeDiscord
):
    alert = await poster.post(WORKSPACE, CHANNEL, digest_post(chart=False, delivery=DEDUPE))
    reply = replace(
        digest_post(chart=False, delivery=DEDUPE + ":recovered"), reply_to=alert.message_id
    )
    await poster.post(WORKSPACE, CHANNEL, reply)
    first, second = fake_discord.posted(CHANNEL)
    assert "message_reference" not in first.message
    assert str(second.message["message_reference"]["message_id"]) == alert.message_id
    assert second.request["allowed_mentions"]["replied_user"] is False  # nobody is pinged
