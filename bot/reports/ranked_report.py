"""Ranked spend reports (`top-keys`, `top-models`, and the top rows of `usage` and the digest):
fetching the period, the spend table, a key's label, and the card around the table."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from bot.cards import Card, Column, Row, Table, Tone
from bot.command_options import DEFAULT_LIMIT
from bot.command_spec import CommandContext
from bot.invocation import Invocation
from bot.money import format_amount, format_spend
from bot.period import DEFAULT_PERIOD, Period, parse_period
from bot.reports.footer import between, date_span, period_data, report_footer
from bot.reports.ranking import Ranking, rank_by_spend
from bot.venice.models import KeyUsage, UsageAnalytics
from bot.venice.source import Fetched, UsageQuery

T = TypeVar("T")


class Totals(Protocol):
    """A `byKey` or `byModel` row: what it cost and how much it used over the period."""

    @property
    def total_usd(self) -> Decimal: ...
    @property
    def total_diem(self) -> Decimal: ...
    @property
    def total_units(self) -> Decimal: ...


R = TypeVar("R", bound=Totals)


async def fetch_ranked_usage(
    invocation: Invocation, ctx: CommandContext
) -> tuple[Period, int, Fetched[UsageAnalytics]]:
    """The period, N, and Venice's usage over the period."""
    period = invocation.period or parse_period(DEFAULT_PERIOD, ctx.now.date())
    limit = invocation.limit or DEFAULT_LIMIT
    fetched = await ctx.billing().usage(UsageQuery.from_params(period.query()), ctx.deadline)
    return period, limit, fetched


def rank_rows(rows: list[R], *, name: Callable[[R], str], limit: int) -> Ranking[R]:
    """Rank by USD + DIEM; rows that spent and used nothing would only pad the table."""
    return rank_by_spend(
        [row for row in rows if row.total_usd or row.total_diem or row.total_units],
        name=name,
        usd=lambda row: row.total_usd,
        diem=lambda row: row.total_diem,
        limit=limit,
    )


def ranked_card(
    *,
    title: str,
    noun: tuple[str, str],
    verb: str,
    nothing: str,
    period: Period,
    fetched: Fetched[UsageAnalytics],
    ranking: Ranking[T],
    table: Callable[[Ranking[T]], Table],
    rows_key: str,
    rows: list[dict[str, Any]],
    notes: tuple[str, ...] = (),
) -> Card:
    """The ranked card: `6 keys spent $3.62 and 1.20 DIEM ...`, the table, and `data`."""
    data = {
        "period": period_data(period),
        "total": {"usd": ranking.total_usd, "diem": ranking.total_diem},
        rows_key: rows,
        "omitted": {
            "count": len(ranking.omitted),
            "usd": ranking.omitted_usd,
            "diem": ranking.omitted_diem,
        },
    }
    if not ranking.shown:
        return Card(
            title=title,
            summary=f"{nothing} in this period ({date_span(period)}).",
            footer=report_footer(fetched),
            data=data,
        )
    count = len(ranking.shown) + len(ranking.omitted)
    spent = format_spend(ranking.total_usd, ranking.total_diem)
    return Card(
        title=title,
        tone=Tone.INFO,
        summary=f"{count} {noun[0] if count == 1 else noun[1]} {verb} {spent} {between(period)}.",
        tables=(table(ranking),),
        notes=notes,
        footer=report_footer(fetched, note=ranking.footer_note()),
        data=data,
    )


WEB_APP_LABEL = "Web App (browser, no API key)"


def key_label(key: KeyUsage) -> str:
    """The key's description or Venice's name for it; usage from the web app says so."""
    return WEB_APP_LABEL if key.is_web_app else key.name


def spend_table(ranking: Ranking[T], title: str = "Top models", name: str = "Model") -> Table:
    """The ranked rows as `# · NAME · USD · DIEM · Share` (only the currencies spent), with what
    the cut rows add up to."""
    currencies = ranking.currencies
    return Table(
        title=title,
        columns=(
            Column("#", "right"),
            Column(name),
            *(Column(currency, "right") for currency in currencies),
            Column("Share", "right"),
        ),
        rows=tuple(
            Row(
                (
                    str(row.rank),
                    row.name,
                    *(format_amount(row.amount(currency), currency) for currency in currencies),
                    ranking.share(row),
                )
            )
            for row in ranking.shown
        ),
        omitted=len(ranking.omitted),
        omitted_note=ranking.omitted_note(),
    )
