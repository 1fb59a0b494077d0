"""Usage-analytics bodies written from a small hand-made ledger, in each shape Venice's sources
describe for the daily series, so tests can check every figure against exact sums of the body.

The ledger maps (day, model, key) to (USD, DIEM) as strings; the body sums it by day, model and
key exactly as Venice's docs say (byDate newest first with ISO timestamps, byModel and byKey by
spend). SHAPE says what the daily series carry:
- "docs": byModelDaily / byKeyDaily in DIEM, byModelDailyUsd / byKeyDailyUsd in USD;
- "combined": byModelDaily / byKeyDaily in USD + DIEM, no USD arrays;
- "combined+usd": the same, with the USD arrays;
- "none": no daily series at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

D = Decimal
Ledger = Mapping[tuple[date, str, str], tuple[str, str]]
TOP = 8


def ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


def body(ledger: Ledger, *, shape: str = "docs", top: int = TOP) -> dict[str, Any]:
    """The `/billing/usage-analytics` body of LEDGER, daily series in SHAPE."""
    days: dict[date, list[Decimal]] = {}
    models: dict[str, list[Decimal]] = {}
    keys: dict[str, list[Decimal]] = {}
    per_day_model: dict[tuple[date, str], list[Decimal]] = {}
    per_day_key: dict[tuple[date, str], list[Decimal]] = {}
    for (day, model, key), (usd, diem) in ledger.items():
        for table, name in (
            (days, day),
            (models, model),
            (keys, key),
            (per_day_model, (day, model)),
            (per_day_key, (day, key)),
        ):
            sums = table.setdefault(name, [D(0), D(0)])  # type: ignore[attr-defined]
            sums[0] += D(usd)
            sums[1] += D(diem)

    def ranked(table: dict[str, list[Decimal]]) -> list[str]:
        return sorted(table, key=lambda name: (-(table[name][0] + table[name][1]), name))

    top_models, top_keys = ranked(models)[:top], ranked(keys)[:top]
    answer: dict[str, Any] = {
        "lookback": "7d",
        "byDate": [
            {"date": f"{day.isoformat()}T00:00:00.000Z", "USD": usd, "DIEM": diem}
            for day, (usd, diem) in sorted(days.items(), reverse=True)
        ],
        "byModel": [
            {
                "modelName": name,
                "unitType": "tokens",
                "modelType": "LLM",
                "totalUsd": models[name][0],
                "totalDiem": models[name][1],
                "totalUnits": 1000,
            }
            for name in ranked(models)
        ],
        "topModels": top_models,
        "byKey": [
            {
                "apiKeyId": f"id-{index}",
                "description": name,
                "totalUsd": keys[name][0],
                "totalDiem": keys[name][1],
                "totalUnits": 1000,
            }
            for index, name in enumerate(ranked(keys))
        ],
        "topKeyNames": top_keys,
        "byModelDaily": [],
        "byKeyDaily": [],
    }
    if shape == "none":
        return answer

    def series(names: list[str], per_day: dict[tuple[date, str], list[Decimal]], kind: str):
        rows = []
        for day in sorted(days):
            row: dict[str, Any] = {"date": ms(day)}
            for name in names:
                usd, diem = per_day.get((day, name), [D(0), D(0)])
                row[name] = {"usd": usd, "diem": diem, "both": usd + diem}[kind]
            rows.append(row)
        return rows

    main = "diem" if shape == "docs" else "both"
    answer["byModelDaily"] = series(top_models, per_day_model, main)
    answer["byKeyDaily"] = series(top_keys, per_day_key, main)
    if shape in ("docs", "combined+usd"):
        answer["byModelDailyUsd"] = series(top_models, per_day_model, "usd")
        answer["byKeyDailyUsd"] = series(top_keys, per_day_key, "usd")
    return answer


WEEK = tuple(date(2026, 11, 16 + offset) for offset in range(7))  # ends on builders.TODAY
ALL_USD_GLM_DAY = date(2026, 11, 19)
RTL_KEY = "🚀 מפתח ראשי — مفتاح الإنتاج"
ZWJ_KEY = "👩\u200d💻 dev laptop"
TRICKY_MODELS = (
    "GLM 5.1",
    "Kimi K2.6",
    "Wan 2.2 Video",
    "Qwen 3 235B",
    "DeepSeek V3.2",
    "Llama 3.3 70B",
    "Venice Small",  # spends DIEM only
    "Flux Dev",
    "Kokoro TTS",
    "Whisper",
    "ElevenLabs v3",
    "Mistral 31 24B",
)
WAN_USD = {0: "1.005", 1: "2.125", 2: "0.995", 4: "1.875", 5: "0.5"}  # $6.50 in all


def tricky_week() -> dict[tuple[date, str, str], tuple[str, str]]:
    """Twelve models over a week of half-cent amounts: one spends only DIEM, on one day all USD
    is GLM 5.1's, Wan 2.2 Video spends exactly $6.50 in USD; keys with right-to-left and emoji
    names share the spend."""
    keys = (RTL_KEY, ZWJ_KEY, "ci-runner", "Web App")
    ledger: dict[tuple[date, str, str], tuple[str, str]] = {}
    for d, day in enumerate(WEEK):
        for m, model in enumerate(TRICKY_MODELS):
            usd = D((d * 7 + m * 3) % 9) * D("0.125") + (D("0.005") if (d + m) % 4 == 0 else 0)
            diem = D((d * 5 + m * 11) % 13) * D("0.25") + (D("0.005") if (d + m) % 3 == 0 else 0)
            if model == "Venice Small":
                usd, diem = D(0), diem * 4  # among the largest, in DIEM only
            if day == ALL_USD_GLM_DAY and model != "GLM 5.1":
                usd = D(0)
            if model == "Wan 2.2 Video":
                usd = D(WAN_USD.get(d, "0"))
            if usd or diem:
                ledger[(day, model, keys[(d + m) % len(keys)])] = (str(usd), str(diem))
    return ledger
