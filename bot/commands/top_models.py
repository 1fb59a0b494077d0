"""`top-models [PERIOD] [N]`: models ranked by spend, each with its token-type breakdown."""

from __future__ import annotations

from bot.cards import Card, Column, Row, Table
from bot.commands.base import CommandContext, CommandSpec, Invocation
from bot.commands.footer import period_heading
from bot.commands.ranked_report import fetch_ranked_usage, rank_rows, ranked_card
from bot.commands.ranking import Ranked, Ranking
from bot.money import format_diem, format_units, format_usd
from bot.venice.models import ModelUsage


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


def _rows(row: Ranked[ModelUsage], share: str) -> list[Row]:
    model = row.item
    rows = [
        Row(
            (
                str(row.rank),
                row.name,
                (model.model_type or "-").upper(),
                format_usd(row.usd),
                format_diem(row.diem),
                format_units(model.total_units, model.unit_type),
                share,
            )
        )
    ]
    # Venice sends a breakdown only when a model has more than one token type.
    rows.extend(
        Row(
            (
                "",
                part.type,
                "",
                format_usd(part.usd),
                format_diem(part.diem),
                format_units(part.units, model.unit_type),
                "",
            ),
            level=1,
        )
        for part in model.breakdown
    )
    return rows


def _table(ranking: Ranking[ModelUsage]) -> Table:
    return Table(
        title="Models by spend",
        columns=(
            Column("#", "right"),
            Column("Model"),
            Column("Type"),
            Column("USD", "right"),
            Column("DIEM", "right"),
            Column("Units", "right"),
            Column("Share", "right"),
        ),
        rows=tuple(line for row in ranking.shown for line in _rows(row, ranking.share(row))),
        omitted=len(ranking.omitted),
        omitted_note=ranking.omitted_note(),
    )


SPEC = CommandSpec(
    name="top-models",
    summary="Models ranked by spend over a period, with token-type breakdowns (default 7d, top 10)",
    usage="top-models [PERIOD] [N]",
    examples=("top-models 30d 5", "top-models", "top-models yesterday", "top-models 90d 20"),
    arguments=("period", "limit"),
    handler=handle,
    details=(
        "Ranks models by USD + DIEM spent in the period (1 DIEM counted as $1 of credit), "
        "highest first, and shows the top N (1-50, default 10) with their type, units and share "
        "of the total. Under each model, its spend per token type (input, output, cache) when "
        "Venice reports more than one. PERIOD takes the same forms as in `usage`."
    ),
    shareable=True,
)
