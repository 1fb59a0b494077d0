"""Cached answers are JSON with every digit of every amount: decoded, they equal Venice's."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import httpx
import pytest

from bot.cache.entries import BALANCE_CODEC, USAGE_CODEC, FailureNote, UnreadableEntry, json_text
from bot.errors import BadKey, InvalidPeriod, RateLimited, VeniceError, VeniceFailing
from bot.venice.models import Balance, UsageAnalytics
from bot.venice.responses import read_json
from bot.venice.source import Fetched
from venice_simulator.server import RunningSimulator

FETCHED_AT = datetime(2026, 11, 22, 14, 3, 7, 123456, tzinfo=UTC)


def venice_body(sim: RunningSimulator, path: str, params: dict[str, str]) -> bytes:
    response = httpx.get(
        sim.base_url + path, params=params, headers={"Authorization": "Bearer sim-admin"}
    )
    response.raise_for_status()
    return response.content


@pytest.mark.parametrize("lookback", ["1d", "30d"])
def test_usage_survives_the_cache_exactly(sim: RunningSimulator, lookback: str):
    body = venice_body(sim, "/billing/usage-analytics", {"lookback": lookback})
    original = Fetched(UsageAnalytics.model_validate(read_json(body)), FETCHED_AT)
    decoded = USAGE_CODEC.decode(USAGE_CODEC.encode(original))
    assert decoded == original
    assert decoded.fetched_at == FETCHED_AT
    # The raw daily series too: Decimals stay Decimals (not strings, not floats).
    assert decoded.value.by_model_daily == original.value.by_model_daily
    assert any(
        isinstance(value, Decimal) for row in decoded.value.by_model_daily for value in row.values()
    )


def test_balance_survives_the_cache_exactly(sim: RunningSimulator):
    body = venice_body(sim, "/billing/balance", {})
    original = Fetched(Balance.model_validate(read_json(body)), FETCHED_AT)
    assert BALANCE_CODEC.decode(BALANCE_CODEC.encode(original)) == original


def test_digits_beyond_a_float_are_kept():
    amount = Decimal("0.1234567890123456789012345")
    original = Fetched(
        Balance.model_validate({"balances": {"usd": amount, "diem": Decimal("1E+2")}}), FETCHED_AT
    )
    decoded = BALANCE_CODEC.decode(BALANCE_CODEC.encode(original))
    assert decoded.value.balances.usd == amount
    assert str(decoded.value.balances.usd) == str(amount)
    assert decoded.value.balances.diem == Decimal(100)


def test_an_entry_is_plain_json_with_a_version():
    raw = BALANCE_CODEC.encode(Fetched(Balance(), FETCHED_AT))
    document = json.loads(raw)  # never pickle: any JSON reader can read it
    assert document["v"] == 1
    assert document["kind"] == "balance"
    assert datetime.fromisoformat(document["fetched_at"]) == FETCHED_AT


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not json",
        b"[]",
        b'{"v": 2, "kind": "balance", "fetched_at": "2026-11-22T14:03:00+00:00", "value": {}}',
        b'{"v": 1, "kind": "usage", "fetched_at": "2026-11-22T14:03:00+00:00", "value": {}}',
        b'{"v": 1, "kind": "balance", "fetched_at": "2026-11-22T14:03:00", "value": {}}',
        b'{"v": 1, "kind": "balance", "fetched_at": "yesterday", "value": {}}',
        b'{"v": 1, "kind": "balance", "value": {}}',
        b'{"v": 1, "kind": "balance", "fetched_at": "2026-11-22T14:03:00Z", "value": []}',
        b"\x80\x04\x95",  # the start of a pickle
    ],
)
def test_unreadable_entries_are_refused(raw: bytes):
    with pytest.raises(UnreadableEntry):
        BALANCE_CODEC.decode(raw)


def test_json_text_refuses_what_json_cannot_hold_exactly():
    with pytest.raises(ValueError, match="finite"):
        json_text({"x": Decimal("NaN")})
    with pytest.raises(TypeError):
        json_text({"x": 1.5})
    assert json_text({"d": FETCHED_AT.date(), "n": [1, True, None, "é"]}) == (
        '{"d":"2026-11-22","n":[1,true,null,"\\u00e9"]}'
    )


@pytest.mark.parametrize(
    "error",
    [
        VeniceFailing("Venice is having trouble (HTTP 503); try again in a minute.", status=503),
        RateLimited("Venice is rate-limiting requests; try again in 3 s.", retry_after=2.5),
        InvalidPeriod("Venice did not accept that period: too long.", detail="lookback: max 90"),
        BadKey("Venice does not recognise this API key."),
    ],
)
def test_a_failure_note_rebuilds_the_same_error(error: VeniceError):
    note = FailureNote.decode(FailureNote(b"token-1", error).encode())
    assert note is not None
    assert note.token == b"token-1"
    assert type(note.error) is type(error)
    assert note.error.message == error.message
    assert note.error.status == error.status
    assert vars(note.error) == vars(error)


@pytest.mark.parametrize("raw", [b"", b"{}", b'{"v": 9}', b'{"v": 1, "token": "t"}', b"[1]"])
def test_an_unreadable_failure_note_is_ignored(raw: bytes):
    assert FailureNote.decode(raw) is None


def test_an_unknown_error_name_becomes_a_plain_venice_error():
    raw = json.dumps(
        {"v": 1, "token": "t", "error": "SystemExit", "message": "m", "status": None}
    ).encode()
    note = FailureNote.decode(raw)
    assert note is not None
    assert type(note.error) is VeniceError


def test_fetched_at_keeps_its_instant_when_not_utc():
    moment = FETCHED_AT.astimezone(timezone(timedelta(hours=2)))
    decoded = BALANCE_CODEC.decode(BALANCE_CODEC.encode(Fetched(Balance(), moment)))
    assert decoded.fetched_at == FETCHED_AT
