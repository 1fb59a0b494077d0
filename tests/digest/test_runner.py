"""DigestRunner against the Venice simulator, a real store and recording posters: each due digest
is posted once, late ones say so, missed ones are skipped and recorded, a failing Venice gets
retries then one notice, and a channel the bot cannot post to is turned off with one message."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.digest.runner import LEASE, RETRY_BACKOFF, DigestRunner, TickReport
from bot.errors import VeniceFailing
from bot.ports import PostFailed
from bot.store import Database
from bot.store.deliveries import Delivery, DeliveryId, DeliveryStore
from bot.store.digests import DigestStore
from tests.digest.conftest import DigestWorld, digest_world
from venice_simulator import EMPTY_KEY, TEAM_KEY
from venice_simulator.server import RunningSimulator

WS = "slack:T1"
CREATED = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
DUE = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # 09:00 in Madrid
DAY = date(2026, 11, 30)
LATE_NOTE = (
    "This digest is late: it was due at 09:00 Europe/Madrid (08:00 UTC); "
    "the bot was not running then."
)


async def connected(world: DigestWorld, *channels: str, key: str = TEAM_KEY, **options) -> None:
    workspace = options.pop("workspace", WS)
    await world.connect(workspace, key + "-runner01")
    for channel in channels:
        await world.schedule(workspace, channel, now=CREATED, **options)


def digest_of(channel: str, day: date = DAY, workspace: str = WS) -> DeliveryId:
    return DeliveryId(workspace, channel, "digest", day.isoformat())


async def delivery(world: DigestWorld, channel: str, day: date = DAY) -> Delivery | None:
    return await DeliveryStore(world.database).get(digest_of(channel, day))


async def outcome_of(world: DigestWorld, channel: str, day: date = DAY) -> str | None:
    record = await delivery(world, channel, day)
    return None if record is None else record.outcome


async def late_of(world: DigestWorld, channel: str, day: date) -> bool:
    record = await delivery(world, channel, day)
    return record is not None and record.late


async def test_a_due_digest_is_posted_once_with_its_chart(world: DigestWorld):
    await connected(world, "C1")
    report = await world.runner().run_due(DUE)

    assert (report.posted, report.late, report.lines) == (1, 0, [f"posted {WS} #C1 2026-11-30"])
    [posted] = world.slack.posts
    assert (posted.workspace_id, posted.channel_id) == (WS, "C1")
    assert posted.post.card.title.startswith("Venice daily digest")
    assert posted.post.chart is not None
    assert posted.post.chart.png.startswith(b"\x89PNG")
    assert posted.post.delivery == f"digest:{WS}:C1:2026-11-30"
    [chart] = world.slack.charts_in("C1")
    assert chart.delivery == posted.post.delivery
    record = await delivery(world, "C1")
    assert record is not None
    assert (record.state, record.outcome, record.message_id, record.chart, record.chart_id) == (
        "sent", "posted", posted.message_id, "sent", "F0000001",
    )  # fmt: skip
    schedule = await world.digests.get(WS, "C1")
    assert schedule is not None
    assert schedule.due_at == DUE + timedelta(days=1)
    assert schedule.last_outcome == "posted"

    again = await world.runner("B").run_due(DUE + timedelta(minutes=1))
    assert again == TickReport()
    assert len(world.slack.posts) == 1


async def test_skip_empty_posts_nothing_on_a_day_without_usage(world: DigestWorld):
    await connected(world, "C1", key=EMPTY_KEY, skip_empty=True)
    await world.schedule(WS, "C2", now=CREATED)  # the same empty day, not skipped

    report = await world.runner().run_due(DUE)

    assert (report.skipped, report.posted) == (1, 1)
    assert f"skipped {WS} #C1 2026-11-30 (no usage)" in report.lines
    assert world.slack.in_channel("C1") == []
    assert len(world.slack.in_channel("C2")) == 1
    assert await outcome_of(world, "C1") == "skipped"


async def test_a_digest_up_to_6_hours_late_is_posted_saying_so(world: DigestWorld):
    await connected(world, "C1")
    report = await world.runner().run_due(DUE + timedelta(hours=3))

    assert (report.posted, report.late) == (1, 1)
    assert report.lines == [f"posted {WS} #C1 2026-11-30 (late)"]
    [post] = world.slack.in_channel("C1")
    assert LATE_NOTE in post.card.notes
    assert await late_of(world, "C1", DAY)


async def test_a_digest_missed_by_more_than_6_hours_is_skipped_and_recorded(
    world: DigestWorld, caplog: pytest.LogCaptureFixture
):
    await connected(world, "C1")
    with caplog.at_level(logging.WARNING, logger="bot.digest.runner"):
        report = await world.runner().run_due(DUE + timedelta(hours=6, minutes=1))

    assert (report.missed, report.posted) == (1, 0)
    assert world.slack.posts == []
    assert await outcome_of(world, "C1") == "missed"
    [warning] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert WS in warning
    assert "C1" in warning
    assert "2026-11-30" in warning
    schedule = await world.digests.get(WS, "C1")
    assert schedule is not None
    assert schedule.due_at == DUE + timedelta(days=1)
    # Tomorrow's runs as usual.
    assert (await world.runner().run_due(DUE + timedelta(days=1))).posted == 1


async def test_after_days_down_only_the_latest_run_is_posted_late(world: DigestWorld):
    await connected(world, "C1")
    now = DUE + timedelta(days=2, minutes=30)
    report = await world.runner().run_due(now)

    assert (report.missed, report.posted, report.late) == (1, 1, 1)
    [post] = world.slack.in_channel("C1")
    assert post.delivery == f"digest:{WS}:C1:2026-12-02"
    assert await outcome_of(world, "C1") == "missed"
    assert await outcome_of(world, "C1", date(2026, 12, 2)) == "posted"
    assert any(note.startswith("This digest is late") for note in post.card.notes)
    assert await world.runner("B").run_due(now + timedelta(minutes=1)) == TickReport()


async def test_venice_failing_is_retried_then_one_notice_is_posted(world: DigestWorld):
    await connected(world, "C1")
    world.simulator.faults.fail_next(503, times=200)
    runner = world.runner()
    now = DUE
    retries = 0
    while True:
        report = await runner.run_due(now)
        retries += report.retrying
        if world.slack.posts:
            break
        schedule = await world.digests.get(WS, "C1")
        assert schedule is not None
        now = schedule.attempt_at
        assert retries <= len(RETRY_BACKOFF)

    assert retries == len(RETRY_BACKOFF)
    assert report.notified == 1
    [notice] = world.slack.posts
    card = notice.post.card
    assert card.kind == "error"
    assert card.summary is not None
    assert card.summary.startswith("Could not fetch today's Venice digest (")
    assert "The next one is due 09:00 Europe/Madrid on Tue 1 Dec" in card.summary
    assert "`/venice usage` works meanwhile" in card.summary
    assert await outcome_of(world, "C1") == "notified"
    # Venice still down: nothing more today.
    backoff = sum(RETRY_BACKOFF, timedelta())
    assert backoff <= now - DUE < backoff + timedelta(seconds=30)
    assert await runner.run_due(now + timedelta(hours=1)) == TickReport()
    assert len(world.slack.posts) == 1


async def test_a_rejected_key_gets_one_notice_at_once(world: DigestWorld):
    await connected(world, "C1", key="not-a-venice-key")
    report = await world.runner().run_due(DUE)

    assert (report.notified, report.retrying) == (1, 0)
    [notice] = world.slack.posts
    assert notice.post.card.kind == "error"
    assert "Venice rejected the key" in (notice.post.card.summary or "")
    assert "/venice connect" in (notice.post.card.summary or "")
    info = await world.workspaces.credential_info(WS)
    assert info is not None
    assert info.last_error is not None
    assert "rejected" in info.last_error


async def test_a_workspace_without_a_key_gets_one_notice(world: DigestWorld):
    await world.schedule("discord:42", "D1", now=CREATED)
    report = await world.runner().run_due(DUE)

    assert report.notified == 1
    [notice] = world.posters["discord"].posts
    assert "no Venice key is connected" in (notice.post.card.summary or "")


async def test_an_unavailable_channel_disables_the_schedule_and_tells_the_admin_once(
    world: DigestWorld,
):
    await connected(world, "C1")
    why = "Invite @Venice to <#C1> (/invite @Venice) and run /venice digest on again there."
    world.slack.make_unavailable("C1", why)

    first = await world.runner().run_due(DUE)
    second = await world.runner("B").run_due(DUE + timedelta(days=1))

    assert (first.disabled, second) == (1, TickReport())
    [told] = world.slack.told
    assert (told.workspace_id, told.user_ids) == (WS, ("U0ADA",))
    assert "<#C1>" in told.text
    assert why in told.text
    schedule = await world.digests.get(WS, "C1")
    assert schedule is not None
    assert schedule.enabled is False
    assert schedule.disabled_reason is not None
    assert "digest on" in schedule.disabled_reason


async def test_a_platform_asking_to_wait_is_tried_again_after_its_wait(world: DigestWorld):
    await connected(world, "C1")
    world.slack.fail_next(PostFailed("Slack kept rate-limiting the post.", retry_after=120))

    report = await world.runner().run_due(DUE)
    assert (report.retrying, report.posted) == (1, 0)
    schedule = await world.digests.get(WS, "C1")
    assert schedule is not None
    # Counted from when the post failed (the tick's instant plus the moments it took).
    waited = schedule.attempt_at - DUE
    assert timedelta(seconds=120) <= waited < timedelta(seconds=125)
    assert await world.runner().run_due(DUE + timedelta(seconds=119)) == TickReport()

    later = await world.runner().run_due(schedule.attempt_at)
    assert later.posted == 1
    assert len(world.slack.in_channel("C1")) == 1


async def test_an_unexpected_error_does_not_stop_the_tick(
    world: DigestWorld, caplog: pytest.LogCaptureFixture
):
    await connected(world, "C1", "C2")
    world.slack.fail_next(RuntimeError("boom"))
    with caplog.at_level(logging.ERROR, logger="bot.digest.runner"):
        report = await world.runner().run_due(DUE)

    assert (report.failed, report.posted) == (1, 1)
    assert "RuntimeError" in caplog.text
    assert "boom" not in caplog.text
    [failed] = [s for s in await world.digests.list_schedules(WS) if s.attempts]  # C1 or C2
    await world.runner().run_due(failed.attempt_at)
    assert sorted(p.channel_id for p in world.slack.posts) == ["C1", "C2"]


async def test_a_claim_whose_process_died_is_posted_by_another_exactly_once(world: DigestWorld):
    await connected(world, "C1")
    [_claim] = await world.digests.claim_due(DUE, "A", lease=LEASE)
    await DeliveryStore(world.database).begin(digest_of("C1"), "A", now=DUE)  # then A was killed

    assert await world.runner("B").run_due(DUE + LEASE - timedelta(seconds=1)) == TickReport()
    report = await world.runner("B").run_due(DUE + LEASE + timedelta(seconds=1))
    assert report.posted == 1
    assert await world.runner("C").run_due(DUE + LEASE + timedelta(seconds=2)) == TickReport()
    assert len(world.slack.in_channel("C1")) == 1


async def test_a_process_without_the_platform_leaves_its_digests_alone(world: DigestWorld):
    await connected(world, "C1")
    discord_only = DigestRunner(
        digests=world.digests,
        workspaces=world.workspaces,
        source_for=world.source_for,
        posters={"discord": world.posters["discord"]},
        owner="D",
    )
    assert await discord_only.run_due(DUE) == TickReport()
    assert (await world.runner().run_due(DUE)).posted == 1


async def test_preview_and_post_now_record_no_run(world: DigestWorld):
    await connected(world, "C1")
    runner = world.runner()
    card = await runner.preview(WS, DUE - timedelta(hours=1))
    assert card.title.startswith("Venice daily digest")
    assert world.slack.posts == []

    done = await runner.post_now(WS, "C1", DUE - timedelta(hours=1))
    [posted] = world.slack.posts
    assert (done.message_id, done.chart) == (posted.message_id, "sent")
    assert posted.post.delivery is None
    assert len(world.slack.charts_in("C1")) == 1
    assert await outcome_of(world, "C1") is None
    assert (await runner.run_due(DUE)).posted == 1  # the scheduled one still comes

    world.simulator.faults.fail_next(503, times=20)
    with pytest.raises(VeniceFailing):
        await runner.preview(WS, DUE)
    with pytest.raises(PostFailed, match="console"):
        await runner.post_now("console:local", "terminal", DUE)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_two_processes_ticking_together_post_each_digest_once(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, simulator: RunningSimulator
):
    async with digest_world(backend, tmp_path, request, simulator) as world:
        await connected(world, "C1", "C2", "C3")
        await connected(world, "D1", "D2", workspace="discord:42")
        url = world.database.engine.url.render_as_string(hide_password=False)
        other = await _same_database(world, url)
        try:
            runners = [world.runner("A"), world.runner("B", digests=DigestStore(other))]
            reports = await asyncio.gather(*(runner.run_due(DUE) for runner in runners))
            again = await asyncio.gather(
                *(runner.run_due(DUE + timedelta(minutes=1)) for runner in runners)
            )
        finally:
            await other.aclose()

        assert sum(report.posted for report in reports) == 5
        assert again == [TickReport(), TickReport()]
        assert sorted(p.channel_id for p in world.slack.posts) == ["C1", "C2", "C3"]
        assert sorted(p.channel_id for p in world.posters["discord"].posts) == ["D1", "D2"]


async def _same_database(world: DigestWorld, url: str) -> Database:
    if world.database.dialect == "sqlite":
        return await Database.open(url)
    async with world.database.engine.connect() as connection:
        schema = await connection.scalar(text("SELECT current_schema()"))
    return await Database.open(url, schema=schema)
