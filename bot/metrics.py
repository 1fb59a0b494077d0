"""The process's Prometheus metrics, `venice_bot_*`, served by `venice-bot serve` on /metrics.

One `Metrics` per process, built with the Runtime and handed to what records into it: no global
registry, so tests and several runtimes in one process never mix their counts. Labels are only
bounded names (command, platform, outcome, endpoint, status): never a workspace, key or user.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# A tick's counts, each a `venice_bot_digests` outcome (`failed` too): `recovered` counts
# posts found already made after a crash, `stopped` runs left when the database stopped.
DIGEST_OUTCOMES = (
    "posted", "late", "skipped", "missed", "notified", "retrying", "disabled", "recovered",
    "stopped",
)  # fmt: skip
# Commands answer from the cache in milliseconds, from Venice in up to the request budget (15 s).
COMMAND_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30)
VENICE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20)
SWEEP_BUCKETS = (0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300)
# What the cache's counters are called here (bot/cache/read_through.py names them).
CACHE_SERIES = {
    "hits": ("cache_hits", "Requests answered from a fresh cache entry."),
    "misses": ("cache_misses", "Requests with no fresh cache entry."),
    "stale_served": ("cache_stale_served", "Requests answered with a stale entry (Venice failed)."),
    "upstream_calls": ("cache_upstream_calls", "Fetches this process made for the cache."),
    "redis_errors": ("cache_redis_errors", "Redis calls that failed or timed out."),
}


class TickCounts(Protocol):
    """What one scheduler tick did, counted by outcome (bot/digest/runs.py's TickReport is one).

    Declared here so that the metrics, which everything records into, import nothing above them.
    """

    posted: int
    late: int
    skipped: int
    missed: int
    notified: int
    retrying: int
    disabled: int
    recovered: int
    stopped: int
    failed: int


class SweepCounts(Protocol):
    """What one alert sweep did (bot/alerts/sweep.py's SweepReport is one)."""

    seconds: float
    # Posts by rule kind and outcome: ("usd_below", "fired") -> 1.
    outcomes: dict[tuple[str, str], int]


class Metrics:
    """Every series the bot exposes, in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.commands = Counter(
            "venice_bot_commands", "Commands answered, by command, platform and outcome.",
            ("command", "platform", "outcome"), registry=r,
        )  # fmt: skip
        self.command_seconds = Histogram(
            "venice_bot_command_seconds", "Time to answer a command.",
            ("command", "platform"), buckets=COMMAND_BUCKETS, registry=r,
        )  # fmt: skip
        self.venice_calls = Counter(
            "venice_bot_venice_calls", "HTTP calls to Venice, by endpoint and status.",
            ("endpoint", "status"), registry=r,
        )  # fmt: skip
        self.venice_seconds = Histogram(
            "venice_bot_venice_call_seconds", "Time of one HTTP call to Venice.",
            ("endpoint",), buckets=VENICE_BUCKETS, registry=r,
        )  # fmt: skip
        self.digests = Counter(
            "venice_bot_digests", "Digest runs by outcome (" + ", ".join(DIGEST_OUTCOMES)
            + ", failed).", ("outcome",), registry=r,
        )  # fmt: skip
        self.scheduler_lag = Gauge(
            "venice_bot_scheduler_lag_seconds",
            "How far the last scheduler tick ran behind its planned start.", registry=r,
        )  # fmt: skip
        self.scheduler_ticks = Counter(
            "venice_bot_scheduler_ticks", "Scheduler ticks run.", registry=r
        )
        self.alerts = Counter(
            "venice_bot_alerts", "Alert posts by rule kind and outcome (fired, reminded, "
            "recovered, failed).", ("rule", "outcome"), registry=r,
        )  # fmt: skip
        self.alert_sweep_seconds = Histogram(
            "venice_bot_alert_sweep_seconds", "Time of one sweep of every alert rule.",
            buckets=SWEEP_BUCKETS, registry=r,
        )  # fmt: skip
        self.alert_sweep_lag = Gauge(
            "venice_bot_alert_sweep_lag_seconds",
            "How far the last alert sweep ran behind its planned start.", registry=r,
        )  # fmt: skip
        self.database_reachable = Gauge(
            "venice_bot_database_reachable",
            "1 when the database answered the last /readyz probe, 0 when it did not.",
            registry=r,
        )
        self.slack_refusals = Counter(
            "venice_bot_slack_requests_refused",
            "Requests to /slack/events refused before Bolt saw them, by reason.",
            ("reason",), registry=r,
        )  # fmt: skip

    def command(self, command: str | None, platform: str, outcome: str, seconds: float) -> None:
        """One answered command (`command` None: text that named no command)."""
        name = command or "unknown"
        self.commands.labels(name, platform, outcome).inc()
        self.command_seconds.labels(name, platform).observe(seconds)

    def venice_call(self, endpoint: str, status: str, seconds: float) -> None:
        """One HTTP attempt to Venice; STATUS is the HTTP status or the error's name."""
        self.venice_calls.labels(endpoint, status).inc()
        self.venice_seconds.labels(endpoint).observe(seconds)

    def tick(self, report: TickCounts, lag_seconds: float) -> None:
        """What one scheduler tick did."""
        self.scheduler_ticks.inc()
        self.scheduler_lag.set(max(0.0, lag_seconds))
        for outcome in DIGEST_OUTCOMES:
            count = getattr(report, outcome)
            if count:
                self.digests.labels(outcome).inc(count)
        if report.failed:
            self.digests.labels("failed").inc(report.failed)

    def sweep(self, report: SweepCounts, lag_seconds: float) -> None:
        """What one alert sweep did, how long it took and how late it began."""
        self.alert_sweep_seconds.observe(report.seconds)
        self.alert_sweep_lag.set(max(0.0, lag_seconds))
        for (rule, outcome), count in report.outcomes.items():
            self.alerts.labels(rule, outcome).inc(count)

    def slack_refused(self, reason: str) -> None:
        """One request to /slack/events refused at the door (unsigned, stale, too_large ...)."""
        self.slack_refusals.labels(reason).inc()

    def watch_cache(self, snapshot: Callable[[], dict[str, int]]) -> None:
        """Expose the cache's own counters, read at each scrape."""
        self.registry.register(_CacheCollector(snapshot))

    def exposition(self) -> bytes:
        """The Prometheus text format of every series."""
        return generate_latest(self.registry)


class _CacheCollector(Collector):
    def __init__(self, snapshot: Callable[[], dict[str, int]]) -> None:
        self._snapshot = snapshot

    def collect(self) -> Iterator[CounterMetricFamily]:
        counts = self._snapshot()
        for field, (name, documentation) in CACHE_SERIES.items():
            yield CounterMetricFamily(f"venice_bot_{name}", documentation, value=counts[field])

    def describe(self) -> Iterator[CounterMetricFamily]:
        return self.collect()
