"""Scripted trouble for the simulator: added latency and queued error answers."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import Response

from venice_simulator.jsontext import json_response

# What Venice says for each failure; anything else gets a generic message.
_MESSAGES = {
    400: "Invalid request parameters",
    401: "Authentication failed",
    403: "Forbidden",
    404: "Not found",
    429: "Rate limit exceeded",
    500: "Inference processing failed",
    502: "Bad gateway",
    503: "Service temporarily unavailable",
    504: "Query timed out - try reducing the lookback period",
}


@dataclass(frozen=True, slots=True)
class Fault:
    """One queued answer: the status, an optional Retry-After, and an optional body."""

    status: int
    retry_after: float | None = None
    body: dict[str, Any] | None = None

    def response(self) -> Response:
        """The HTTP answer Venice would give for this failure."""
        body = (
            self.body
            if self.body is not None
            else {"error": _MESSAGES.get(self.status, f"Simulated failure {self.status}")}
        )
        headers: dict[str, str] = {}
        if self.retry_after is not None:
            headers["Retry-After"] = f"{self.retry_after:g}"
        if self.status == 429:
            headers["x-ratelimit-remaining-requests"] = "0"
        return json_response(body, self.status, headers)


@dataclass
class Faults:
    """Latency added before every /api/v1 answer and a queue of answers for /billing/* and
    /api_keys requests.

    Tests change it from their own thread while the server reads it: the queue is locked.
    """

    latency: float = 0.0
    _queue: deque[Fault] = field(default_factory=deque, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def fail_next(
        self,
        status: int,
        times: int = 1,
        *,
        retry_after: float | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        """Answer the next `times` /billing/* or /api_keys requests with `status` (even 200)."""
        with self._lock:
            self._queue.extend(Fault(status, retry_after, body) for _ in range(times))

    def clear(self) -> None:
        """No latency and no queued failures."""
        with self._lock:
            self._queue.clear()
            self.latency = 0.0

    @property
    def pending(self) -> int:
        """How many queued failures are left."""
        with self._lock:
            return len(self._queue)

    def take(self) -> Fault | None:
        """The next queued failure, if any (consumed)."""
        with self._lock:
            return self._queue.popleft() if self._queue else None
