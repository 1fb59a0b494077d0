"""Runtime wires the cache: one per process, Redis when REDIS_URL is set, every tenant behind it."""

from __future__ import annotations

from pydantic import SecretStr

from bot.cache.keys import DEFAULT_NAMESPACE, TenantKeys
from bot.deadline import Deadline
from bot.runtime import CACHE_FINGERPRINT_SECRET, Runtime
from bot.settings import Settings
from tests.asking import parsed
from tests.cache.support import BALANCE_PATH, USAGE_PATH, calls, delete_namespace


def settings(sim, **values: object) -> Settings:
    return Settings.model_validate({"VENICE_API_BASE": sim.base_url, **values})


async def test_without_redis_url_answers_are_cached_in_the_process(sim):
    runtime = Runtime.build(settings(sim))
    try:
        assert runtime.cache.backend_name == "memory"
        key = SecretStr("sim-admin")
        first = await runtime.ask(parsed("usage 30d"), key)
        second = await runtime.ask(parsed("usage 30d"), key)
    finally:
        await runtime.aclose()
    assert first.outcome == second.outcome == "answered"
    assert second.card.footer.as_of == first.card.footer.as_of
    assert len(calls(sim, USAGE_PATH)) == 2  # the period and the one before, once each
    assert runtime.cache.counters.hits == 2


async def test_with_redis_url_the_cache_is_shared_by_two_runtimes(sim, redis_url: str, namespace):
    # Two runtimes stand for two processes; REDIS_URL is the only thing they share.
    first = Runtime.build(settings(sim, REDIS_URL=redis_url))
    second = Runtime.build(settings(sim, REDIS_URL=redis_url))
    key = SecretStr("sim-admin-" + namespace.rsplit(":", 1)[-1])  # a key no other run uses
    try:
        assert first.cache.backend_name == "redis"
        one = await first.ask(parsed("balance"), key)
        two = await second.ask(parsed("balance"), key)
    finally:
        await first.aclose()
        await second.aclose()
        keys = TenantKeys.build(DEFAULT_NAMESPACE, "env", CACHE_FINGERPRINT_SECRET, key)
        await delete_namespace(redis_url, keys.prefix)
    assert one.outcome == two.outcome == "answered"
    assert len(calls(sim, BALANCE_PATH)) == 1
    assert two.card.footer.as_of == one.card.footer.as_of
    assert second.cache.counters.upstream_calls == 0


async def test_workspaces_are_separate_tenants(sim):
    runtime = Runtime.build(settings(sim))
    key = SecretStr("sim-admin")
    try:
        for tenant in ("env", "slack:T1", "discord:42", "slack:T1"):
            source = runtime.source_for(key, tenant=tenant)
            assert source is not None
            await source.balance(Deadline.after(5))
    finally:
        await runtime.aclose()
    assert len(calls(sim, BALANCE_PATH)) == 3


def test_fingerprints_are_keyed_by_the_master_keyring(tmp_path):
    """With a keyring, a copy of Redis cannot be matched against a known key without it."""
    from bot.runtime import cache_fingerprint_secret
    from bot.secrets import generate_master_key

    k1, k2 = generate_master_key("k1"), generate_master_key("k2")
    plain = Settings.model_validate({})
    ring = Settings.model_validate({"VENICE_BOT_MASTER_KEYS": k1.encoded()})
    rotated = Settings.model_validate({"VENICE_BOT_MASTER_KEYS": f"{k2.encoded()},{k1.encoded()}"})
    keyring_file = tmp_path / "master-keys"
    keyring_file.write_text(k1.encoded() + "\n")
    keyring_file.chmod(0o600)
    from_file = Settings.model_validate({"VENICE_BOT_MASTER_KEYS_FILE": str(keyring_file)})

    assert cache_fingerprint_secret(plain) == CACHE_FINGERPRINT_SECRET
    secret = cache_fingerprint_secret(ring)
    assert secret not in (CACHE_FINGERPRINT_SECRET, k1.material)
    assert cache_fingerprint_secret(from_file) == secret  # every process with the keyring agrees
    assert cache_fingerprint_secret(rotated) not in (secret, CACHE_FINGERPRINT_SECRET)
    key = SecretStr("sim-admin-team")
    with_ring = TenantKeys.build(DEFAULT_NAMESPACE, "env", secret, key).prefix
    without = TenantKeys.build(DEFAULT_NAMESPACE, "env", CACHE_FINGERPRINT_SECRET, key).prefix
    assert with_ring != without
