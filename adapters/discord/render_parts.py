"""The small parts of an embed: the meter bar, the trend sparklines, and the footer line."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from adapters.discord.escape import card_markdown, plain_text
from adapters.discord.render_limits import FIELD_VALUE, fit
from bot.cards import Footer, Meter, Trend
from bot.layout.sparkline import bucket, sparkline
from bot.money import format_fraction

METER_CELLS = 10
FILLED = "▓"
EMPTY = "░"
# Marks of a sparkline at most: about what a phone shows on one line.
MAX_MARKS = 30
# Enough for every currency; with labels of at most LABEL characters the field stays < 1024.
SERIES_SHOWN = 6
LABEL = 80


def meter_value(meter: Meter) -> str:
    """`▓▓▓▓▓▓░░░░ 62% used` and the caption under it."""
    fraction = meter.fraction if meter.fraction.is_finite() else Decimal(0)
    clamped = max(Decimal(0), min(Decimal(1), fraction))
    filled = int((clamped * METER_CELLS).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if clamped > 0 and filled == 0:
        filled = 1  # any use at all shows on the bar
    if clamped < 1 and filled == METER_CELLS:
        filled = METER_CELLS - 1  # and a bar is full only when nothing is left
    bar = f"`{FILLED * filled}{EMPTY * (METER_CELLS - filled)}` {_percent(fraction)} used"
    caption = fit(meter.caption.strip(), FIELD_VALUE - len(bar) - 1, card_markdown)
    return f"{bar}\n{caption}" if caption else bar


def _percent(fraction: Decimal) -> str:
    # The same rounding as the card's summary and every other renderer (was whole percents).
    return format_fraction(fraction)


def trend_value(trend: Trend) -> str:
    """One `sparkline  NAME total` line per series, then the first and last days."""
    days = len(trend.days)
    if days == 0 or not trend.series:
        return "No daily figures for this period."
    per_mark = math.ceil(days / MAX_MARKS)
    lines = []
    for series in trend.series[:SERIES_SHOWN]:
        spark = sparkline(bucket(series.values, days, per_mark))
        label = fit(f"{series.name.strip()} {series.total.strip()}".strip(), LABEL, card_markdown)
        lines.append(f"`{spark}` {label}")
    if len(trend.series) > SERIES_SHOWN:
        lines.append(f"… and {len(trend.series) - SERIES_SHOWN} more")
    first, last = trend.days[0].isoformat(), trend.days[-1].isoformat()
    span = first if days == 1 else f"{first} to {last}"
    if per_mark > 1:
        span += f" · each mark is {per_mark} days"
    lines.append(span)  # ISO dates only: nothing to escape
    return "\n".join(lines)


def footer_text(footer: Footer) -> str:
    """`⚠ Stale: data from 13:40 UTC — reason` on its own line, then `As of 14:01 UTC · note`."""
    lines = []
    if footer.stale is not None:
        reference = footer.as_of or footer.stale.since
        with_date = utc(footer.stale.since).date() != utc(reference).date()
        reason = plain_text(footer.stale.reason).strip()
        stale = f"⚠ Stale: data from {_time(footer.stale.since, with_date=with_date)}"
        lines.append(stale + (f" — {reason}" if reason else ""))
    parts = []
    if footer.as_of is not None:
        parts.append(f"As of {_time(footer.as_of, with_date=False)}")
    if footer.note and footer.note.strip():
        parts.append(plain_text(footer.note).strip())
    if parts:
        lines.append(" · ".join(parts))
    return "\n".join(lines)


def utc(moment: datetime) -> datetime:
    """MOMENT in UTC; a naive datetime in a card is UTC by convention."""
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _time(moment: datetime, *, with_date: bool) -> str:
    return utc(moment).strftime("%Y-%m-%d %H:%M UTC" if with_date else "%H:%M UTC")
