"""The `serve` scheduler loop: a tick at start and on a steady cadence, a one-line summary when
something happened, no death by exception, and leases freed on the way out."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.digest.runner import DigestRunner, TickReport
from bot.digest.scheduler import run_scheduler, summary
from bot.schedule import DigestTime
from bot.secrets import Keyring, SecretBox, generate_master_key
from bot.store import Database, WorkspaceStore
from bot.store.digests import DigestStore
from tests.commands.test_digest import venice
from tests.digest.recording_poster import RecordingPoster


class ScriptedTicker:
    """A Ticker (our Protocol): each tick takes the next outcome, a report or an exception."""

    def __init__(self, *outcomes: TickReport | Exception) -> None:
        self.outcomes = list(outcomes)
        self.ticks: list[float] = []
        self.released = 0
        self.release_error: Exception | None = None

    async def run_due(self, now: datetime) -> TickReport:
        self.ticks.append(asyncio.get_running_loop().time())
        outcome = self.outcomes.pop(0) if self.outcomes else TickReport()
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def release(self) -> int:
        self.released += 1
        if self.release_error is not None:
            raise self.release_error
        return 2


async def run_for(ticker: ScriptedTicker, seconds: float, interval: float) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(run_scheduler(ticker, stop, interval=interval))
    await asyncio.sleep(seconds)
    stop.set()
    await asyncio.wait_for(task, timeout=2)


async def test_it_ticks_at_once_then_every_interval_and_frees_leases_on_stop():
    ticker = ScriptedTicker()
    started = asyncio.get_running_loop().time()
    await run_for(ticker, 0.35, interval=0.1)
    assert ticker.ticks[0] - started < 0.05  # the first tick does not wait an interval
    assert 3 <= len(ticker.ticks) <= 5
    gaps = [b - a for a, b in zip(ticker.ticks, ticker.ticks[1:], strict=False)]
    assert all(0.08 <= gap <= 0.2 for gap in gaps), gaps
    assert ticker.released == 1


async def test_a_stop_during_the_wait_ends_it_at_once():
    ticker = ScriptedTicker()
    stop = asyncio.Event()
    task = asyncio.create_task(run_scheduler(ticker, stop, interval=30))
    await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, timeout=1)  # not 30 s
    assert len(ticker.ticks) == 1


async def test_a_failing_tick_is_logged_and_the_next_one_still_runs(caplog):
    report = TickReport(posted=2, late=1, skipped=1)
    ticker = ScriptedTicker(RuntimeError("database went away"), report)
    ticker.release_error = ConnectionError("still away")
    with caplog.at_level(logging.INFO, logger="bot.digest.scheduler"):
        await run_for(ticker, 0.25, interval=0.1)
    messages = [record.getMessage() for record in caplog.records]
    assert "digest tick failed: RuntimeError" in messages
    assert "digests: 2 posted (1 late), 1 skipped" in messages
    # Ticks that did nothing say nothing; a failed release is a warning, not a crash.
    said = [m for m in messages if m.startswith("digests:")]
    assert said == ["digests: 2 posted (1 late), 1 skipped"]
    assert "could not free digest leases: ConnectionError" in messages


def test_the_summary_names_only_what_happened():
    assert summary(TickReport()) == ""
    assert summary(TickReport(posted=3)) == "3 posted"
    assert summary(TickReport(missed=1, failed=2, disabled=1)) == "1 missed, 1 disabled, 2 failed"


@pytest.fixture
async def store(tmp_path: Path):
    database = await Database.open(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    await database.upgrade()
    try:
        yield WorkspaceStore(database, SecretBox(Keyring((generate_master_key("k1"),))))
    finally:
        await database.aclose()


async def test_with_the_real_runner_a_due_digest_is_posted_once_however_many_ticks(store):
    workspace, poster = "slack:T0SCHED", RecordingPoster()
    await store.save_credential(
        workspace, SecretStr("sim-admin-" + "sched"), key_type="admin", set_by="t",
        verified_at=datetime.now(UTC),
    )  # fmt: skip
    digests = DigestStore(store.database)
    set_at = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
    await digests.upsert(
        workspace, "C0COSTS", DigestTime(time(9), "Europe/Madrid"), skip_empty=False,
        by="ada", by_id="U1", now=set_at,
    )  # fmt: skip
    runner = DigestRunner(
        digests=digests,
        workspaces=store,
        source_for=lambda key, tenant: venice(),
        posters={"slack": poster},
        owner="scheduler-test",
    )
    stop = asyncio.Event()
    due = datetime(2026, 11, 30, 8, 0, 30, tzinfo=UTC)  # 09:00:30 in Madrid
    task = asyncio.create_task(run_scheduler(runner, stop, interval=0.05, clock=lambda: due))
    await asyncio.sleep(0.5)
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    assert [(p.workspace_id, p.channel_id) for p in poster.posts] == [(workspace, "C0COSTS")]
    [schedule] = await digests.list_schedules(workspace)
    assert schedule.due_at == due.replace(second=0) + timedelta(days=1)
