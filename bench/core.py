"""Benchmark: command parse + handler + text render on a 90-day payload (50 models, 50 keys).

The Venice call is replaced by the already parsed payload, so the figures are the bot's own cost.
Run with `make bench`; prints p50/p99 per command. Goal: p50 under 2 ms for `usage 90d`.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.console.render import render_text
from bench.support import answered, percentile, print_header, sample
from bot.venice.models import Balance, UsageAnalytics
from bot.venice.static_source import StaticBillingSource

NOW = datetime(2026, 11, 22, 14, 3, tzinfo=UTC)
COMMANDS = ("balance", "usage 90d", "usage 30d", "top-keys 90d 50", "top-models 90d 50", "help")


def _amount(rng: random.Random, scale: float) -> Decimal:
    return Decimal(f"{rng.uniform(0, scale):.6f}")


def build_payload(days: int = 90, models: int = 50, keys: int = 50) -> dict[str, Any]:
    """A Venice usage-analytics body: `days` rows, `models` models with breakdowns, `keys` keys."""
    rng = random.Random(42)
    today = NOW.date()
    by_date = [
        {
            "date": f"{(today - timedelta(days=i)).isoformat()}T00:00:00.000Z",
            "USD": _amount(rng, 40),
            "DIEM": _amount(rng, 250),
        }
        for i in range(days)
    ]
    by_model = []
    for i in range(models):
        parts = [
            {
                "type": kind,
                "usd": _amount(rng, 5),
                "diem": _amount(rng, 20),
                "units": rng.randint(1000, 9_000_000),
            }
            for kind in ("Input", "Output", "Cache Read", "Cache Write")
        ]
        by_model.append(
            {
                "modelName": f"Model {i:02d}",
                "unitType": "tokens",
                "modelType": "LLM",
                "totalUsd": sum((p["usd"] for p in parts), Decimal(0)),
                "totalDiem": sum((p["diem"] for p in parts), Decimal(0)),
                "totalUnits": sum(p["units"] for p in parts),
                "breakdown": parts,
            }
        )
    by_key = [
        {
            "apiKeyId": None if i == 0 else f"key_{i:04d}",
            "description": "Web App" if i == 0 else f"Key {i:02d}",
            "totalUsd": _amount(rng, 100),
            "totalDiem": _amount(rng, 500),
            "totalUnits": rng.randint(1000, 90_000_000),
        }
        for i in range(keys)
    ]
    return {
        "lookback": f"{days}d",
        "byDate": by_date,
        "byModel": by_model,
        "byKey": by_key,
        "byModelDaily": [],
        "topModels": [],
        "byKeyDaily": [],
        "topKeyNames": [],
    }


def build_source() -> StaticBillingSource:
    usage = UsageAnalytics.model_validate(build_payload())
    balance = Balance.model_validate(
        {
            "canConsume": True,
            "consumptionCurrency": "DIEM",
            "balances": {"diem": Decimal("161.25"), "usd": Decimal("184.37")},
            "diemEpochAllocation": 250,
        }
    )
    return StaticBillingSource(fetched_at=NOW, balance_answer=balance, usage_answer=usage)


async def measure(text: str, source: StaticBillingSource) -> list[float]:
    """Milliseconds per run of parse + handler + render for TEXT."""

    async def run() -> object:
        return render_text((await answered(text, source, NOW)).card)

    return await sample(run)


async def main() -> None:
    source = build_source()
    print_header("core")
    print(f"{'command':<22}{'p50 ms':>10}{'p99 ms':>10}{'mean ms':>10}")
    for text in COMMANDS:
        samples = await measure(text, source)
        print(
            f"{text:<22}{percentile(samples, 0.5):>10.3f}{percentile(samples, 0.99):>10.3f}"
            f"{statistics.fmean(samples):>10.3f}"
        )


if __name__ == "__main__":
    asyncio.run(main())
