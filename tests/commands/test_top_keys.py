"""`top-keys [PERIOD] [N]`: keys ranked by spend, the web app's row, and what was cut."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from bot.commands import top_keys
from bot.errors import VeniceFailing
from bot.invocation import Invocation
from bot.period import parse_period
from bot.venice.source import UsageQuery
from tests.asking import answer_text
from tests.commands.builders import (
    DOLLAR_DIEM,
    FETCHED_AT,
    TODAY,
    card_strings,
    context,
    key,
    source,
    usage,
)

D = Decimal


async def run(keys, period_text="7d", limit=10):
    src = source(usage_answer=usage(keys=keys))
    period = parse_period(period_text, TODAY)
    card = await top_keys.handle(Invocation("top-keys", period=period, limit=limit), context(src))
    return card, src


def names(card):
    [table] = card.tables
    return [row.cells[1] for row in table.rows]


async def test_ranked_by_usd_plus_diem_whatever_venice_order():
    keys = [
        key("k1", "ci", "5", "0"),  # Venice says highest first; it is not
        key("k2", "prod", "1", "9"),
        key("k3", "staging", "0", "6"),
        key("k4", "bravo", "3", "0"),
        key("k5", "alpha", "1", "2"),  # ties with bravo: alphabetical
    ]
    card, _ = await run(keys)
    assert names(card) == ["prod", "staging", "ci", "alpha", "bravo"]
    assert [row.cells[0] for row in card.tables[0].rows] == ["1", "2", "3", "4", "5"]


@pytest.mark.parametrize(
    ("amounts", "shares"),
    [
        ([("0.1", "0"), ("0.2", "0")], ["66.7%", "33.3%"]),
        ([("1", "1"), ("0", "2")], ["50.0%", "50.0%"]),
        ([("0.1", "0.2"), ("0.3", "0.4")], ["70.0%", "30.0%"]),
        ([("3", "0"), ("0", "0"), ("0", "0")], ["100.0%", "0.0%", "0.0%"]),
    ],
)
async def test_share_of_total_spend_counts_diem_as_credit(amounts, shares):
    keys = [key(f"id{i}", f"key{i}", usd, diem, "1") for i, (usd, diem) in enumerate(amounts)]
    card, _ = await run(keys)
    assert [row.cells[-1] for row in card.tables[0].rows] == shares
    # The note on mixing currencies only where both were spent.
    both = any(D(diem) for _, diem in amounts) and any(D(usd) for usd, _ in amounts)
    assert ("1 DIEM as $1" in (card.footer.note or "")) is both


async def test_top_n_then_and_n_more_with_exact_sums():
    keys = [key(f"id{i:02}", f"key{i:02}", "0.1", "0.2", "10") for i in range(15)]
    keys.append(key("big", "big", "50", "0"))
    card, _ = await run(keys, limit=3)
    [table] = card.tables
    assert len(table.rows) == 3
    assert table.rows[0].cells[1] == "big"
    assert table.omitted == 13
    assert table.omitted_note == "$1.30 · 2.60 DIEM"
    assert card.data["omitted"] == {"count": 13, "usd": D("1.3"), "diem": D("2.6")}
    assert card.data["total"] == {"usd": D("51.5"), "diem": D("3.0")}


async def test_nothing_omitted_means_no_note():
    card, _ = await run([key("a", "a", "1")], limit=1)
    assert card.tables[0].omitted == 0
    assert card.tables[0].omitted_note is None


@pytest.mark.parametrize(
    ("row", "label"),
    [
        (key(None, "Web App", "1"), "Web App (browser, no API key)"),
        (key(None, None, "1"), "Web App (browser, no API key)"),
        (key("abcdef123456", None, "1"), "Key …123456"),
        (key("abcdef123456", "", "1"), "Key …123456"),
        (key("abcdef123456", "Team bot", "1"), "Team bot"),
    ],
)
async def test_names(row, label):
    card, _ = await run([row])
    assert names(card) == [label]


async def test_units_and_amount_columns():
    card, _ = await run([key("k", "prod", "1234.5", "0.004", "1520000")])
    assert card.tables[0].rows[0].cells == (
        "1",
        "prod",
        "$1,234.50",
        "<0.01 DIEM",
        "1.52M",
        "100.0%",
    )


@pytest.mark.parametrize(
    "keys",
    [[], [key("k", "idle", "0", "0", "0")]],
)
async def test_empty(keys):
    card, _ = await run(keys)
    assert card.tables == ()
    assert card.summary is not None
    assert card.summary.startswith("No API key usage in this period")
    assert card.footer.as_of == FETCHED_AT


async def test_asks_for_the_period():
    _, src = await run([key("k", "k", "1")], period_text="2026-11-01..2026-11-10")
    assert src.requests == [UsageQuery(start_date="2026-11-01", end_date="2026-11-10")]


@pytest.mark.parametrize(
    ("text", "query", "shown"),
    [
        ("top-keys", UsageQuery(lookback="7d"), 10),
        ("top-keys 30d 2", UsageQuery(lookback="30d"), 2),
        ("top-keys 3 yesterday", UsageQuery(start_date="2026-11-21", end_date="2026-11-21"), 3),
    ],
)
async def test_through_the_core(text, query, shown):
    src = source(usage_answer=usage(keys=[key(f"k{i}", f"k{i}", "1") for i in range(12)]))
    result = await answer_text(text, context(src))
    assert result.outcome == "answered"
    assert src.requests == [query]
    assert len(result.card.tables[0].rows) == shown


async def test_venice_failure_fails_the_command():
    src = source(usage_answer=VeniceFailing("Venice failed (502)."))
    result = await answer_text("top-keys", context(src))
    assert result.outcome == "failed"


async def test_no_dollar_sign_before_diem():
    keys = [key(f"k{i}", None, "0.001", str(i)) for i in range(14)] + [key(None, "Web App", "2")]
    card, _ = await run(keys, limit=5)
    for text in card_strings(card):
        assert not re.search(DOLLAR_DIEM, text), text
