"""Golden text renderings of the billing commands on fixed data at a fixed now.

Regenerate after an intended change with `UPDATE_GOLDEN=1 pytest tests/commands/test_golden.py`
and review the diff. A missing golden file fails: it is never written silently.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.console.render import render_text
from bot.errors import QueryTimedOut
from bot.venice.models import Balance, UsageAnalytics
from bot.venice.source import UsageQuery
from bot.venice.static_source import StaticBillingSource
from tests.asking import answer_text
from tests.commands.builders import (
    TODAY,
    balance,
    context,
    day,
    key,
    model,
    part,
    source,
    usage,
)

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def month_of_days(days: int = 30) -> list[dict]:
    """Deterministic, uneven daily spend ending today, with a few idle days (no row)."""
    rows = []
    for back in range(days):
        if back % 9 == 4:
            continue
        usd = f"{(back * 37) % 11}.{(back * 13) % 100:02d}"
        diem = f"{(back * 7) % 5}.{(back * 29) % 100:02d}"
        rows.append(day(TODAY - timedelta(days=back), usd, diem))
    return rows


MODELS = [
    model(
        "Venice Small",
        "1.20",
        "14.80",
        "8400000",
        breakdown=[
            part("Input", "0.40", "6.10", "7100000"),
            part("Output", "0.70", "8.20", "1200000"),
            part("Cache Read", "0.10", "0.50", "100000"),
        ],
    ),
    model(
        "GLM 5.1",
        "9.75",
        "31.02",
        "5120000",
        breakdown=[
            part("Input", "3.25", "10.02", "4000000"),
            part("Output", "6.50", "21.00", "1120000"),
        ],
    ),
    model("Flux Dev", "4.00", "0", "320", unit_type="images", model_type="IMAGE"),
    model("Kokoro TTS", "0.35", "0.10", "91000", unit_type="chars", model_type="TTS"),
    model("Whisper", "0.05", "0", "42", unit_type="minutes", model_type="ASR"),
    model("Qwen 3 Coder", "2.10", "0.90", "900000"),
    model("Wan 2.5", "0.004", "0", "2", unit_type="seconds", model_type="VIDEO"),
]

KEYS = [
    key("2e0c1f9a8b7c6d5e4f3a2b1c0d9eab12cd", "ci-runner", "6.10", "0.30", "3300000"),
    key(None, "Web App", "3.20", "12.00", "1400000"),
    key("7f6e5d4c3b2a1908f7e6d5c4b3a2ff99ee", None, "0.40", "22.10", "6100000"),
    key("0a1b2c3d4e5f60718293a4b5c6d7e8f901", "prod-chatbot", "7.55", "12.40", "4800000"),
    key("99aa88bb77cc66dd55ee44ff33aa22bb11", "staging", "0.20", "0", "40000"),
    key("1234567890abcdef1234567890abcdef12", "old laptop", "0.001", "0", "12"),
]

NULLS_USAGE = UsageAnalytics.model_validate(
    {
        "lookback": None,
        "byDate": [
            {"date": "2026-11-22T00:00:00.000Z", "USD": None, "DIEM": "2.5"},
            {"date": "2026-11-20", "USD": "0.75", "DIEM": None},
        ],
        "byModel": [
            {
                "modelName": None,
                "unitType": None,
                "modelType": None,
                "totalUsd": "0.75",
                "totalDiem": None,
                "totalUnits": None,
                "breakdown": None,
            },
            {
                "modelName": "Mystery",
                "unitType": "tokens",
                "modelType": None,
                "totalUsd": None,
                "totalDiem": "2.5",
                "totalUnits": "1000",
            },
        ],
        "byKey": [
            {"apiKeyId": None, "description": None, "totalUsd": None, "totalDiem": "2.5"},
            {"apiKeyId": "abcdef", "description": None, "totalUsd": "0.75", "totalDiem": None},
        ],
        "byModelDaily": None,
        "topModels": None,
    }
)
NULLS_BALANCE = Balance.model_validate(
    {
        "canConsume": False,
        "consumptionCurrency": None,
        "balances": {"diem": None, "usd": None},
        "diemEpochAllocation": None,
    }
)


def rich() -> StaticBillingSource:
    return source(
        balance_answer=balance(diem="23.45", allocation="40", usd="182.06"),
        usage_answer=usage(month_of_days(30), MODELS, KEYS, lookback="30d"),
        usage_for={
            UsageQuery(lookback="7d"): usage(month_of_days(7), MODELS[:3], KEYS[:4]),
            UsageQuery(start_date="2026-09-24", end_date="2026-10-23"): usage(month_of_days(20)),
        },
    )


def low_funds() -> StaticBillingSource:
    return source(
        balance_answer=balance(
            diem="0.40", allocation="10", usd="3.40", bundledCredits="2.00", earnedCredits="0.25"
        ),
        usage_answer=usage(month_of_days(7)),
    )


def nulls() -> StaticBillingSource:
    """Nulls wherever Venice may send them; the extra fetch (runway, comparison) times out."""
    timed_out = QueryTimedOut("Venice's query timed out. Try a shorter period.")
    return source(
        balance_answer=NULLS_BALANCE,
        usage_answer=NULLS_USAGE,
        usage_for={
            UsageQuery(lookback="7d"): NULLS_USAGE,
            UsageQuery(start_date="2026-11-09", end_date="2026-11-15"): timed_out,
        },
    )


def nulls_no_runway() -> StaticBillingSource:
    return source(
        balance_answer=NULLS_BALANCE,
        usage_answer=QueryTimedOut("Venice's query timed out. Try a shorter period."),
    )


def empty() -> StaticBillingSource:
    return source(balance_answer=Balance.model_validate({}), usage_answer=usage())


CASES: list[tuple[str, str, Callable[[], StaticBillingSource]]] = [
    ("balance", "balance", rich),
    ("balance_low_funds", "balance", low_funds),
    ("balance_nulls", "balance", nulls),
    ("balance_nulls_no_runway", "balance", nulls_no_runway),
    ("balance_empty", "balance", empty),
    ("usage_30d", "usage 30d", rich),
    ("usage_7d_nulls", "usage 7d", nulls),
    ("usage_empty", "usage 90d", empty),
    ("top_keys_30d", "top-keys 30d 4", rich),
    ("top_keys_nulls", "top-keys", nulls),
    ("top_keys_empty", "top-keys", empty),
    ("top_models_30d", "top-models 30d 4", rich),
    ("top_models_nulls", "top-models 7d", nulls),
    ("top_models_empty", "top-models", empty),
]


@pytest.mark.parametrize(("name", "text", "make_source"), CASES, ids=[c[0] for c in CASES])
async def test_golden(name, text, make_source):
    result = await answer_text(text, context(make_source()))
    assert result.outcome == "answered"
    rendered = render_text(result.card) + "\n"
    path = GOLDEN / f"{name}.txt"
    if UPDATE:
        path.write_text(rendered, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run with UPDATE_GOLDEN=1 and review it"
    assert rendered == path.read_text(encoding="utf-8")
