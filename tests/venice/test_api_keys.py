"""`GET /api_keys` through VeniceClient: against the simulator, and against a plain stdlib HTTP
server answering literal bodies in the shapes the simulator never sends (null limits, missing
usage, numbers for amounts, extra fields), so the parsing is not only tested against itself."""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pydantic import SecretStr

from bot.deadline import Deadline
from bot.errors import (
    AdminKeyRequired,
    BadKey,
    PaymentRequired,
    RateLimited,
    UnexpectedResponse,
    VeniceFailing,
    VeniceRejected,
)
from bot.venice.client import VeniceAccount, VeniceClient, make_http_client
from bot.venice.models import ApiKey, ApiKeys
from bot.venice.source import BillingSource, UsageQuery
from venice_simulator import INFERENCE_KEY, TEAM_KEY

KEY = SecretStr("VENICE_ADMIN_KEY_" + "literal0123456789")  # in parts: no scanner alarm


# Against the simulator


@pytest.fixture
def sim(pinned_sim):
    pinned_sim.simulator.faults.clear()
    pinned_sim.simulator.calls.clear()
    return pinned_sim


@pytest.fixture
async def team(sim) -> AsyncIterator[BillingSource]:
    async with make_http_client() as http:
        yield VeniceAccount(VeniceClient(http, sim.base_url), SecretStr(TEAM_KEY))


def named(keys: ApiKeys, name: str) -> ApiKey:
    return next(key for key in keys.keys if key.name == name)


async def test_the_team_keys_with_their_caps(team):
    fetched = await team.api_keys(Deadline.after(10))
    keys = fetched.value
    assert fetched.fetched_at.tzinfo is not None
    support = named(keys, "Support bot")
    assert support.limit_period == "LIFETIME"
    share = support.cap_share("diem")
    assert share is not None
    assert Decimal("0.9") <= share < 1
    assert share == support.used_in_period("diem") / support.limit("diem")
    sandbox = named(keys, "Intern sandbox")
    assert sandbox.spending_disabled("usd")
    assert sandbox.cap_share("usd") is None
    assert sandbox.cap_share("diem") == 0
    assert not sandbox.spending_disabled("diem")
    pipeline = named(keys, "Data pipeline")
    assert pipeline.is_admin
    assert pipeline.cap_shares() == {}
    assert pipeline.current_period_usage is None
    assert isinstance(pipeline.trailing_7d.diem, Decimal)
    assert named(keys, "Production API").limit_period == "MONTH"
    assert named(keys, "Staging").limit_period == "EPOCH"


async def test_keys_match_the_top_keys_of_the_same_seven_days(team):
    keys = (await team.api_keys(Deadline.after(10))).value
    usage = (await team.usage(UsageQuery("7d"), Deadline.after(10))).value
    for row in usage.by_key:
        if row.is_web_app:
            continue
        key = keys.by_id(row.api_key_id or "")
        assert key is not None
        if key.description:
            assert key.name == row.name
        else:  # byKey's own name for it (`Key ...89a5e5`) and ours end the same
            assert key.name == f"Key …{key.id[-6:]}"
            assert row.name.endswith(key.id[-6:])
        assert (key.trailing_7d.usd, key.trailing_7d.diem) == (row.total_usd, row.total_diem)


@pytest.mark.parametrize(
    ("key", "error"),
    [(INFERENCE_KEY, AdminKeyRequired), ("VENICE_ADMIN_KEY_nope", BadKey), ("", PaymentRequired)],
)
async def test_key_problems_are_told_apart_after_one_call(sim, key, error):
    async with make_http_client() as http:
        account = VeniceAccount(VeniceClient(http, sim.base_url), SecretStr(key))
        with pytest.raises(error):
            await account.api_keys(Deadline.after(5))
    assert [call.status for call in sim.simulator.calls] == [401 if key else 402]


async def test_server_error_and_rate_limit_are_retried(team, sim):
    sim.simulator.faults.fail_next(503)
    sim.simulator.faults.fail_next(429, retry_after=0.2)
    await team.api_keys(Deadline.after(10))
    assert [call.status for call in sim.simulator.calls] == [503, 429, 200]


@pytest.mark.parametrize("status", [400, 403, 404])
async def test_a_refusal_is_never_retried(team, sim, status):
    sim.simulator.faults.fail_next(status, times=3)
    with pytest.raises(VeniceRejected):
        await team.api_keys(Deadline.after(5))
    assert [call.status for call in sim.simulator.calls] == [status]


# Against literal bodies


class LiteralVenice:
    """A stdlib HTTP server answering every request with one status and body; it keeps each
    request's path and Authorization header."""

    def __init__(self, body: bytes | str | dict[str, object], status: int = 200) -> None:
        self.body = body if isinstance(body, bytes) else (
            body if isinstance(body, str) else json.dumps(body)
        ).encode()  # fmt: skip
        self.status = status
        self.requests: list[tuple[str, str | None]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append((self.path, self.headers.get("Authorization")))
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(outer.body)))
                self.end_headers()
                self.wfile.write(outer.body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/api/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiteralVenice:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


async def keys_from(body: bytes | str | dict[str, object], status: int = 200) -> ApiKeys:
    with LiteralVenice(body, status) as venice:
        async with make_http_client() as http:
            client = VeniceClient(http, venice.base_url, max_attempts=1)
            fetched = await client.get_api_keys(KEY, Deadline.after(5))
        assert venice.requests == [("/api/v1/api_keys", f"Bearer {KEY.get_secret_value()}")]
    return fetched.value


ODD = """{"object": "list", "hasMore": false, "data": [
 {"id": "k-null-limits", "apiKeyType": "inference", "description": "No limits at all",
  "createdAt": "2026-01-02T03:04:05.678Z", "expiresAt": null, "lastUsedAt": null,
  "last6Chars": "ab12cd", "consumptionLimits": {"usd": null, "diem": null},
  "limitPeriod": "EPOCH", "usage": {"trailingSevenDays": {"usd": "1.5", "diem": "0"}},
  "scopes": ["inference"], "rateLimitTier": {"name": "paid"}},
 {"id": "k-no-usage", "apiKeyType": "ADMIN", "description": "Usage left out",
  "createdAt": 1767225600000, "consumptionLimits": null, "limitPeriod": null},
 {"id": "k-numbers", "apiKeyType": "INFERENCE", "description": "",
  "createdAt": "2026-01-02T03:04:05", "lastUsedAt": "garbage",
  "consumptionLimits": {"usd": 25, "diem": 12.5}, "limitPeriod": "month",
  "usage": {"trailingSevenDays": {"usd": 0.1234567890123456789, "diem": null}},
  "currentPeriodUsage": {"usd": 22.5, "diem": "12.5"}},
 {"id": "k-disabled", "apiKeyType": "INFERENCE", "description": "USD off",
  "consumptionLimits": {"usd": "0", "diem": "not a number"}, "limitPeriod": "WEEK",
  "usage": {"trailingSevenDays": null}, "currentPeriodUsage": {"usd": "0"}},
 {"id": "k-limited-no-current", "consumptionLimits": {"usd": "10.00"},
  "limitPeriod": "LIFETIME", "usage": {}},
 "not a key"
]}"""


async def test_odd_bodies_are_read_leniently_and_exactly():
    keys = {key.id: key for key in (await keys_from(ODD)).keys}
    assert list(keys) == [
        "k-null-limits",
        "k-no-usage",
        "k-numbers",
        "k-disabled",
        "k-limited-no-current",
    ]
    free = keys["k-null-limits"]
    assert free.key_type == "INFERENCE"
    assert not free.is_admin
    assert free.created_at == datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    assert free.last6 == "ab12cd"
    assert (free.limit("usd"), free.limit("diem")) == (None, None)
    assert free.trailing_7d.usd == Decimal("1.5")
    assert free.cap_shares() == {}
    assert free.current_period_usage is None

    bare = keys["k-no-usage"]
    assert bare.is_admin
    assert bare.created_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert bare.limit_period is None
    assert (bare.trailing_7d.usd, bare.trailing_7d.diem) == (0, 0)
    assert bare.cap_share("usd") is None

    numbers = keys["k-numbers"]
    assert numbers.created_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)  # no zone: UTC
    assert numbers.last_used_at is None
    assert numbers.limit_period == "MONTH"
    assert numbers.limit("usd") == Decimal(25)
    assert numbers.trailing_7d.usd == Decimal("0.1234567890123456789")
    assert numbers.trailing_7d.diem == 0
    assert numbers.cap_share("usd") == Decimal("0.9")
    assert numbers.cap_share("diem") == 1
    assert numbers.name == "Key …umbers"  # no description: named after its id, as byKey

    disabled = keys["k-disabled"]
    assert disabled.spending_disabled("usd")
    assert disabled.cap_share("usd") is None
    assert disabled.limit("diem") is None  # unreadable: not a limit
    assert disabled.limit_period == "WEEK"  # a period Venice may add is kept as sent

    unsaid = keys["k-limited-no-current"]
    assert unsaid.limit("usd") == Decimal("10.00")
    assert unsaid.cap_share("usd") is None  # Venice did not say what it used


@pytest.mark.parametrize("body", ['{"object": "list"}', '{"data": null}', '{"data": {}}'])
async def test_no_list_is_no_keys(body):
    assert (await keys_from(body)).keys == ()


async def test_a_body_that_is_not_json_is_an_unexpected_answer():
    with pytest.raises(UnexpectedResponse) as raised:
        await keys_from(b"<html>maintenance</html>")
    assert "/api_keys" in str(raised.value)


async def test_an_error_quoting_the_key_never_repeats_it():
    body = {"error": f"key {KEY.get_secret_value()} is not allowed here"}
    with pytest.raises(VeniceRejected) as raised:
        await keys_from(body, status=403)
    assert KEY.get_secret_value() not in str(raised.value)


async def test_a_failing_venice_is_venice_failing():
    with pytest.raises(VeniceFailing):
        await keys_from({"error": "Internal"}, status=500)


async def test_rate_limit_without_time_left_is_reported():
    with pytest.raises(RateLimited):
        await keys_from({"error": "Rate limit exceeded"}, status=429)


# The share of a cap, as a table


def key_with(limits: dict[str, object], current: dict[str, object] | None) -> ApiKey:
    row: dict[str, object] = {"id": "k", "consumptionLimits": limits, "limitPeriod": "EPOCH"}
    if current is not None:
        row["currentPeriodUsage"] = current
    return ApiKey.model_validate(row)


@pytest.mark.parametrize(
    ("limit", "used", "share", "disabled"),
    [
        ("100", "90", Decimal("0.9"), False),
        ("100", "0", Decimal(0), False),
        ("100", "101.5", Decimal("1.015"), False),  # past the cap: shown, not clamped
        ("0.30", "0.10", Decimal(1) / 3, False),
        ("0", "0", None, True),  # spending disabled: no share
        (None, "5", None, False),  # no limit
        ("100", None, None, False),  # Venice did not send the period's usage
    ],
)
def test_cap_share(limit, used, share, disabled):
    current = None if used is None else {"usd": used, "diem": "0"}
    key = key_with({"usd": limit, "diem": None}, current)
    assert key.cap_share("usd") == share
    assert key.spending_disabled("usd") is disabled
    assert key.cap_share("diem") is None
    assert not key.spending_disabled("diem")
