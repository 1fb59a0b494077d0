"""What the cache did, as plain counts a metrics endpoint can read (one set per process)."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class CacheCounters:
    """Monotonic counts since start-up. Every request through the cache is a hit or a miss.

    hits            answered from a fresh entry (this process's, or one another process stored)
    misses          no fresh entry: answered from Venice, served stale, or failed
    stale_served    answered with an entry past its freshness because Venice failed
    upstream_calls  calls this process made to Venice (one per shared flight, not per request)
    joined          requests that shared another request's in-flight call in this process
    lock_waits      flights that waited for another process's call instead of making their own
    redis_errors    Redis calls that failed or timed out (skipped calls are not counted)
    """

    hits: int = 0
    misses: int = 0
    stale_served: int = 0
    upstream_calls: int = 0
    joined: int = 0
    lock_waits: int = 0
    redis_errors: int = 0

    def snapshot(self) -> dict[str, int]:
        """The counts by name, e.g. for `/metrics`."""
        return asdict(self)
