"""`top-models [PERIOD] [N]`: models ranked by spend, each with its token-type breakdown."""

from __future__ import annotations

from decimal import Decimal

from bot.cards import Card, Column, Row, Table
from bot.command_options import LIMIT, PERIOD
from bot.command_spec import CommandContext, CommandSpec
from bot.invocation import Invocation
from bot.money import apportion, format_amount, format_units
from bot.reports.footer import period_heading
from bot.reports.ranked_report import fetch_ranked_usage, rank_rows, ranked_card
from bot.reports.ranking import Ranked, Ranking
from bot.venice.models import ModelUsage

TINY = Decimal("0.001")  # shown as `<$0.01` / `<0.01 DIEM`


async def handle(invocation: Invocation, ctx: CommandContext) -> Card:
    """Rank the period's `byModel` rows by USD + DIEM and show the top N with breakdowns."""
    period, limit, fetched = await fetch_ranked_usage(invocation, ctx)
    ranking = rank_rows(fetched.value.by_model, name=lambda model: model.model_name, limit=limit)
    rows = [
        {
            "rank": row.rank,
            "model": row.name,
            "type": row.item.model_type,
            "unit_type": row.item.unit_type,
            "usd": row.usd,
            "diem": row.diem,
            "units": row.item.total_units,
            "share": ranking.share_fraction(row),
            "breakdown": [
                {"type": part.type, "usd": part.usd, "diem": part.diem, "units": part.units}
                for part in row.item.breakdown
            ],
        }
        for row in ranking.shown
    ]
    return ranked_card(
        title=f"Venice top models · {period_heading(period)}",
        noun=("model", "models"),
        nothing="No model usage",
        verb="cost",
        period=period,
        fetched=fetched,
        ranking=ranking,
        table=_table,
        rows_key="models",
        rows=rows,
    )


def breakdown_amounts(whole: Decimal, parts: list[Decimal], currency: str) -> list[str]:
    """The token types' amounts as shown: they add up to the model's amount as shown (each within
    a cent of its own figure), unless Venice's parts do not add up to the model's total."""
    shown = apportion(whole, parts)
    if shown is None:
        return [format_amount(part, currency) for part in parts]
    # A part left at no cent still says it spent something: `<$0.01`, not `$0.00`.
    return [
        format_amount(min(part, TINY) if cents == 0 else cents, currency)
        for part, cents in zip(parts, shown, strict=True)
    ]


def _rows(row: Ranked[ModelUsage], share: str, currencies: tuple[str, ...]) -> list[Row]:
    model = row.item
    rows = [
        Row(
            (
                str(row.rank),
                row.name,
                (model.model_type or "-").upper(),
                *(format_amount(row.amount(currency), currency) for currency in currencies),
                format_units(model.total_units, model.unit_type),
                share,
            )
        )
    ]
    # Venice sends a breakdown only when a model has more than one token type.
    parts = model.breakdown
    amounts = [
        breakdown_amounts(
            row.amount(currency),
            [part.usd if currency == "USD" else part.diem for part in parts],
            currency,
        )
        for currency in currencies
    ]
    rows.extend(
        Row(
            (
                "",
                part.type,
                "",
                *(column[index] for column in amounts),
                format_units(part.units, model.unit_type),
                "",
            ),
            level=1,
        )
        for index, part in enumerate(parts)
    )
    return rows


def _table(ranking: Ranking[ModelUsage]) -> Table:
    currencies = ranking.currencies
    return Table(
        title="Models by spend",
        columns=(
            Column("#", "right"),
            Column("Model"),
            Column("Type"),
            *(Column(currency, "right") for currency in currencies),
            Column("Units", "right"),
            Column("Share", "right"),
        ),
        rows=tuple(
            line for row in ranking.shown for line in _rows(row, ranking.share(row), currencies)
        ),
        omitted=len(ranking.omitted),
        omitted_note=ranking.omitted_note(),
    )


SPEC = CommandSpec(
    name="top-models",
    summary="Models ranked by spend over a period, with token-type breakdowns (default 7d, top 10)",
    usage="top-models [PERIOD] [N]",
    examples=("top-models 30d 5", "top-models", "top-models yesterday", "top-models 90d 20"),
    arguments=("period", "limit"),
    options=(PERIOD, LIMIT),
    handler=handle,
    details=(
        "Ranks models by USD + DIEM spent in the period (1 DIEM counted as $1 of credit), "
        "highest first, and shows the top N (1-50, default 10) with their type, units and share "
        "of the total. Under each model, its spend per token type (input, output, cache) when "
        "Venice reports more than one. PERIOD takes the same forms as in `usage`."
    ),
    shareable=True,
)
