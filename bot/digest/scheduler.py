"""The digest scheduler of `venice-bot serve`: one tick at start, then one every few seconds.

Each tick is one `DigestRunner.run_due(now)`; the database decides which process posts what, so
any number of replicas may tick together. A failed tick is logged and the next one tries again:
the scheduler never stops before the process does. On the way out it frees its leases, so a
digest it had claimed is taken over at once rather than when the lease expires.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from bot.digest.runner import TickReport

if TYPE_CHECKING:
    from bot.metrics import Metrics

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

# The counts a summary names, in this order (`late` and `recovered` are said inside `posted`).
_COUNTS = ("skipped", "missed", "notified", "retrying", "disabled", "failed", "stopped")


class Ticker(Protocol):
    """What the scheduler needs of bot.digest.runner.DigestRunner."""

    async def run_due(self, now: datetime) -> TickReport: ...

    async def release(self) -> int: ...


def utc_now() -> datetime:
    """The current instant, timezone-aware UTC."""
    return datetime.now(UTC)


def summary(report: TickReport) -> str:
    """`2 posted (1 late), 1 skipped`; empty when the tick did nothing."""
    parts: list[str] = []
    if report.posted:
        notes = [f"{report.late} late"] if report.late else []
        if report.recovered:
            notes.append(f"{report.recovered} found already posted")
        said = f" ({', '.join(notes)})" if notes else ""
        parts.append(f"{report.posted} posted{said}")
    parts += [f"{getattr(report, name)} {name}" for name in _COUNTS if getattr(report, name)]
    return ", ".join(parts)


async def tick(runner: Ticker, now: datetime) -> TickReport | None:
    """One tick, logged in one line when it did something; None when it failed (logged)."""
    try:
        report = await runner.run_due(now)
    except Exception as error:  # the database or a bug: the next tick tries again
        log.error("digest tick failed: %s", type(error).__name__, exc_info=error)
        return None
    said = summary(report)
    if said:
        log.info("digests: %s", said)
    return report


async def run_scheduler(
    runner: Ticker,
    stop: asyncio.Event,
    *,
    interval: float,
    clock: Clock = utc_now,
    metrics: Metrics | None = None,
) -> None:
    """Tick at once and then every INTERVAL seconds until STOP is set; free the leases at the end.

    Ticks keep a steady cadence: a tick that takes 10 s of a 30 s interval is followed by the
    next one 20 s later. A tick that outlasts the interval is followed at once.
    """
    loop = asyncio.get_running_loop()
    planned = loop.time()
    try:
        while not stop.is_set():
            started = loop.time()
            report = await tick(runner, clock())
            if metrics is not None and report is not None:
                metrics.tick(report, lag_seconds=started - planned)
            planned = started + interval
            remaining = interval - (loop.time() - started)
            if remaining > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=remaining)
    finally:
        try:
            released = await runner.release()
        except Exception as error:  # the leases expire on their own
            log.warning("could not free digest leases: %s", type(error).__name__)
        else:
            if released:
                log.info("freed %d digest lease(s)", released)
