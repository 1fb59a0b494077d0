"""One message a second per Slack channel: chat.postMessage allows about that much, and a
burst into one channel only earns 429s. Different channels go in parallel."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

# Slack's documented pace for chat.postMessage: about one message a second per channel.
CHANNEL_INTERVAL = 1.0
# Lanes idle for longer than this are forgotten (their pace no longer matters).
FORGET_AFTER = 60.0
PRUNE_AT = 1024


@dataclass
class Lane:
    """One channel: its lock (held by whoever posts into it) and when it last got a message."""

    interval: float
    clock: Callable[[], float]
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    last: float | None = None

    @asynccontextmanager
    async def send(self) -> AsyncIterator[None]:
        """Wait until INTERVAL has passed since the last message, then send one (the block)."""
        if self.last is not None:
            delay = self.last + self.interval - self.clock()
            if delay > 0:
                await asyncio.sleep(delay)
        try:
            yield
        finally:
            # Counted from when the call ended, sent or not: Slack may have counted it.
            self.last = self.clock()


class ChannelPacer:
    """A Lane per channel key; `hold(key)` gives it to one poster at a time."""

    def __init__(
        self, interval: float = CHANNEL_INTERVAL, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.interval = interval
        self.clock = clock
        self._lanes: dict[str, Lane] = {}
        self._prune_at = PRUNE_AT

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[Lane]:
        """KEY's lane, held for the block: a message and its chart upload stay together."""
        lane = self._lanes.get(key)
        if lane is None:
            self._prune()
            lane = self._lanes[key] = Lane(self.interval, self.clock)
        async with lane.lock:
            yield lane

    def _prune(self) -> None:
        """Forget idle lanes, once the lanes have doubled since the last time: a scan per new
        channel would make a tick's posts quadratic in its channels."""
        if len(self._lanes) < self._prune_at:
            return
        now = self.clock()
        for key, lane in list(self._lanes.items()):
            idle = lane.last is not None and now - lane.last > FORGET_AFTER
            if idle and not lane.lock.locked():
                del self._lanes[key]
        self._prune_at = max(PRUNE_AT, 2 * len(self._lanes))
