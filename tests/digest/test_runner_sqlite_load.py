"""On SQLite (`make run`'s embedded default) a tick with many digests due at once posts every one
of them: the runner's own concurrency never makes a digest fail with "database is locked"."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

import pytest

from bot.digest.runner import CONCURRENCY
from bot.ports import Post
from tests.digest.conftest import DigestWorld
from tests.digest.recording_poster import RecordingPoster
from venice_simulator import TEAM_KEY

CREATED = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
DUE = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # 09:00 in Madrid
WORKSPACES = 100
# Each post holds the event loop this long, as rendering and posting a digest's chart do on a
# loaded process: meanwhile other digests' write transactions cannot reach their commit.
POST_CPU_SECONDS = 0.08


class BusyPoster(RecordingPoster):
    """Records each post after keeping the event loop busy for POST_CPU_SECONDS."""

    async def post(self, workspace_id: str, channel_id: str, post: Post) -> str:
        done = time.perf_counter() + POST_CPU_SECONDS
        while time.perf_counter() < done:  # CPU work: nothing the event loop could overlap
            pass
        return await super().post(workspace_id, channel_id, post)


async def test_every_due_digest_is_posted_in_one_tick_on_sqlite(
    world: DigestWorld, caplog: pytest.LogCaptureFixture
):
    assert world.database.dialect == "sqlite"
    assert WORKSPACES > CONCURRENCY  # more than one wave of concurrent digests
    world.posters["slack"] = BusyPoster("slack")
    workspaces = [f"slack:TL{number:03d}" for number in range(WORKSPACES)]
    for number, workspace in enumerate(workspaces):
        await world.connect(workspace, f"{TEAM_KEY}-load{number:03d}")
        await world.schedule(workspace, "C1", now=CREATED)

    with caplog.at_level(logging.WARNING, logger="bot.digest.runner"):
        report = await world.runner().run_due(DUE)

    assert (report.posted, report.failed, report.retrying) == (WORKSPACES, 0, 0)
    assert sorted(posted.workspace_id for posted in world.slack.posts) == workspaces
    assert not [record.getMessage() for record in caplog.records]
    for workspace in workspaces:
        schedule = await world.digests.get(workspace, "C1")
        assert schedule is not None
        assert (schedule.last_outcome, schedule.due_at) == ("posted", DUE + timedelta(days=1))
    # Nothing is left for the next tick: no digest is posted twice.
    assert (await world.runner("B").run_due(DUE + timedelta(minutes=1))).posted == 0
