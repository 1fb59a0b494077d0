"""What the command benchmarks share: an answer that must succeed, timing after a warm-up, and
the percentile and header lines they print."""

from __future__ import annotations

import sys
import time
from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.command_spec import CommandContext
from bot.command_text import parse
from bot.core import Answer, answer
from bot.deadline import Deadline
from bot.registry import COMMANDS
from bot.venice.static_source import StaticBillingSource

ITERATIONS = 2000
WARMUP = 100


async def answered(text: str, source: StaticBillingSource, now: datetime) -> Answer:
    """The answer to TEXT from SOURCE at NOW; stops the benchmark if it was not answered."""
    ctx = CommandContext(now=now, deadline=Deadline.after(10), source=source, commands=COMMANDS)
    result = await answer(parse(text, now.date()), ctx)  # parsed at the door, as adapters do
    source.requests.clear()
    if result.outcome != "answered":
        raise SystemExit(f"{text!r} was not answered: {result.card.summary}")
    return result


async def sample(run: Callable[[], Awaitable[object]]) -> list[float]:
    """Milliseconds per call of RUN, after WARMUP calls that are not counted."""
    samples: list[float] = []
    for i in range(WARMUP + ITERATIONS):
        started = time.perf_counter_ns()
        await run()
        elapsed = (time.perf_counter_ns() - started) / 1e6
        if i >= WARMUP:
            samples.append(elapsed)
    return samples


def percentile(samples: list[float], q: float) -> float:
    """The Q-th quantile (0..1) of SAMPLES, nearest rank."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def print_header(title: str) -> None:
    """The first line of a benchmark's output: what ran, how often, on which payload."""
    print(
        f"venice-bot {title} benchmark: {ITERATIONS} runs per command after {WARMUP} warm-up "
        f"runs; payload 90 days, 50 models, 50 keys; Python {sys.version.split()[0]}"
    )
