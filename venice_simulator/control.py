"""Control routes outside /api/v1, so another process can script faults and read the calls.

POST   /_sim/faults  {"latency": 0.5, "fail": [{"status": 429, "times": 1, "retry_after": 1}]}
DELETE /_sim/faults  no latency, no queued failures
GET    /_sim/calls   the recorded /api/v1 calls, oldest first
DELETE /_sim/calls   forget them
POST   /_sim/clock   {"now": "2026-11-22T14:03:00Z"} pins the simulator's time
DELETE /_sim/clock   back to real time
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from venice_simulator.faults import Faults
from venice_simulator.jsontext import json_response, standard_error

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class RecordedCall:
    """One request to /api/v1: never the key itself, only its kind."""

    method: str
    path: str  # relative to /api/v1, e.g. "/billing/usage-analytics"
    query: dict[str, str]
    status: int
    key_kind: str  # admin | inference | unknown | none
    user_agent: str | None


class Controlled(Protocol):
    """What the control routes script and read: the simulator (app.py's Simulator is one)."""

    faults: Faults
    calls: list[RecordedCall]
    clock: Clock

    def now(self) -> datetime:
        """The simulator's current time, in UTC."""
        ...


async def _json_object(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise ValueError("the body is not JSON") from None
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    return body


def _set_faults(simulator: Controlled, body: dict[str, Any]) -> None:
    latency = body.get("latency")
    fails = body.get("fail", [])
    if latency is not None and (not isinstance(latency, int | float) or latency < 0):
        raise ValueError("latency must be a number of seconds")
    if not isinstance(fails, list) or not all(isinstance(f, dict) for f in fails):
        raise ValueError("fail must be a list of objects")
    for fail in fails:
        if not isinstance(fail.get("status"), int):
            raise ValueError("every fail needs an integer status")
    if latency is not None:
        simulator.faults.latency = float(latency)
    for fail in fails:
        simulator.faults.fail_next(
            fail["status"],
            int(fail.get("times", 1)),
            retry_after=fail.get("retry_after"),
            body=fail.get("body"),
        )


def routes(simulator: Controlled) -> list[Route]:
    """The /_sim routes bound to one simulator."""

    async def faults(request: Request) -> Response:
        if request.method == "DELETE":
            simulator.faults.clear()
        else:
            try:
                _set_faults(simulator, await _json_object(request))
            except (ValueError, TypeError) as problem:
                return standard_error(400, str(problem))
        state = {"latency": simulator.faults.latency, "pending": simulator.faults.pending}
        return json_response(state)

    async def calls(request: Request) -> Response:
        if request.method == "DELETE":
            simulator.calls.clear()
        return json_response([asdict(call) for call in simulator.calls])

    async def clock(request: Request) -> Response:
        if request.method == "DELETE":
            simulator.clock = lambda: datetime.now(UTC)
        else:
            try:
                pinned = datetime.fromisoformat(str((await _json_object(request))["now"]))
            except (ValueError, KeyError) as problem:
                return standard_error(400, f"expected {{'now': ISO 8601}}: {problem}")
            if pinned.tzinfo is None:
                pinned = pinned.replace(tzinfo=UTC)
            simulator.clock = lambda: pinned
        return json_response({"now": simulator.now().isoformat()})

    return [
        Route("/_sim/faults", faults, methods=["POST", "DELETE"]),
        Route("/_sim/calls", calls, methods=["GET", "DELETE"]),
        Route("/_sim/clock", clock, methods=["POST", "DELETE"]),
    ]
