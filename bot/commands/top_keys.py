"""`top-keys [PERIOD] [N]`: API keys (and the web app) ranked by spend over a period."""

from __future__ import annotations

from bot.cards import Card, Column, Row, Table, Tone
from bot.commands.base import DEFAULT_LIMIT, CommandContext, CommandSpec, Invocation
from bot.commands.footer import (
    CREDIT_NOTE,
    between,
    date_span,
    period_data,
    period_heading,
    report_footer,
)
from bot.commands.period import DEFAULT_PERIOD, parse_period
from bot.commands.ranking import Ranking, rank_by_spend
from bot.money import format_diem, format_quantity, format_spend, format_usd
from bot.venice.models import KeyUsage
from bot.venice.source import UsageQuery

WEB_APP_LABEL = "Web App (browser, no API key)"


def key_label(key: KeyUsage) -> str:
    """The key's description or Venice's name for it; usage from the web app says so."""
    return WEB_APP_LABEL if key.is_web_app else key.name


async def handle(invocation: Invocation, ctx: CommandContext) -> Card:
    """Rank the period's `byKey` rows by USD + DIEM and show the top N."""
    period = invocation.period or parse_period(DEFAULT_PERIOD, ctx.now.date())
    limit = invocation.limit or DEFAULT_LIMIT
    source = ctx.billing()
    fetched = await source.usage(UsageQuery.from_params(period.query()), ctx.deadline)
    # Rows that spent nothing and used nothing would only pad the table.
    keys = [k for k in fetched.value.by_key if k.total_usd or k.total_diem or k.total_units]
    ranking = rank_by_spend(
        keys,
        name=key_label,
        usd=lambda key: key.total_usd,
        diem=lambda key: key.total_diem,
        limit=limit,
    )
    title = f"Venice top API keys · {period_heading(period)}"
    data = {
        "period": period_data(period),
        "total": {"usd": ranking.total_usd, "diem": ranking.total_diem},
        "keys": [
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
        ],
        "omitted": {
            "count": len(ranking.omitted),
            "usd": ranking.omitted_usd,
            "diem": ranking.omitted_diem,
        },
    }
    if not ranking.shown:
        return Card(
            title=title,
            summary=f"No API key usage in this period ({date_span(period)}).",
            footer=report_footer(fetched),
            data=data,
        )
    count = len(ranking.shown) + len(ranking.omitted)
    return Card(
        title=title,
        tone=Tone.INFO,
        summary=(
            f"{count} {'key' if count == 1 else 'keys'} spent "
            f"{format_spend(ranking.total_usd, ranking.total_diem)} {between(period)}."
        ),
        tables=(_table(ranking),),
        footer=report_footer(fetched, note=CREDIT_NOTE),
        data=data,
    )


def _table(ranking: Ranking[KeyUsage]) -> Table:
    return Table(
        title="API keys by spend",
        columns=(
            Column("#", "right"),
            Column("Key"),
            Column("USD", "right"),
            Column("DIEM", "right"),
            Column("Units", "right"),
            Column("Share", "right"),
        ),
        rows=tuple(
            Row(
                (
                    str(row.rank),
                    row.name,
                    format_usd(row.usd),
                    format_diem(row.diem),
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
    handler=handle,
    details=(
        "Ranks API keys by USD + DIEM spent in the period (1 DIEM counted as $1 of credit), "
        "highest first, and shows the top N (1-50, default 10) with their share of the total; "
        "the rest are summed in one line. Usage from Venice's web app, which has no API key, "
        "gets its own row. PERIOD takes the same forms as in `usage`."
    ),
)
