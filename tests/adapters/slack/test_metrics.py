"""/metrics in Prometheus' text format: commands by name, platform and outcome, Venice calls by
endpoint and status, the cache's counts, and what the digest scheduler did."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.digest.runner import TickReport
from bot.digest.scheduler import run_scheduler
from bot.metrics import Metrics
from tests.adapters.slack.fake_slack import FakeSlack
from tests.adapters.slack.served import MEMBER, ServedBot, admin_key, seed_key
from tests.digest.test_scheduler import ScriptedTicker


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample by (name, sorted labels): the exposition parsed as Prometheus parses it."""
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def scrape(bot: ServedBot) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = httpx.get(f"{bot.url}/metrics", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return samples(response.text)


def test_a_signed_slack_command_is_counted_by_name(served: ServedBot, fake_slack: FakeSlack):
    fake_slack.admins.add("UADMIN")
    seed_key(served.settings, admin_key())
    before = scrape(served)
    assert ("venice_bot_cache_hits_total", ()) in before
    command = ("command", "balance"), ("outcome", "answered"), ("platform", "slack")
    assert ("venice_bot_commands_total", command) not in before

    assert served.command("balance", user=MEMBER).response.status_code == 200
    served.command("balance", user=MEMBER)
    served.command("nonsense", user=MEMBER)

    after = scrape(served)
    assert after[("venice_bot_commands_total", command)] == 2
    invalid = ("command", "unknown"), ("outcome", "invalid"), ("platform", "slack")
    assert after[("venice_bot_commands_total", invalid)] == 1
    timed = ("venice_bot_command_seconds_count", (("command", "balance"), ("platform", "slack")))
    assert after[timed] == 2
    # The first balance went to Venice; the second came from the cache.
    venice = ("venice_bot_venice_calls_total", (("endpoint", "balance"), ("status", "200")))
    assert after[venice] == 1
    assert (
        after[("venice_bot_cache_hits_total", ())]
        >= before[("venice_bot_cache_hits_total", ())] + 1
    )
    assert after[("venice_bot_cache_misses_total", ())] >= 1
    # Nothing in the exposition names a workspace, a user or a key.
    text = httpx.get(f"{served.url}/metrics", timeout=10).text
    assert "T0FAKE" not in text
    assert MEMBER not in text


async def test_scheduler_ticks_count_digests_by_outcome_and_their_lag():
    metrics = Metrics()
    ticker = ScriptedTicker(TickReport(posted=3, late=1, failed=1), TickReport(skipped=2))
    stop = asyncio.Event()
    task = asyncio.create_task(run_scheduler(ticker, stop, interval=0.05, metrics=metrics))
    await asyncio.sleep(0.12)
    stop.set()
    await asyncio.wait_for(task, timeout=2)
    found = samples(metrics.exposition().decode())
    assert found[("venice_bot_digests_total", (("outcome", "posted"),))] == 3
    assert found[("venice_bot_digests_total", (("outcome", "late"),))] == 1
    assert found[("venice_bot_digests_total", (("outcome", "failed"),))] == 1
    assert found[("venice_bot_digests_total", (("outcome", "skipped"),))] == 2
    assert found[("venice_bot_scheduler_ticks_total", ())] >= 2
    assert found[("venice_bot_scheduler_lag_seconds", ())] == pytest.approx(0, abs=0.05)
