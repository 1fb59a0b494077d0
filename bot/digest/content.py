"""The digest Card: yesterday's spend (UTC day) in USD and DIEM against the 7-day average, today's
DIEM allocation used, USD balance and runway, yesterday's top 3 models and keys, an anomaly line
when yesterday exceeds twice the 7-day median (above a spend floor), and a 14-day chart."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from bot.cards import Card, Field, Table, Tone
from bot.deadline import Deadline
from bot.digest.anomaly import anomaly_note, is_anomaly, median
from bot.money import ZERO, format_amount, format_change, format_diem, format_usd
from bot.period import Period
from bot.reports.footer import report_footer
from bot.reports.ranked_report import key_label, rank_rows, spend_table
from bot.reports.ranking import Ranking, footer_note
from bot.reports.runway import (
    CANNOT_CONSUME,
    Burn,
    UsdRunway,
    allocation_meter,
    average_burn,
    usd_runway,
)
from bot.reports.spend_chart import daily_totals, spend_chart, spend_trend
from bot.venice.models import Balance, UsageAnalytics
from bot.venice.source import BillingSource, Fetched, UsageQuery

CHART_DAYS = 14
AVERAGE_DAYS = 7  # the days before yesterday it is compared with
TOP = 3
FIGURE_PLACES = Decimal("0.000001")


@dataclass(frozen=True, slots=True)
class Digest:
    """The digest Card (its `chart` set when there is data) and whether yesterday had no usage
    (a schedule with skip_empty then posts nothing)."""

    card: Card
    empty: bool


async def build_digest(
    source: BillingSource,
    *,
    now: datetime,
    deadline: Deadline,
    late_note: str | None = None,
) -> Digest:
    """Fetch what the digest needs (through the cache) and build it. LATE_NOTE, when the digest
    is posted late, is shown on the card. Raises VeniceError / NoVeniceKey / KeyUnreadable."""
    yesterday = now.astimezone(UTC).date() - timedelta(days=1)
    period = Period(yesterday - timedelta(days=CHART_DAYS - 1), yesterday, "last 14 days")
    balance, recent, day = await _fetch(source, period, yesterday, deadline)
    return digest_card(
        balance, recent, day, period=period, today=yesterday + timedelta(1), late_note=late_note
    )


@dataclass(frozen=True, slots=True)
class Versus:
    """Yesterday's spend in one currency against the days before it."""

    currency: str
    spent: Decimal
    before: tuple[Decimal, ...]

    @property
    def average(self) -> Decimal:
        return sum(self.before, ZERO) / len(self.before)

    @property
    def anomaly(self) -> bool:
        return is_anomaly(self.spent, self.before, self.currency)

    def describe(self) -> str:
        """`$4.35 (-40.3% vs $7.28, the average of the 7 days before)`."""
        return (
            f"{format_amount(self.spent, self.currency)} "
            f"({format_change(self.spent, self.average)} vs "
            f"{format_amount(self.average, self.currency)}, "
            f"the average of the {len(self.before)} days before)"
        )

    def data(self) -> dict[str, Any]:
        return {
            "spent": self.spent,
            "average_before": self.average.quantize(FIGURE_PLACES),
            "median_before": median(self.before),
            "change": format_change(self.spent, self.average),
            "anomaly": self.anomaly,
        }


def digest_card(
    balance: Fetched[Balance],
    recent: Fetched[UsageAnalytics],
    day: Fetched[UsageAnalytics],
    *,
    period: Period,
    today: date,
    late_note: str | None = None,
) -> Digest:
    """The digest of PERIOD's last day from the balance, PERIOD's usage and that day's usage."""
    days = daily_totals(recent.value.by_date, period)
    before = days[-1 - AVERAGE_DAYS : -1]
    versus = (
        Versus("USD", days[-1][1], tuple(row[1] for row in before)),
        Versus("DIEM", days[-1][2], tuple(row[2] for row in before)),
    )
    empty = all(side.spent == 0 for side in versus)
    funds = balance.value
    burn = average_burn(recent.value.by_date, today)
    runway = usd_runway(funds, burn, today)
    models = rank_rows(day.value.by_model, name=lambda model: model.model_name, limit=TOP)
    keys = rank_rows(day.value.by_key, name=key_label, limit=TOP)
    tables = _tables(models, keys)
    notes = [late_note] if late_note else []
    notes.extend(
        anomaly_note(side.spent, side.before, side.currency) for side in versus if side.anomaly
    )
    if not funds.can_consume:
        notes.append(CANNOT_CONSUME)
    meter = allocation_meter(funds.balances.diem, funds.diem_epoch_allocation)
    total_usd = sum((row[1] for row in days), ZERO)
    total_diem = sum((row[2] for row in days), ZERO)
    used = total_usd != 0 or total_diem != 0
    fetches: list[Fetched[Any]] = [balance, recent, day]
    fetches.sort(key=lambda fetched: fetched.fetched_at)  # "as of" the oldest of them
    card = Card(
        title=f"Venice daily digest · {_day(period.end)}",
        tone=_tone(funds, runway, versus),
        summary=_summary(period.end, versus),
        fields=_fields(funds, burn, runway),
        meter=meter,
        trend=spend_trend(days, total_usd, total_diem) if used else None,
        chart=spend_chart(_chart_title(period), days, recent.value),
        tables=tables,
        notes=tuple(notes),
        footer=report_footer(*fetches, note=_footer_note(models, keys)),
        data={
            "day": period.end,
            "empty": empty,
            **{side.currency.lower(): side.data() for side in versus},
            "diem_allocation": {
                "left": funds.balances.diem,
                "allocation": funds.diem_epoch_allocation,
                "used_fraction": meter.fraction if meter else None,
            },
            "usd_balance": funds.balances.usd,
            "usd_runway": {
                "burn_window": {"start": burn.window.start, "end": burn.window.end},
                "burn_per_day": runway.burn_per_day.quantize(FIGURE_PLACES),
                "funds": [{"name": fund.name, "amount": fund.amount} for fund in runway.funds],
                "days": runway.days,
                "until": runway.until,
            },
            "top_models": _ranked(models),
            "top_keys": _ranked(keys),
            "days": [{"date": day, "usd": usd, "diem": diem} for day, usd, diem in days],
        },
    )
    return Digest(card, empty)


async def _fetch(
    source: BillingSource, period: Period, yesterday: date, deadline: Deadline
) -> tuple[Fetched[Balance], Fetched[UsageAnalytics], Fetched[UsageAnalytics]]:
    day = yesterday.isoformat()
    try:
        async with asyncio.TaskGroup() as group:
            balance = group.create_task(source.balance(deadline))
            recent = group.create_task(
                source.usage(UsageQuery.from_params(period.query()), deadline)
            )
            single = group.create_task(source.usage(UsageQuery(None, day, day), deadline))
    except BaseExceptionGroup as failed:
        # The runner retries on VeniceError; a group of one would slip past its except clause.
        raise failed.exceptions[0] from None
    return balance.result(), recent.result(), single.result()


def _day(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def _chart_title(period: Period) -> str:
    return f"Daily spend · {_day(period.start)} to {_day(period.end)} (UTC)"


def _summary(day: date, versus: tuple[Versus, ...]) -> str:
    when = f"Yesterday (the UTC day {day.isoformat()})"
    if all(side.spent == 0 for side in versus):
        return f"{when}: no spend."
    shown = [side.describe() for side in versus if side.spent != 0 or side.average != 0]
    return f"{when}: {' and '.join(shown)}."


def _fields(funds: Balance, burn: Burn, runway: UsdRunway) -> tuple[Field, ...]:
    usd = funds.balances.usd
    fields = [
        Field("USD balance", format_usd(usd) if usd is not None else "none"),
        Field("USD burn", burn.usd_text()),
        Field("USD runway", runway.describe()),
    ]
    if funds.balances.diem is not None and funds.diem_epoch_allocation > 0:
        fields.append(Field("DIEM left today", format_diem(funds.balances.diem)))
    return tuple(fields)


def _tables(models: Ranking[Any], keys: Ranking[Any]) -> tuple[Table, ...]:
    tables = []
    if models.shown:
        tables.append(spend_table(models, "Top models yesterday", "Model"))
    if keys.shown:
        tables.append(spend_table(keys, "Top keys yesterday", "Key"))
    return tuple(tables)


def _tone(funds: Balance, runway: UsdRunway, versus: tuple[Versus, ...]) -> Tone:
    if not funds.can_consume:
        return Tone.DANGER
    return Tone.WARNING if runway.short or any(side.anomaly for side in versus) else Tone.INFO


def _footer_note(models: Ranking[Any], keys: Ranking[Any]) -> str | None:
    """What both tables' footers would say, each once."""
    return footer_note(
        models.credit_note(), keys.credit_note(), models.rounding_note(), keys.rounding_note()
    )


def _ranked(ranking: Ranking[Any]) -> list[dict[str, Any]]:
    return [
        {
            "rank": row.rank,
            "name": row.name,
            "usd": row.usd,
            "diem": row.diem,
            "share": ranking.share_fraction(row),
        }
        for row in ranking.shown
    ]
