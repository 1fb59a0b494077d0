"""VeniceClient's reading of answers the simulator does not produce: headers, odd bodies, keys.

httpx.MockTransport replaces the network only; every byte still goes through the real client.
"""

from __future__ import annotations

import email.utils
import logging
import time
from decimal import Decimal

import httpx
import pytest
from pydantic import SecretStr

from bot.deadline import Deadline
from bot.errors import (
    BadKey,
    InvalidPeriod,
    QueryTimedOut,
    RateLimited,
    UnexpectedResponse,
    VeniceFailing,
    VeniceRejected,
    VeniceTimeout,
)
from bot.venice.client import VeniceClient, make_http_client
from bot.venice.source import UsageQuery

BASE = "https://venice.test/api/v1"
KEY = SecretStr("VENICE_ADMIN_KEY_" + "mocked0123456789")  # in parts: no scanner alarm
BALANCE = (
    b'{"canConsume":true,"consumptionCurrency":"USD",'
    b'"balances":{"diem":null,"usd":1},"diemEpochAllocation":0}'
)


class Script:
    """Answers requests in order from a list, recording each request."""

    def __init__(self, *responses: httpx.Response) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]


@pytest.fixture
async def venice():
    """Builds a VeniceClient answering from a Script: `client, script = venice(*responses)`."""
    opened: list[httpx.AsyncClient] = []

    def build(*responses: httpx.Response, max_attempts: int = 4):
        script = Script(*responses)
        http = httpx.AsyncClient(transport=httpx.MockTransport(script))
        opened.append(http)
        return VeniceClient(http, BASE, max_attempts=max_attempts), script

    yield build
    for http in opened:
        await http.aclose()


def rate_limited(**headers: str) -> httpx.Response:
    return httpx.Response(429, json={"error": "Rate limit exceeded"}, headers=headers)


async def test_amounts_keep_every_digit_venice_sent(venice):
    body = (
        b'{"byDate":[{"date":"2024-01-01",'
        b'"USD":0.1234567890123456789,"DIEM":12345678901234567890.5}]}'
    )
    client, _ = venice(httpx.Response(200, content=body))
    fetched = await client.get_usage(KEY, UsageQuery("7d"), Deadline.after(2))
    row = fetched.value.by_date[0]
    assert row.usd == Decimal("0.1234567890123456789")
    assert row.diem == Decimal("12345678901234567890.5")


async def test_request_shape(venice):
    client, script = venice(httpx.Response(200, content=BALANCE))
    await client.get_usage(KEY, UsageQuery(start_date="2024-01-01", end_date="2024-01-31"),
                           Deadline.after(2))  # fmt: skip
    request = script.requests[0]
    assert request.url.path == "/api/v1/billing/usage-analytics"
    assert dict(request.url.params) == {"startDate": "2024-01-01", "endDate": "2024-01-31"}
    assert request.headers["Authorization"] == f"Bearer {KEY.get_secret_value()}"


async def test_pasted_key_with_surrounding_whitespace_is_trimmed(venice):
    client, script = venice(httpx.Response(200, content=BALANCE))
    await client.get_balance(SecretStr(f"  {KEY.get_secret_value()}\n"), Deadline.after(2))
    assert script.requests[0].headers["Authorization"] == f"Bearer {KEY.get_secret_value()}"


async def test_empty_key_sends_no_authorization_header(venice):
    client, script = venice(httpx.Response(200, content=BALANCE))
    await client.get_balance(SecretStr(""), Deadline.after(2))
    assert "Authorization" not in script.requests[0].headers


async def test_key_that_cannot_be_a_header_is_refused_without_echo_or_request(venice):
    client, script = venice(httpx.Response(200, content=BALANCE))
    with pytest.raises(BadKey) as raised:
        await client.get_balance(SecretStr("abc\ndef-secret"), Deadline.after(2))
    assert "def-secret" not in str(raised.value)
    assert script.requests == []


async def test_expired_deadline_makes_no_request(venice):
    client, script = venice(httpx.Response(200, content=BALANCE))
    with pytest.raises(VeniceTimeout):
        await client.get_balance(KEY, Deadline(time.monotonic() - 1))
    assert script.requests == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<html>502 Bad Gateway</html>", "not JSON"),
        (b'{"byDate": [{"date": "not a day"}]}', "byDate.0.date"),
        (b'{"byDate": [{"date": "2024-01-01", "USD": NaN}]}', "not JSON"),
        (b"[1, 2]", "cannot read"),
    ],
)
async def test_unreadable_success_body(venice, body, reason):
    client, _ = venice(httpx.Response(200, content=body))
    with pytest.raises(UnexpectedResponse) as raised:
        await client.get_usage(KEY, UsageQuery("7d"), Deadline.after(2))
    assert reason in raised.value.message
    assert KEY.get_secret_value() not in raised.value.message


async def test_redirect_is_not_followed(venice):
    client, script = venice(httpx.Response(302, headers={"Location": "https://evil.test/"}))
    with pytest.raises(UnexpectedResponse):
        await client.get_balance(KEY, Deadline.after(2))
    assert len(script.requests) == 1


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (
            {"error": "Invalid request", "details": {"_errors": ["Too wide"],
             "lookback": {"_errors": ["Lookback must be at most 90d"]}}},
            "Too wide; lookback: Lookback must be at most 90d",
        ),
        ({"error": "Invalid request", "details": "startDate requires endDate"},
         "startDate requires endDate"),
        ({"error": "Invalid lookback", "details": {"_errors": []}}, "Invalid lookback"),
        ({"error": "Invalid lookback"}, "Invalid lookback"),
    ],
)  # fmt: skip
async def test_400_carries_venices_field_message(venice, body, detail):
    client, script = venice(httpx.Response(400, json=body))
    with pytest.raises(InvalidPeriod) as raised:
        await client.get_usage(KEY, UsageQuery("7d"), Deadline.after(2))
    assert raised.value.detail == detail
    assert detail in raised.value.message
    assert len(script.requests) == 1


@pytest.mark.parametrize("status", [400, 403, 404, 410])
async def test_other_4xx_are_refused_after_one_call(venice, status):
    client, script = venice(httpx.Response(status, json={"error": "Nope"}))
    with pytest.raises(VeniceRejected) as raised:
        await client.get_balance(KEY, Deadline.after(2))
    assert raised.value.status == status
    assert "Nope" in raised.value.message
    assert len(script.requests) == 1


async def test_venice_text_echoing_the_key_is_redacted(venice):
    echo = {"error": f"Key {KEY.get_secret_value()} is suspended"}
    client, _ = venice(httpx.Response(403, json=echo))
    with pytest.raises(VeniceRejected) as raised:
        await client.get_balance(KEY, Deadline.after(2))
    assert KEY.get_secret_value() not in str(raised.value)
    assert "[key] is suspended" in str(raised.value)


async def test_504_is_not_retried(venice):
    client, script = venice(httpx.Response(504, json={"error": "Query timed out"}))
    with pytest.raises(QueryTimedOut):
        await client.get_usage(KEY, UsageQuery("90d"), Deadline.after(5))
    assert len(script.requests) == 1


async def test_5xx_retries_stop_at_max_attempts(venice):
    client, script = venice(httpx.Response(503, json={"error": "down"}), max_attempts=2)
    with pytest.raises(VeniceFailing) as raised:
        await client.get_balance(KEY, Deadline.after(5))
    assert raised.value.status == 503
    assert len(script.requests) == 2


def http_date(seconds_from_now: float) -> str:
    return email.utils.formatdate(time.time() + seconds_from_now, usegmt=True)


def epoch_ms(seconds_from_now: float) -> str:
    return str(round((time.time() + seconds_from_now) * 1000))


def epoch_s(seconds_from_now: float) -> str:
    return str(round(time.time() + seconds_from_now))


# Header values are built when the test runs: absolute times must not age during collection.
@pytest.mark.parametrize(
    ("headers", "low", "high"),
    [
        (lambda: {"Retry-After": "30"}, 30, 30),
        (lambda: {"Retry-After": "2.5"}, 2.5, 2.5),
        (lambda: {"Retry-After": http_date(120)}, 110, 121),
        (lambda: {"x-ratelimit-reset-requests": "45"}, 45, 45),
        (lambda: {"x-ratelimit-reset-requests": epoch_ms(60)}, 55, 61),
        (lambda: {"x-ratelimit-reset": epoch_s(60)}, 55, 61),
        (lambda: {"x-ratelimit-reset-tokens": "1m30s"}, 90, 90),
        (
            lambda: {"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "20",
                     "x-ratelimit-remaining-tokens": "500", "x-ratelimit-reset-tokens": "50"},
            20, 20,
        ),
        (lambda: {"Retry-After": "40", "x-ratelimit-reset-requests": "99"}, 40, 40),
    ],
    ids=["seconds", "fraction", "http-date", "reset-seconds", "reset-epoch-ms",
         "reset-epoch-s", "reset-duration", "exhausted-limit-wins", "retry-after-wins"],
)  # fmt: skip
async def test_rate_limit_wait_from_any_header_form(venice, headers, low, high):
    client, script = venice(rate_limited(**headers()))
    started = time.monotonic()
    with pytest.raises(RateLimited) as raised:
        await client.get_balance(KEY, Deadline.after(1))
    assert low <= raised.value.retry_after <= high
    assert time.monotonic() - started < 0.5  # the wait does not fit: no useless sleep
    assert len(script.requests) == 1


async def test_rate_limit_without_a_wait_is_retried_then_reported(venice):
    client, script = venice(rate_limited(), max_attempts=2)
    with pytest.raises(RateLimited) as raised:
        await client.get_balance(KEY, Deadline.after(2))
    assert raised.value.retry_after is None
    assert len(script.requests) == 2


async def test_logs_never_show_the_key(venice, caplog):
    caplog.set_level(logging.DEBUG)
    client, _ = venice(
        httpx.Response(500, json={"error": "x"}), httpx.Response(200, content=BALANCE)
    )
    await client.get_balance(KEY, Deadline.after(3))
    assert "retrying" in caplog.text
    assert "/billing/balance -> 200" in caplog.text
    assert KEY.get_secret_value() not in caplog.text


async def test_shared_client_defaults():
    async with make_http_client(connect_timeout=1.5, read_timeout=9) as http:
        assert http.timeout.connect == 1.5
        assert http.timeout.read == 9
        assert http.follow_redirects is False
        assert http.headers["User-Agent"].startswith("venice-bot/")
