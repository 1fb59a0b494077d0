"""`top-keys [PERIOD] [N]`: API keys (and the web app) ranked by spend over a period."""

from __future__ import annotations

from bot.cards import Card, Column, Row, Table
from bot.command_options import LIMIT, PERIOD
from bot.command_spec import CommandContext, CommandSpec
from bot.invocation import Invocation
from bot.money import format_amount, format_quantity
from bot.reports.footer import period_heading
from bot.reports.ranked_report import fetch_ranked_usage, key_label, rank_rows, ranked_card
from bot.reports.ranking import Ranking
from bot.venice.models import KeyUsage

# Venice counts a key's units across every model it used: tokens, images, characters, seconds.
UNITS_NOTE = (
    "Units: everything a key used, added up as Venice counts it (tokens, images, characters, "
    "seconds); `top-models` shows them by kind."
)


async def handle(invocation: Invocation, ctx: CommandContext) -> Card:
    """Rank the period's `byKey` rows by USD + DIEM and show the top N."""
    period, limit, fetched = await fetch_ranked_usage(invocation, ctx)
    ranking = rank_rows(fetched.value.by_key, name=key_label, limit=limit)
    rows = [
        {
            "rank": row.rank,
            "name": row.name,
            "web_app": row.item.is_web_app,
            "usd": row.usd,
            "diem": row.diem,
            "units": row.item.total_units,
            "share": ranking.share_fraction(row),
        }
        for row in ranking.shown
    ]
    return ranked_card(
        title=f"Venice top API keys · {period_heading(period)}",
        noun=("key", "keys"),
        nothing="No API key usage",
        verb="spent",
        period=period,
        fetched=fetched,
        ranking=ranking,
        table=_table,
        rows_key="keys",
        rows=rows,
        notes=(UNITS_NOTE,),
    )


def _table(ranking: Ranking[KeyUsage]) -> Table:
    currencies = ranking.currencies
    return Table(
        title="API keys by spend",
        columns=(
            Column("#", "right"),
            Column("Key"),
            *(Column(currency, "right") for currency in currencies),
            Column("Units", "right"),
            Column("Share", "right"),
        ),
        rows=tuple(
            Row(
                (
                    str(row.rank),
                    row.name,
                    *(format_amount(row.amount(currency), currency) for currency in currencies),
                    format_quantity(row.item.total_units),
                    ranking.share(row),
                )
            )
            for row in ranking.shown
        ),
        omitted=len(ranking.omitted),
        omitted_note=ranking.omitted_note(),
    )


SPEC = CommandSpec(
    name="top-keys",
    summary="API keys ranked by spend over a period (default 7d, top 10)",
    usage="top-keys [PERIOD] [N]",
    examples=("top-keys 30d 5", "top-keys", "top-keys this-month", "top-keys 7d 20"),
    arguments=("period", "limit"),
    options=(PERIOD, LIMIT),
    handler=handle,
    details=(
        "Ranks API keys by USD + DIEM spent in the period (1 DIEM counted as $1 of credit), "
        "highest first, and shows the top N (1-50, default 10) with their share of the total; "
        "the rest are summed in one line. Usage from Venice's web app, which has no API key, "
        "gets its own row. PERIOD takes the same forms as in `usage`."
    ),
    shareable=True,
)
