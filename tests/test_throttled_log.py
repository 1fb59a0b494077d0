"""A warning that keeps happening is logged at most once a minute, with the count between."""

from __future__ import annotations

import logging

import pytest

from bot.throttled_log import ThrottledWarnings


def test_one_line_a_minute_per_key_with_the_count_of_the_rest(caplog: pytest.LogCaptureFixture):
    now = [1000.0]
    warnings = ThrottledWarnings(logging.getLogger("bot.test"), clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="bot.test"):
        assert warnings.warn("unsigned", "refused an unsigned request")
        for _ in range(500):
            now[0] += 0.1
            assert not warnings.warn("unsigned", "refused an unsigned request")
        assert warnings.warn("stale", "refused a stale request")  # another kind: its own line
        now[0] += 10.1  # 60.1 s after the first line
        assert warnings.warn("unsigned", "refused an unsigned request")
    assert [record.getMessage() for record in caplog.records] == [
        "refused an unsigned request (logged at most once a minute)",
        "refused a stale request (logged at most once a minute)",
        "refused an unsigned request (500 more in the last 60 s)",
    ]
