"""Benchmark of the billing cache against a private redis-server and the Venice simulator.

Prints, in one run:
(a) 4 processes x 50 concurrent identical `usage 30d` requests through the cache (the
    simulator answers after 0.3 s): Venice calls made (goal 1);
(b) warm-hit latency through the cache versus a bare Redis GET round trip of the same entry,
    p50 and p99: the cache layer alone (`CachedBillingSource.usage`), a hit on the shared
    entry by a process that has not decoded it yet (Redis GET + JSON + validation), and the
    whole command (`Runtime.ask` of `usage 30d`, parsed as an adapter does: cache + command core,
    no text rendering)
    (goal: under 3x the GET);
(c) Redis stopped, then started again, while commands run in a loop: failed commands (goal 0).
Run with `make bench-cache`. Needs the `redis-server` binary.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pydantic import SecretStr
from redis.asyncio import Redis

from bot.cache import BillingCache, FreshnessPolicy
from bot.cache.backends import RedisBackend
from bot.cache.read_through import NearCache
from bot.command_text import parse_request
from bot.deadline import Deadline
from bot.runtime import CACHE_FINGERPRINT_SECRET, Runtime
from bot.settings import Settings
from bot.venice.client import VeniceAccount, VeniceClient, make_http_client
from bot.venice.source import UsageQuery
from tests.services import PrivateRedis, ServiceMissing
from venice_simulator import Simulator
from venice_simulator.server import RunningSimulator, start_in_thread

PROCESSES = 4
REQUESTS_PER_PROCESS = 50
LATENCY = 0.3
HIT_SAMPLES = 2000
WARMUP = 200
KEY = SecretStr("sim-admin")
QUERY = UsageQuery("30d")
OUTAGE_STOP, OUTAGE_RESTART, OUTAGE_RUN = 1.0, 2.5, 8.0  # Redis is retried 5 s after a failure


def _today() -> date:
    """Today in UTC, as an adapter passes it to the parser."""
    return datetime.now(UTC).date()


def settings(redis_url: str, base_url: str, **values: Any) -> Settings:
    return Settings.model_validate({"REDIS_URL": redis_url, "VENICE_API_BASE": base_url, **values})


# (a) ------------------------------------------------------------------------------------


async def worker(redis_url: str, base_url: str, start_at: float) -> dict[str, int]:
    """One process: REQUESTS_PER_PROCESS concurrent identical requests, from START_AT."""
    cache = BillingCache.from_settings(
        settings(redis_url, base_url), fingerprint_secret=CACHE_FINGERPRINT_SECRET
    )
    async with make_http_client() as http:
        source = cache.source("env", KEY, VeniceAccount(VeniceClient(http, base_url), KEY))
        await asyncio.sleep(max(0.0, start_at - time.time()))
        answers = await asyncio.gather(
            *(source.usage(QUERY, Deadline.after(15)) for _ in range(REQUESTS_PER_PROCESS)),
            return_exceptions=True,
        )
    await cache.aclose()
    failed = sum(1 for answer in answers if isinstance(answer, BaseException))
    return cache.counters.snapshot() | {"failed": failed}


def concurrent_processes(redis: PrivateRedis, sim: RunningSimulator) -> None:
    sim.simulator.calls.clear()
    sim.simulator.faults.latency = LATENCY
    start_at = time.time() + 2.0  # after every process has imported the bot
    workers = [
        subprocess.Popen(  # noqa: S603  (this script, as a worker)
            [sys.executable, __file__, "worker", redis.url, sim.base_url, str(start_at)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    reports = [json.loads(process.communicate(timeout=60)[0]) for process in workers]
    sim.simulator.faults.latency = 0
    venice_calls = sum(1 for call in sim.simulator.calls if call.path.endswith("usage-analytics"))
    total = PROCESSES * REQUESTS_PER_PROCESS
    print(f"(a) {PROCESSES} processes x {REQUESTS_PER_PROCESS} concurrent identical requests")
    print(f"    requests {total}, failed {sum(r['failed'] for r in reports)}")
    print(f"    Venice calls {venice_calls} (goal 1)")
    print(
        "    per process: upstream_calls "
        f"{[r['upstream_calls'] for r in reports]}, joined {[r['joined'] for r in reports]}, "
        f"lock_waits {[r['lock_waits'] for r in reports]}, hits {[r['hits'] for r in reports]}"
    )


# (b) ------------------------------------------------------------------------------------


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def timed(operation: Callable[[], Awaitable[object]]) -> list[float]:
    """Microseconds per call of OPERATION, after a warm-up."""
    samples: list[float] = []
    for i in range(WARMUP + HIT_SAMPLES):
        started = time.perf_counter_ns()
        await operation()
        if i >= WARMUP:
            samples.append((time.perf_counter_ns() - started) / 1000)
    return samples


async def warm_hits(redis: PrivateRedis, sim: RunningSimulator) -> None:
    config = settings(redis.url, sim.base_url)
    runtime = Runtime.build(config)
    # The same process with its near copy switched off: every hit reads and decodes the entry.
    shared_only = BillingCache(
        RedisBackend.from_url(SecretStr(redis.url), timeout=config.redis_timeout),
        fingerprint_secret=CACHE_FINGERPRINT_SECRET,
        policy=FreshnessPolicy.of(balance_ttl=60, usage_ttl=600, stale_for=86_400),
        flight_budget=config.request_budget,
        near=NearCache(max_entries=0),
    )
    raw = Redis.from_url(redis.url)
    try:
        source = runtime.source_for(KEY)
        assert source is not None
        # fills the entries of both periods
        await runtime.ask(parse_request("usage 30d", _today()), KEY)
        entry = next(k for k in await raw.keys("*lookback=30d") if not k.endswith(b":lock"))
        size = len(await raw.get(entry) or b"")
        shared = shared_only.source("env", KEY, VeniceAccount(runtime.venice, KEY))
        calls_before = len(sim.simulator.calls)
        rows = [
            ("bare Redis GET of the entry", await timed(lambda: raw.get(entry))),
            ("cache layer: CachedBillingSource.usage",
             await timed(lambda: source.usage(QUERY, Deadline.after(15)))),
            ("shared entry: GET + decode (no near copy)",
             await timed(lambda: shared.usage(QUERY, Deadline.after(15)))),
            ("command: Runtime.ask('usage 30d')",
             await timed(lambda: runtime.ask(parse_request("usage 30d", _today()), KEY))),
        ]  # fmt: skip
        assert len(sim.simulator.calls) == calls_before, "a warm hit called Venice"
    finally:
        await raw.aclose()
        await shared_only.aclose()
        await runtime.aclose()
    get_p50, get_p99 = percentile(rows[0][1], 0.5), percentile(rows[0][1], 0.99)
    print(f"(b) warm hits, {HIT_SAMPLES} samples each, entry of {size} bytes")
    print(f"    {'':<44}{'p50 us':>9}{'p99 us':>9}{'p50 x':>8}{'p99 x':>8}")
    for name, samples in rows:
        p50, p99 = percentile(samples, 0.5), percentile(samples, 0.99)
        print(f"    {name:<44}{p50:>9.1f}{p99:>9.1f}{p50 / get_p50:>8.2f}{p99 / get_p99:>8.2f}")


# (c) ------------------------------------------------------------------------------------


class CountWarnings(logging.Handler):
    """Counts the cache's warnings (and prints them, indented)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        print(f"    log: {record.levelname} {record.name}: {record.getMessage()}")


async def redis_outage(redis: PrivateRedis, sim: RunningSimulator) -> None:
    # Short freshness so that most commands need Redis (entry, lock) and Venice.
    config = settings(redis.url, sim.base_url, VENICE_BOT_USAGE_TTL=1, VENICE_BOT_BALANCE_TTL=1)
    runtime = Runtime.build(config)
    warnings = CountWarnings()
    logging.getLogger("bot.cache").addHandler(warnings)
    texts = ["balance", *(f"usage {days}d" for days in range(1, 31))]
    failed = stale = commands = 0
    slowest = 0.0
    stopped_at: float | None = None
    restarted = False
    print(f"(c) commands in a loop for {OUTAGE_RUN:g} s; Redis stopped at {OUTAGE_STOP:g} s, "
          f"started again (empty) at {OUTAGE_RESTART:g} s")  # fmt: skip
    started = time.monotonic()
    try:
        while (elapsed := time.monotonic() - started) < OUTAGE_RUN:
            if elapsed > OUTAGE_STOP and stopped_at is None:
                redis.stop()
                stopped_at = elapsed
            if elapsed > OUTAGE_RESTART and not restarted:
                redis.start()  # same port, empty: the cache must find it again by itself
                restarted = True
            t0 = time.monotonic()
            text = texts[commands % len(texts)]
            answer = await runtime.ask(parse_request(text, _today()), KEY)
            slowest = max(slowest, time.monotonic() - t0)
            failed += answer.outcome != "answered"
            stale += answer.card.footer.stale is not None
            commands += 1
    finally:
        logging.getLogger("bot.cache").removeHandler(warnings)
        await runtime.aclose()
    raw = Redis.from_url(redis.url)
    try:
        entries_after = int(await raw.dbsize())
    finally:
        await raw.aclose()
    counters = runtime.cache.counters
    print(f"    commands {commands}, failed {failed} (goal 0), slowest {slowest * 1000:.0f} ms")
    print(
        f"    warnings logged {warnings.count}, redis_errors {counters.redis_errors}, "
        f"stale_served {counters.stale_served}, upstream_calls {counters.upstream_calls}"
    )
    print(f"    entries in the restarted Redis at the end: {entries_after} (recovered if > 0)")


async def main() -> None:
    redis = PrivateRedis()
    try:
        redis.start()
    except ServiceMissing as missing:
        raise SystemExit(f"bench/cache.py needs {missing}") from None
    try:
        with start_in_thread(Simulator(seed=7)) as sim:
            python = sys.version.split()[0]
            print(f"venice-bot cache benchmark; Python {python}, {os.cpu_count()} CPUs")
            concurrent_processes(redis, sim)
            await warm_hits(redis, sim)
            await redis_outage(redis, sim)
    finally:
        redis.stop()


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "worker":
        report = asyncio.run(worker(sys.argv[2], sys.argv[3], float(sys.argv[4])))
        print(json.dumps(report))
    else:
        asyncio.run(main())
