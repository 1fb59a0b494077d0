"""Cache keys: one per tenant, Venice key, endpoint and period; never the Venice key itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from bot.cache.keys import TenantKeys, key_fingerprint
from bot.cache.read_through import Freshness
from bot.venice.source import UsageQuery

SECRET = b"deployment secret"
KEY = SecretStr("VENICE_" + "ADMIN_KEY_" + "abcdef0123456789")


def keys(tenant: str = "slack:T1", key: SecretStr = KEY, secret: bytes = SECRET) -> TenantKeys:
    return TenantKeys.build("ns", tenant, secret, key)


def test_periods_endpoints_tenants_and_keys_are_separate_entries():
    entries = {
        keys().usage(UsageQuery("30d")).entry,
        keys().usage(UsageQuery("7d")).entry,
        keys().usage(UsageQuery(start_date="2026-10-01", end_date="2026-10-31")).entry,
        keys().balance().entry,
        keys(tenant="slack:T2").balance().entry,
        keys(key=SecretStr(KEY.get_secret_value() + "x")).balance().entry,
        keys(secret=b"another deployment").balance().entry,
    }
    assert len(entries) == 7


def test_the_same_query_is_the_same_entry():
    from_params = UsageQuery.from_params({"lookback": "30d"})
    assert keys().usage(UsageQuery("30d")) == keys().usage(from_params)
    assert keys().usage(UsageQuery(None, "2026-10-01", "2026-10-31")) == keys().usage(
        UsageQuery.from_params({"endDate": "2026-10-31", "startDate": "2026-10-01"})
    )


def test_the_key_appears_nowhere_in_a_cache_key():
    secret = KEY.get_secret_value()
    names = [keys().balance(), keys().usage(UsageQuery("30d"))]
    for entry in names:
        for name in (entry.entry, entry.lock, entry.failure):
            assert secret not in name
            assert "abcdef0123456789" not in name
    assert key_fingerprint(SECRET, KEY) in names[0].entry


def test_a_tenant_cannot_pose_as_another_by_its_name():
    # `a:b` + key K must not read as tenant `a` with some other segment.
    assert keys(tenant="a:b").prefix != keys(tenant="a").prefix
    assert keys(tenant="a:b").prefix.count(":") == keys(tenant="ab").prefix.count(":")


def test_fingerprints_ignore_surrounding_whitespace_only():
    padded = SecretStr("  " + KEY.get_secret_value() + "\n")
    assert key_fingerprint(SECRET, padded) == key_fingerprint(SECRET, KEY)
    assert len(key_fingerprint(SECRET, KEY)) == 32


NOON = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
LATE = datetime(2026, 11, 22, 23, 58, tzinfo=UTC)


@pytest.mark.parametrize(
    ("fetched_at", "now", "fresh"),
    [
        (NOON, NOON, True),
        (NOON, NOON + timedelta(seconds=599), True),
        (NOON, NOON + timedelta(seconds=600), False),
        (NOON - timedelta(seconds=5), NOON, True),  # another process's clock slightly ahead
        # An answer from before midnight is never current after it (new epoch, new `Nd` window).
        (LATE, LATE + timedelta(minutes=3), False),
    ],
)
def test_freshness_counts_from_the_fetch_and_ends_at_midnight_utc(fetched_at, now, fresh):
    assert Freshness(fresh_for=600, stale_for=86_400).is_fresh(fetched_at, now) is fresh


def test_an_entry_is_kept_for_freshness_plus_the_stale_window():
    assert Freshness(fresh_for=600, stale_for=86_400).keep_for == 87_000
