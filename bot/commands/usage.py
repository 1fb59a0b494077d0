"""`usage [PERIOD]`: spend over a period in USD and DIEM, per day, by model, and against before."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from bot.cards import Card, Field, Tone
from bot.command_options import PERIOD
from bot.command_spec import CommandContext, CommandSpec
from bot.errors import VeniceError
from bot.invocation import Invocation
from bot.money import ZERO, format_amount, format_change, format_spend
from bot.period import DEFAULT_PERIOD, MAX_DAYS, Period, parse_period
from bot.reports.fetching import fetch_alongside
from bot.reports.footer import (
    between,
    period_data,
    period_heading,
    report_footer,
    short_reason,
)
from bot.reports.ranked_report import spend_table
from bot.reports.ranking import CURRENCIES, rank_by_spend
from bot.reports.spend_chart import daily_totals, spend_chart, spend_trend
from bot.venice.models import UsageAnalytics
from bot.venice.source import Fetched, UsageQuery

TOP_MODELS = 5
CHART_TITLE = "Daily spend"  # each panel says whether it is split by model
AVERAGE_PLACES = Decimal("0.000001")

T = TypeVar("T")


async def handle(invocation: Invocation, ctx: CommandContext) -> Card:
    """Fetch the period and, when it can be compared, the one before, at the same time."""
    today = ctx.now.date()
    period = invocation.period or parse_period(DEFAULT_PERIOD, today)
    previous = None if only_today(period, today) else period.previous(today)
    source = ctx.billing()
    main = source.usage(UsageQuery.from_params(period.query()), ctx.deadline)
    before = (
        source.usage(UsageQuery.from_params(previous.query()), ctx.deadline) if previous else None
    )
    fetched, earlier = await fetch_alongside(main, before)
    return usage_card(period, fetched, previous, earlier, now=ctx.now)


def only_today(period: Period, today: date) -> bool:
    """A period of today alone: a part of a day, never compared with a whole one."""
    return period.start == period.end == today


def comparison_note(period: Period, previous: Period | None, now: datetime) -> str | None:
    """Why there is no change figure, or what it compares when today is not over; else None."""
    today = now.date()
    if only_today(period, today):
        return (
            f"No change figure: today (UTC) is not over (it is {now:%H:%M} UTC), and part of a "
            "day is no match for a whole one."
        )
    if previous is None:
        return (
            f"No change figure: the {period.days} days before this period go back further than "
            f"the {MAX_DAYS} days Venice keeps."
        )
    if period.end == today:
        return f"The change counts today (UTC) so far; the {previous.label} are whole days."
    return None


def usage_card(
    period: Period,
    fetched: Fetched[UsageAnalytics],
    previous: Period | None,
    earlier: Fetched[UsageAnalytics] | VeniceError | None,
    *,
    now: datetime,
) -> Card:
    """The usage card; EARLIER is the previous period's usage, or why it is missing. Only the
    currencies spent are shown: a USD-only account reads no `0.00 DIEM`."""
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

    totals = {"USD": total_usd, "DIEM": total_diem}
    spent = [currency for currency in CURRENCIES if totals[currency] != 0]
    fields = [Field(f"Total {c}", format_amount(totals[c], c)) for c in spent]
    fields.append(
        Field(
            "Average per day",
            " · ".join(format_amount(totals[c] / period.days, c) for c in spent),
        )
    )
    notes: list[str] = []
    if previous is not None and isinstance(earlier, Fetched):
        before = {
            "USD": sum((row.usd for row in earlier.value.by_date), ZERO),
            "DIEM": sum((row.diem for row in earlier.value.by_date), ZERO),
        }
        change = {c.lower(): format_change(totals[c], before[c]) for c in CURRENCIES}
        compared = [c for c in CURRENCIES if totals[c] != 0 or before[c] != 0]
        fields.append(
            Field(
                f"Change vs {previous.label}",
                " · ".join(f"{c} {change[c.lower()]}" for c in compared),
            )
        )
        data["previous"] = {
            "period": period_data(previous),
            "total": {"usd": before["USD"], "diem": before["DIEM"]},
            "change": change,
        }
    elif isinstance(earlier, VeniceError):
        notes.append(f"Previous-period comparison unavailable: {short_reason(earlier)}.")
    if not isinstance(earlier, VeniceError) and (note := comparison_note(period, previous, now)):
        notes.append(note)

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
        footer=report_footer(fetched, *others, note=ranking.footer_note()),
        data=data,
    )


SPEC = CommandSpec(
    name="usage",
    summary="Spend over a period in USD and DIEM: totals, per day, top models, change vs before",
    usage="usage [PERIOD]",
    examples=("usage 30d", "usage", "usage last-month", "usage today"),
    arguments=("period",),
    options=(PERIOD,),
    handler=handle,
    details=(
        "PERIOD is `Nd` (1-90, default 7d), `YYYY-MM-DD..YYYY-MM-DD`, `today`, `yesterday`, "
        "`this-month` or `last-month`; days are UTC. Totals are the exact sums of Venice's daily "
        "figures; the average divides them by the days of the period. The change compares with "
        "the period of the same length just before, when Venice still holds it (90 days back); "
        "`today` alone is not compared, being only part of a day."
    ),
    shareable=True,
)
