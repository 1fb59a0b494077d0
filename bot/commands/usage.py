"""`usage [PERIOD]`: spend over a period in USD and DIEM, per day, by model, and against before."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from bot.cards import Card, Column, Field, Row, Series, Table, Tone, Trend
from bot.commands.base import CommandContext, CommandSpec, Invocation
from bot.commands.fetching import fetch_alongside
from bot.commands.footer import (
    CREDIT_NOTE,
    between,
    period_data,
    period_heading,
    report_footer,
    short_reason,
)
from bot.commands.period import DEFAULT_PERIOD, Period, parse_period
from bot.commands.ranking import Ranking, rank_by_spend
from bot.commands.spend_chart import spend_chart
from bot.errors import VeniceError
from bot.money import ZERO, format_change, format_diem, format_spend, format_usd
from bot.venice.models import DayUsage, UsageAnalytics
from bot.venice.source import Fetched, UsageQuery

TOP_MODELS = 5
CHART_TITLE = "Daily spend by model"
AVERAGE_PLACES = Decimal("0.000001")

T = TypeVar("T")


async def handle(invocation: Invocation, ctx: CommandContext) -> Card:
    """Fetch the period and, when Venice still holds it, the one before, at the same time."""
    today = ctx.now.date()
    period = invocation.period or parse_period(DEFAULT_PERIOD, today)
    previous = period.previous(today)
    source = ctx.billing()
    main = source.usage(UsageQuery.from_params(period.query()), ctx.deadline)
    before = (
        source.usage(UsageQuery.from_params(previous.query()), ctx.deadline) if previous else None
    )
    fetched, earlier = await fetch_alongside(main, before)
    return usage_card(period, fetched, previous, earlier)


def daily_totals(rows: list[DayUsage], period: Period) -> list[tuple[date, Decimal, Decimal]]:
    """One (day, USD, DIEM) per day of PERIOD, zero-filled, plus any other day Venice returned."""
    totals: dict[date, tuple[Decimal, Decimal]] = {}
    day = period.start
    while day <= period.end:
        totals[day] = (ZERO, ZERO)
        day += timedelta(days=1)
    for row in rows:
        usd, diem = totals.get(row.day, (ZERO, ZERO))
        totals[row.day] = (usd + row.usd, diem + row.diem)
    return [(day, usd, diem) for day, (usd, diem) in sorted(totals.items())]


def usage_card(
    period: Period,
    fetched: Fetched[UsageAnalytics],
    previous: Period | None,
    earlier: Fetched[UsageAnalytics] | VeniceError | None,
) -> Card:
    """The usage card; EARLIER is the previous period's usage, or why it is missing."""
    usage = fetched.value
    total_usd = sum((row.usd for row in usage.by_date), ZERO)
    total_diem = sum((row.diem for row in usage.by_date), ZERO)
    days = daily_totals(usage.by_date, period)
    title = f"Venice usage · {period_heading(period)}"
    data: dict[str, Any] = {
        "period": period_data(period),
        "total": {"usd": total_usd, "diem": total_diem},
        "average_per_day": {
            "usd": (total_usd / period.days).quantize(AVERAGE_PLACES),
            "diem": (total_diem / period.days).quantize(AVERAGE_PLACES),
        },
        "days": [{"date": day, "usd": usd, "diem": diem} for day, usd, diem in days],
        "previous": None,
        "top_models": [],
    }
    others = [earlier] if isinstance(earlier, Fetched) else []
    if total_usd == 0 and total_diem == 0:
        return Card(
            title=title,
            summary=f"No usage {between(period)}.",
            footer=report_footer(fetched, *others),
            data=data,
        )

    fields = [
        Field("Total USD", format_usd(total_usd)),
        Field("Total DIEM", format_diem(total_diem)),
        Field(
            "Average per day",
            f"{format_usd(total_usd / period.days)} · {format_diem(total_diem / period.days)}",
        ),
    ]
    notes: list[str] = []
    if previous is not None and isinstance(earlier, Fetched):
        before_usd = sum((row.usd for row in earlier.value.by_date), ZERO)
        before_diem = sum((row.diem for row in earlier.value.by_date), ZERO)
        change = {
            "usd": format_change(total_usd, before_usd),
            "diem": format_change(total_diem, before_diem),
        }
        fields.append(
            Field(f"Change vs {previous.label}", f"USD {change['usd']} · DIEM {change['diem']}")
        )
        data["previous"] = {
            "period": period_data(previous),
            "total": {"usd": before_usd, "diem": before_diem},
            "change": change,
        }
    elif isinstance(earlier, VeniceError):
        notes.append(f"Previous-period comparison unavailable: {short_reason(earlier)}.")

    ranking = rank_by_spend(
        usage.by_model,
        name=lambda model: model.model_name,
        usd=lambda model: model.total_usd,
        diem=lambda model: model.total_diem,
        limit=TOP_MODELS,
    )
    data["top_models"] = [
        {
            "rank": row.rank,
            "model": row.name,
            "usd": row.usd,
            "diem": row.diem,
            "share": ranking.share_fraction(row),
        }
        for row in ranking.shown
    ]
    return Card(
        title=title,
        tone=Tone.INFO,
        summary=f"Spent {format_spend(total_usd, total_diem)} {between(period)}.",
        fields=tuple(fields),
        trend=spend_trend(days, total_usd, total_diem),
        chart=spend_chart(f"{CHART_TITLE} · {period_heading(period)} (UTC)", days, usage),
        tables=(spend_table(ranking),) if ranking.shown else (),
        notes=tuple(notes),
        footer=report_footer(fetched, *others, note=CREDIT_NOTE if ranking.shown else None),
        data=data,
    )


def spend_trend(days: list[tuple[date, Decimal, Decimal]], usd: Decimal, diem: Decimal) -> Trend:
    """Per-day USD and DIEM series (only the currencies spent) for sparklines."""
    series = []
    if usd != 0:
        series.append(Series("USD", tuple(row[1] for row in days), format_usd(usd)))
    if diem != 0:
        series.append(Series("DIEM", tuple(row[2] for row in days), format_diem(diem)))
    return Trend("Spend per day (UTC)", tuple(row[0] for row in days), tuple(series))


def spend_table(ranking: Ranking[T], title: str = "Top models", name: str = "Model") -> Table:
    """The ranked rows as `# · NAME · USD · DIEM · Share`, with what the cut rows add up to."""
    return Table(
        title=title,
        columns=(
            Column("#", "right"),
            Column(name),
            Column("USD", "right"),
            Column("DIEM", "right"),
            Column("Share", "right"),
        ),
        rows=tuple(
            Row(
                (
                    str(row.rank),
                    row.name,
                    format_usd(row.usd),
                    format_diem(row.diem),
                    ranking.share(row),
                )
            )
            for row in ranking.shown
        ),
        omitted=len(ranking.omitted),
        omitted_note=ranking.omitted_note(),
    )


SPEC = CommandSpec(
    name="usage",
    summary="Spend over a period in USD and DIEM: totals, per day, top models, change vs before",
    usage="usage [PERIOD]",
    examples=("usage 30d", "usage", "usage last-month", "usage today"),
    arguments=("period",),
    handler=handle,
    details=(
        "PERIOD is `Nd` (1-90, default 7d), `YYYY-MM-DD..YYYY-MM-DD`, `today`, `yesterday`, "
        "`this-month` or `last-month`; days are UTC. Totals are the exact sums of Venice's daily "
        "figures; the average divides them by the days of the period. The change compares with "
        "the period of the same length just before, when Venice still holds it (90 days back)."
    ),
    shareable=True,
)
