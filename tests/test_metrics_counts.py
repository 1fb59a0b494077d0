"""The metrics' view of a scheduler tick (TickCounts) is the digest's TickReport."""

from __future__ import annotations

import dataclasses

from bot.digest.runs import TickReport
from bot.metrics import DIGEST_OUTCOMES, Metrics, TickCounts


def test_tick_counts_name_every_digest_outcome_and_the_report_has_them_all():
    counted = set(TickCounts.__annotations__)
    assert counted == {*DIGEST_OUTCOMES, "failed"}
    assert counted <= {field.name for field in dataclasses.fields(TickReport)}


def test_a_tick_report_is_recorded_by_outcome():
    metrics = Metrics()
    metrics.tick(TickReport(posted=2, failed=1), lag_seconds=0.5)
    text = metrics.exposition().decode()
    assert 'venice_bot_digests_total{outcome="posted"} 2.0' in text
    assert 'venice_bot_digests_total{outcome="failed"} 1.0' in text
    assert "venice_bot_scheduler_lag_seconds 0.5" in text
