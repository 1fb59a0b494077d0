"""The one delivery path (bot/delivery.py) under the digest runner, with a real store, the Venice
simulator and a recording poster that can look back like Slack: a post that a dead process may
have made is looked for before it is made again; a message already recorded gets only its
chart; a chart the channel refuses is reported once; and the first failed database write stops
the run, the uncertain posts then reconciled, so every channel ends with one message and one
chart."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.cards import Card
from bot.digest.runner import LEASE, RETRY_BACKOFF, TickReport
from bot.ports import ChartImage, ChartRefused, Post, PostFailed
from bot.store import Database
from bot.store.deliveries import Delivery, DeliveryId, DeliveryStore
from tests.digest.conftest import DigestWorld, world_on
from tests.services import PrivatePostgres
from venice_simulator import TEAM_KEY
from venice_simulator.server import RunningSimulator

WS = "slack:T1"
CREATED = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
DUE = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # 09:00 in Madrid
TAKEOVER = DUE + LEASE + timedelta(seconds=1)
DIGEST = DeliveryId(WS, "C1", "digest", "2026-11-30")
REFUSED = "Invite @Venice to <#C1> (`/invite @Venice`): Slack takes a file only from a member."


async def connected(world: DigestWorld, *channels: str) -> None:
    await world.connect(WS, TEAM_KEY + "-path0001")
    for channel in channels:
        await world.schedule(WS, channel, now=CREATED)


async def died_while_posting(world: DigestWorld, *, message: bool, chart: bool = False) -> None:
    """Process A claimed C1's run, recorded `sending`, and died: after Slack took the message
    (MESSAGE), and its chart too (CHART), before recording either."""
    [_] = await world.digests.claim_due(DUE, "A", lease=LEASE)
    store = DeliveryStore(world.database)
    record = await store.begin(DIGEST, "A", now=DUE)
    record = await store.sending(record, began=datetime.now(UTC))
    post = Post(Card(title="Venice daily digest"), ChartImage(b"png", "alt"), str(DIGEST))
    if message:
        posted = await world.slack.post(WS, "C1", post)
        if chart:
            await world.slack.post_chart(WS, "C1", post, message_id=posted.message_id)


async def died_before_the_chart(world: DigestWorld, *, uploaded: bool) -> None:
    """Process A posted and recorded C1's message, began its chart (UPLOADED: Slack took it),
    and died before recording the chart."""
    [_] = await world.digests.claim_due(DUE, "A", lease=LEASE)
    store = DeliveryStore(world.database)
    record = await store.sending(await store.begin(DIGEST, "A", now=DUE), began=datetime.now(UTC))
    post = Post(Card(title="Venice daily digest"), ChartImage(b"png", "alt"), str(DIGEST))
    posted = await world.slack.post(WS, "C1", post)
    await store.sent(record, posted.message_id, chart="sending", outcome="posted", late=False,
                     now=DUE)  # fmt: skip
    if uploaded:
        await world.slack.post_chart(WS, "C1", post, message_id=posted.message_id)


async def record_of(world: DigestWorld, delivery: DeliveryId = DIGEST) -> Delivery:
    record = await DeliveryStore(world.database).get(delivery)
    assert record is not None
    return record


async def test_a_post_found_in_the_channel_is_not_made_again_and_gets_its_chart(
    world: DigestWorld,
):
    await connected(world, "C1")
    await died_while_posting(world, message=True)
    assert await world.runner("B").run_due(DUE + LEASE - timedelta(seconds=1)) == TickReport()

    report = await world.runner("B").run_due(TAKEOVER)

    assert (report.posted, report.recovered) == (1, 1)
    assert report.lines == [f"posted {WS} #C1 2026-11-30 (found already posted)"]
    assert world.slack.looked == [str(DIGEST)]
    assert len(world.slack.in_channel("C1")) == 1
    assert len(world.slack.charts_in("C1")) == 1
    record = await record_of(world)
    assert (record.state, record.chart, record.owner, record.done) == ("sent", "sent", "B", True)
    assert record.message_id == world.slack.posts[0].message_id


async def test_a_post_that_never_went_out_is_made_once(world: DigestWorld):
    await connected(world, "C1")
    await died_while_posting(world, message=False)

    report = await world.runner("B").run_due(TAKEOVER)

    assert (report.posted, report.recovered) == (1, 0)
    assert world.slack.looked == [str(DIGEST)]
    assert len(world.slack.in_channel("C1")) == 1
    assert len(world.slack.charts_in("C1")) == 1


async def attempt_at(world: DigestWorld, channel: str = "C1") -> datetime:
    schedule = await world.digests.get(WS, channel)
    assert schedule is not None
    return schedule.attempt_at


async def test_a_post_whose_answer_was_lost_is_found_and_not_made_again(world: DigestWorld):
    await connected(world, "C1")
    dropped = PostFailed("could not reach Slack (ServerDisconnectedError).", uncertain=True)
    world.slack.take_then_fail(dropped)  # Slack took it; the bot never heard

    first = await world.runner().run_due(DUE)
    assert first.retrying == 1
    assert (await record_of(world)).state == "sending"  # it may be in: looked for next time

    again = await world.runner().run_due(await attempt_at(world))
    assert (again.posted, again.recovered) == (1, 1)
    assert len(world.slack.in_channel("C1")) == 1
    assert len(world.slack.charts_in("C1")) == 1


async def test_a_post_refused_outright_is_made_again_without_looking(world: DigestWorld):
    await connected(world, "C1")
    world.slack.fail_next(PostFailed("Slack refused the post (invalid_blocks)."))

    await world.runner().run_due(DUE)
    assert (await record_of(world)).state == "claimed"  # nothing went in
    assert (await world.runner().run_due(await attempt_at(world))).posted == 1
    assert world.slack.looked == []
    assert len(world.slack.in_channel("C1")) == 1


async def test_a_post_answered_too_late_counts_as_uncertain_and_is_found(world: DigestWorld):
    await connected(world, "C1")
    runner = world.runner()
    runner.path.post_seconds = 0.2  # what POST_SECONDS (45 s) is in production
    world.slack.slow_answer = 1.0  # Slack took it, its answer comes after the bot gave up

    first = await runner.run_due(DUE)
    assert first.retrying == 1
    assert (await record_of(world)).state == "sending"

    world.slack.slow_answer = 0
    again = await runner.run_due(await attempt_at(world))
    assert (again.posted, again.recovered) == (1, 1)
    assert len(world.slack.in_channel("C1")) == 1


async def test_on_the_last_try_a_look_back_that_keeps_failing_still_posts(world: DigestWorld):
    await connected(world, "C1")
    await died_while_posting(world, message=False)  # nothing went out: it must not be lost
    world.slack.look_back_fails = PostFailed("Slack kept rate-limiting the post.", retry_after=60)
    runner = world.runner("B")
    now = TAKEOVER
    reports = []
    for _ in range(len(RETRY_BACKOFF) + 1):
        reports.append(await runner.run_due(now))
        if world.slack.posts:
            break
        now = await attempt_at(world)

    assert sum(r.retrying for r in reports) == len(RETRY_BACKOFF)
    assert reports[-1].posted == 1
    assert len(world.slack.in_channel("C1")) == 1
    assert len(world.slack.looked) == len(RETRY_BACKOFF) + 1


async def test_a_run_taken_over_while_its_first_process_builds_is_posted_once(
    world: DigestWorld,
):
    await connected(world, "C1")
    world.simulator.faults.latency = 1.0  # building takes a while in both processes
    first = asyncio.create_task(world.runner("A").run_due(DUE))
    await asyncio.sleep(0.3)  # A has claimed and begun; its lease, as B's clock sees it, is over
    second = await world.runner("B").run_due(DUE + LEASE + timedelta(seconds=1))
    slow = await first
    world.simulator.faults.latency = 0

    assert second.posted == 1
    assert slow.posted == 0  # A found the run was B's when it was about to post
    assert len(world.slack.in_channel("C1")) == 1
    assert (await record_of(world)).owner == "B"


async def test_a_claimed_run_that_never_began_posting_is_not_looked_for(world: DigestWorld):
    await connected(world, "C1")
    [_] = await world.digests.claim_due(DUE, "A", lease=LEASE)
    await DeliveryStore(world.database).begin(DIGEST, "A", now=DUE)  # A died while building

    assert (await world.runner("B").run_due(TAKEOVER)).posted == 1
    assert world.slack.looked == []  # nothing can have gone out: no history read


async def test_a_platform_that_cannot_look_back_gets_it_again_and_the_log_says_why(
    world: DigestWorld, caplog: pytest.LogCaptureFixture
):
    await connected(world, "C1")
    await died_while_posting(world, message=True)
    world.slack.blind = True

    with caplog.at_level(logging.WARNING, logger="bot.delivery"):
        report = await world.runner("B").run_due(TAKEOVER)

    assert report.posted == 1
    assert len(world.slack.in_channel("C1")) == 2  # never lost; twice, and said so
    [warning] = [r.getMessage() for r in caplog.records if r.name == "bot.delivery"]
    assert str(DIGEST) in warning
    assert "cannot look back" in warning


@pytest.mark.parametrize("uploaded", [False, True])
async def test_a_recorded_message_gets_only_its_chart(world: DigestWorld, uploaded: bool):
    await connected(world, "C1")
    await died_before_the_chart(world, uploaded=uploaded)

    report = await world.runner("B").run_due(TAKEOVER)

    assert report.posted == 1
    assert len(world.slack.in_channel("C1")) == 1  # the message is never posted again
    assert len(world.slack.charts_in("C1")) == 1  # the chart once: found, or uploaded now
    assert world.slack.looked == [str(DIGEST)]  # an upload that may have happened: looked for
    record = await record_of(world)
    assert (record.chart, record.done) == ("sent", True)
    assert record.chart_id == world.slack.charts[0].message_id


async def test_venice_failing_when_only_the_chart_is_left_posts_no_notice(world: DigestWorld):
    await connected(world, "C1")
    await died_before_the_chart(world, uploaded=False)
    world.simulator.faults.fail_next(503, times=500)
    runner = world.runner("B")
    now = TAKEOVER
    reports = []
    for _ in range(len(RETRY_BACKOFF) + 1):
        reports.append(await runner.run_due(now))
        schedule = await world.digests.get(WS, "C1")
        assert schedule is not None
        if schedule.due_at > DUE:
            break
        now = schedule.attempt_at

    assert sum(r.retrying for r in reports) == len(RETRY_BACKOFF)
    assert reports[-1].lines == [
        f"posted {WS} #C1 2026-11-30 (no chart: its chart could not be fetched)"
    ]
    assert len(world.slack.in_channel("C1")) == 1  # the digest, and no "could not fetch" notice
    assert world.slack.charts == []
    record = await record_of(world)
    assert (record.state, record.chart, record.done) == ("sent", "failed", True)


async def test_a_chart_failing_for_now_is_retried_without_the_message(world: DigestWorld):
    await connected(world, "C1")
    world.slack.fail_next_chart(PostFailed("Slack refused the post (internal_error)."))

    first = await world.runner().run_due(DUE)
    assert (first.retrying, first.posted) == (1, 0)
    record = await record_of(world)
    assert (record.state, record.chart) == ("sent", "pending")

    schedule = await world.digests.get(WS, "C1")
    assert schedule is not None
    later = await world.runner().run_due(schedule.attempt_at)
    assert later.posted == 1
    assert len(world.slack.in_channel("C1")) == 1
    assert len(world.slack.charts_in("C1")) == 1
    assert world.slack.looked == []  # a refused upload did not go in: nothing to look for
    assert (await record_of(world)).done


async def test_a_refused_chart_is_told_once_and_forgotten_when_a_chart_goes_in(
    world: DigestWorld,
):
    await connected(world, "C1")
    refusal = ChartRefused(REFUSED, here="Invite @Venice to this channel.")
    world.slack.fail_next_chart(refusal, times=2)

    first = await world.runner().run_due(DUE)
    second = await world.runner().run_due(DUE + timedelta(days=1))

    assert (first.posted, second.posted) == (1, 1)  # the digests count: only the chart is missing
    assert first.lines == [f"posted {WS} #C1 2026-11-30 (chart refused)"]
    [told] = world.slack.told  # once, not every morning
    assert told.user_ids == ("U0ADA",)
    assert "<#C1>" in told.text
    assert REFUSED in told.text
    assert (await record_of(world)).chart == "refused"
    schedule = await world.digests.get(WS, "C1")
    assert schedule is not None
    assert schedule.chart_problem is not None

    await world.runner().run_due(DUE + timedelta(days=2))  # the bot was invited: it goes in
    schedule = await world.digests.get(WS, "C1")
    assert schedule is not None
    assert schedule.chart_problem is None
    world.slack.fail_next_chart(refusal)
    await world.runner().run_due(DUE + timedelta(days=3))  # removed again: told again
    assert len(world.slack.told) == 2
    assert len(world.slack.in_channel("C1")) == 4
    assert len(world.slack.charts_in("C1")) == 1


async def test_post_now_says_what_went_in(world: DigestWorld):
    await connected(world, "C1")
    runner = world.runner()
    world.slack.fail_next_chart(ChartRefused(REFUSED, here="Invite @Venice to this channel."))
    refused = await runner.post_now(WS, "C1", DUE)
    assert (refused.chart, refused.chart_problem) == ("refused", "Invite @Venice to this channel.")
    world.slack.fail_next_chart(PostFailed("could not reach Slack (TimeoutError)."))
    failed = await runner.post_now(WS, "C1", DUE)
    assert (failed.chart, failed.chart_problem) == (
        "failed",
        "could not reach Slack (TimeoutError).",
    )
    went = await runner.post_now(WS, "C1", DUE)
    assert (went.chart, went.chart_problem) == ("sent", None)
    assert len(world.slack.in_channel("C1")) == 3


@pytest.fixture
async def world_on_private_postgres(
    private_postgres: PrivatePostgres, simulator: RunningSimulator
) -> AsyncIterator[tuple[DigestWorld, PrivatePostgres]]:
    database = await Database.open(private_postgres.url)
    try:
        async with world_on(database, simulator) as world:
            yield world, private_postgres
    finally:
        await database.aclose()


@pytest.mark.timeout(180)
async def test_the_database_stopping_mid_run_stops_posting_and_nothing_is_lost_or_twice(
    world_on_private_postgres: tuple[DigestWorld, PrivatePostgres],
    caplog: pytest.LogCaptureFixture,
):
    world, server = world_on_private_postgres
    channels = [f"C{n:02}" for n in range(40)]
    await connected(world, *channels)
    world.slack.delay = 0.2  # Slack takes each message and chart 0.2 s after it is sent
    runner = world.runner("A")
    runner.concurrency = 4  # four on their way at any moment

    async def stop_after_some_posts() -> None:
        while len(world.slack.posts) < 10:  # noqa: ASYNC110 (the poster keeps a list)
            await asyncio.sleep(0.01)
        await asyncio.to_thread(server.stop)

    with caplog.at_level(logging.ERROR):
        first, _ = await asyncio.gather(runner.run_due(DUE), stop_after_some_posts())

    assert first.interrupted is not None
    posted_while_down = len(world.slack.posts)
    await asyncio.sleep(1)  # nothing more goes out once the path has stopped
    assert len(world.slack.posts) == posted_while_down < len(channels)
    errors = [r.getMessage() for r in caplog.records if r.name == "bot.delivery"]
    assert len(errors) == 1, errors  # one line, not one per digest
    assert "posting stops until it answers" in errors[0]

    # Ticks while it is still down post nothing and say nothing more.
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="bot.delivery"):
        still = await runner.run_due(DUE + timedelta(seconds=15))
    assert still.interrupted is not None
    assert [r.getMessage() for r in caplog.records if r.name == "bot.delivery"] == []
    assert len(world.slack.posts) == posted_while_down

    await asyncio.to_thread(server.start)
    # The same process's next tick: its own leases are free again, the uncertain posts found.
    with caplog.at_level(logging.INFO, logger="bot.delivery"):
        second = await runner.run_due(DUE + timedelta(seconds=30))
    assert "the database answers again" in caplog.text
    assert second.interrupted is None
    assert second.posted + first.posted == len(channels)
    # Only what was on its way when the database stopped was uncertain, and it was found.
    assert 1 <= second.recovered <= runner.concurrency
    messages = Counter(p.channel_id for p in world.slack.posts)
    charts = Counter(p.channel_id for p in world.slack.charts)
    assert messages == Counter(dict.fromkeys(channels, 1)), messages
    assert charts == Counter(dict.fromkeys(channels, 1)), charts
    for channel in channels:
        record = await record_of(world, DeliveryId(WS, channel, "digest", "2026-11-30"))
        assert record.done
        assert (record.state, record.chart) == ("sent", "sent")
    assert await runner.run_due(DUE + timedelta(minutes=1)) == TickReport()
