"""A Trend as one sparkline per series, days grouped into buckets when the period is too long."""

from __future__ import annotations

import math
from decimal import Decimal

from bot.cards import Trend
from bot.layout.text import clip, display_width, pad, sanitise_line, wrap

# A zero day is the lowest bar; any spend at all starts one step higher, so the two never look
# alike. A day with no figure at all is a dot.
ZERO_MARK = "▁"
SPEND_MARKS = "▂▃▄▅▆▇█"
NO_DATA_MARK = "·"
GAP = "  "
MAX_NAME = 12
MIN_MARKS = 10


def render_trend(trend: Trend, width: int) -> list[str]:
    """Title, one `name  sparkline  total` line per series, then the first and last dates."""
    lines = wrap(trend.title, width) if trend.title.strip() else []
    days = len(trend.days)
    if days == 0 or not trend.series:
        return [*lines, "No daily figures for this period."]
    names = [sanitise_line(series.name).strip() for series in trend.series]
    totals = [sanitise_line(series.total).strip() for series in trend.series]
    name_width = min(MAX_NAME, max(display_width(name) for name in names))
    total_width = max(display_width(total) for total in totals)
    room = max(MIN_MARKS, width - name_width - total_width - 2 * len(GAP))
    per_mark = math.ceil(days / room)
    marks = math.ceil(days / per_mark)
    for name, total, series in zip(names, totals, trend.series, strict=True):
        spark = sparkline(bucket(series.values, days, per_mark))
        lines.append(GAP.join((pad(clip(name, name_width), name_width), pad(spark, marks), total)))
    indent = " " * (name_width + len(GAP))
    lines.append(indent + _dates(trend, marks))
    if per_mark > 1:
        lines.append(f"{indent}each mark is {per_mark} days")
    return lines


def bucket(values: tuple[Decimal, ...], days: int, per_mark: int) -> list[Decimal | None]:
    """Sum each run of PER_MARK days; None where none of the days has a figure."""
    sums: list[Decimal | None] = []
    for start in range(0, days, per_mark):
        present = [
            value
            for value in values[start : min(start + per_mark, days)]
            if isinstance(value, Decimal | int) and Decimal(value).is_finite()
        ]
        sums.append(sum((Decimal(value) for value in present), Decimal(0)) if present else None)
    return sums


def sparkline(values: list[Decimal | None]) -> str:
    """One mark per value, scaled to the largest value of this series."""
    largest = max((value for value in values if value is not None), default=Decimal(0))
    marks = []
    for value in values:
        if value is None:
            marks.append(NO_DATA_MARK)
        elif value <= 0 or largest <= 0:
            marks.append(ZERO_MARK)
        else:
            level = int(value * len(SPEND_MARKS) / largest)
            marks.append(SPEND_MARKS[min(level, len(SPEND_MARKS) - 1)])
    return "".join(marks)


def _dates(trend: Trend, marks: int) -> str:
    first, last = trend.days[0].isoformat(), trend.days[-1].isoformat()
    if len(trend.days) == 1:
        return first
    if marks >= len(first) + len(last) + 2:
        # The dates sit under the first and last marks of the sparkline.
        return first + " " * (marks - len(first) - len(last)) + last
    return f"{first} to {last}"
