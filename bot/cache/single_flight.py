"""One shared task per cache key in this process: concurrent identical requests share one call.

Each caller waits with its own time budget (`asyncio.shield`, so a caller giving up never
cancels the call the others are waiting for); the task runs on and stores its answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

from bot.deadline import Deadline
from bot.venice.source import Fetched

R = TypeVar("R")
T = TypeVar("T")


class Flight(Generic[T, R]):
    """One in-flight resolution of a key. `stale` is set once the task has read an old entry,
    so a caller whose budget runs out can still be answered with it."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.stale: Fetched[T] | None = None
        self.task: asyncio.Task[R]

    async def wait(self, deadline: Deadline) -> R:
        """The task's result, or TimeoutError when DEADLINE passes first (the task runs on)."""
        return await asyncio.wait_for(asyncio.shield(self.task), deadline.remaining())


class SingleFlight:
    """The flights in progress, by key."""

    def __init__(self) -> None:
        self._flights: dict[str, Flight[Any, Any]] = {}

    def __len__(self) -> int:
        return len(self._flights)

    def join(
        self, key: str, work: Callable[[Flight[T, R]], Coroutine[Any, Any, R]]
    ) -> tuple[Flight[T, R], bool]:
        """The flight for KEY, started with WORK if none is running; True when joined."""
        running = self._flights.get(key)
        if running is not None and not running.task.done():
            return running, True
        flight: Flight[T, R] = Flight(key)
        flight.task = asyncio.create_task(work(flight), name=f"cache flight {key[-40:]}")
        self._flights[key] = flight
        flight.task.add_done_callback(lambda _: self._finished(flight))
        return flight, False

    def _finished(self, flight: Flight[Any, Any]) -> None:
        if self._flights.get(flight.key) is flight:
            del self._flights[flight.key]
        if not flight.task.cancelled():
            flight.task.exception()  # retrieved: every caller may have given up already

    async def aclose(self) -> None:
        """Cancel the flights still running and wait for them to finish."""
        tasks = [flight.task for flight in self._flights.values() if not flight.task.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
