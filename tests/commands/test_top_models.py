"""`top-models [PERIOD] [N]`: models ranked by spend, with types, units and token breakdowns."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from bot.commands import top_models
from bot.invocation import Invocation
from bot.period import parse_period
from bot.venice.source import UsageQuery
from tests.asking import answer_text
from tests.commands.builders import (
    DOLLAR_DIEM,
    TODAY,
    card_strings,
    context,
    model,
    part,
    source,
    usage,
)

D = Decimal


async def run(models, period_text="7d", limit=10):
    src = source(usage_answer=usage(models=models))
    period = parse_period(period_text, TODAY)
    invocation = Invocation("top-models", period=period, limit=limit)
    return await top_models.handle(invocation, context(src)), src


def top_rows(card):
    return [row for row in card.tables[0].rows if row.level == 0]


async def test_ranked_by_spend_not_venice_order():
    models = [
        model("A", "1", "0"),
        model("B", "0", "3"),
        model("C", "2", "0.5"),
        model("D", "0.1", "0.2"),
    ]
    card, _ = await run(models)
    assert [row.cells[1] for row in top_rows(card)] == ["B", "C", "A", "D"]
    assert [row.cells[6] for row in top_rows(card)] == ["44.1%", "36.8%", "14.7%", "4.4%"]


async def test_columns_type_units_and_breakdown_rows():
    models = [
        model(
            "GLM 5.1",
            "0.3",
            "1.2",
            "1250000",
            model_type="LLM",
            breakdown=[
                part("Input", "0.1", "0.4", "1000000"),
                part("Output", "0.2", "0.8", "250000"),
            ],
        ),
        model("Flux", "0.5", "0", "40", unit_type="images", model_type="image"),
        model("Odd", "0.01", "0", "3", unit_type=None, model_type=None),
    ]
    card, _ = await run(models)
    rows = card.tables[0].rows
    assert [(row.level, row.cells) for row in rows] == [
        (0, ("1", "GLM 5.1", "LLM", "$0.30", "1.20 DIEM", "1.25M tokens", "74.6%")),
        (1, ("", "Input", "", "$0.10", "0.40 DIEM", "1M tokens", "")),
        (1, ("", "Output", "", "$0.20", "0.80 DIEM", "250K tokens", "")),
        (0, ("2", "Flux", "IMAGE", "$0.50", "0.00 DIEM", "40 images", "24.9%")),
        (0, ("3", "Odd", "-", "$0.01", "0.00 DIEM", "3", "0.5%")),
    ]
    assert card.data["models"][0]["breakdown"][1] == {
        "type": "Output",
        "usd": D("0.2"),
        "diem": D("0.8"),
        "units": D("250000"),
    }


async def test_top_n_and_n_more():
    models = [model(f"m{i:02}", "0.1", "0.2", "5") for i in range(12)]
    models.append(model("Big", "10", "0", breakdown=[part("Input", "5"), part("Output", "5")]))
    card, _ = await run(models, limit=2)
    [table] = card.tables
    assert [row.cells[1] for row in top_rows(card)] == ["Big", "m00"]
    assert len(table.rows) == 4  # two models, Big's two token types
    assert table.omitted == 11
    assert table.omitted_note == "$1.10 · 2.20 DIEM"


@pytest.mark.parametrize("models", [[], [model("Idle")]])
async def test_empty(models):
    card, _ = await run(models)
    assert card.tables == ()
    assert card.summary is not None
    assert card.summary.startswith("No model usage in this period")


async def test_through_the_core():
    src = source(usage_answer=usage(models=[model(f"m{i}", str(i)) for i in range(1, 15)]))
    result = await answer_text("top-models 30d 3", context(src))
    assert result.outcome == "answered"
    assert src.requests == [UsageQuery(lookback="30d")]
    assert [row.cells[1] for row in top_rows(result.card)] == ["m14", "m13", "m12"]
    assert result.card.title == "Venice top models · last 30 days"


async def test_no_dollar_sign_before_diem():
    models = [
        model(f"m{i}", "0.004", str(i), breakdown=[part("Input", "0.002", "1"), part("Output")])
        for i in range(8)
    ]
    card, _ = await run(models, limit=3)
    for text in card_strings(card):
        assert not re.search(DOLLAR_DIEM, text), text


def cents(text: str) -> Decimal:
    """The figure shown; `<$0.01` (some spend, under a cent) as nothing."""
    return (
        D(0) if text.startswith("<") else D(text.strip("$").replace(" DIEM", "").replace(",", ""))
    )


@pytest.mark.parametrize(
    ("usd_parts", "diem_parts"),
    [
        # The model: $0.65 + $0.39 + $0.20 + $0.07 shown under $1.30 before.
        (["0.654", "0.386", "0.196", "0.068"], ["0", "0", "0", "0"]),
        (["0.005", "0.005", "0.005"], ["1.115", "2.115", "0.004"]),
        (["10", "0.333333", "0.333333", "0.333334"], ["0.5", "0.5", "0", "0"]),
        (["1.25", "2.50"], ["3.125", "4.125"]),
    ],
)
async def test_breakdown_rows_add_up_to_their_model_row_as_shown(usd_parts, diem_parts):
    usd_total = sum((D(x) for x in usd_parts), D(0))
    diem_total = sum((D(x) for x in diem_parts), D(0))
    parts = [
        part(f"T{i}", usd, diem, "1")
        for i, (usd, diem) in enumerate(zip(usd_parts, diem_parts, strict=True))
    ]
    card, _ = await run([model("M", str(usd_total), str(diem_total), breakdown=parts)])
    table = card.tables[0]
    titles = [column.title for column in table.columns]
    model_row, *detail = table.rows
    for currency, exact in (("USD", usd_parts), ("DIEM", diem_parts)):
        if currency not in titles:
            assert all(D(x) == 0 for x in exact)
            continue
        column = titles.index(currency)
        shown = [row.cells[column] for row in detail]
        assert sum(map(cents, shown), D(0)) == cents(model_row.cells[column])
        for text, value in zip(shown, exact, strict=True):
            assert abs(cents(text) - D(value)) < D("0.01")  # each part within a cent
