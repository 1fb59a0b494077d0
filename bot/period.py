"""Periods of the command language, parsed once and turned into Venice queries.

All days are UTC days. `Nd` means the last N days including today and is sent to Venice as
`lookback=Nd`; every other form is sent as `startDate`/`endDate` (inclusive).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from bot.echo import clip_echo
from bot.errors import CommandTextError

MAX_DAYS = 90
DEFAULT_PERIOD = "7d"
PERIOD_FORMS = (
    "`7d` (1-90 days), `2026-10-01..2026-10-31`, `today`, `yesterday`, `this-month` or `last-month`"
)

# ASCII digits only: `\d` and int() also accept Arabic-Indic and other Unicode digits.
_LOOKBACK = re.compile(r"([0-9]+)d")
_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_RANGE = re.compile(rf"({_DATE})\.\.({_DATE})")
_NAMED = ("today", "yesterday", "this-month", "last-month")


@dataclass(frozen=True, slots=True)
class Period:
    """An inclusive range of UTC days. `lookback` is set for the `Nd` form."""

    start: date
    end: date
    label: str
    lookback: str | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def query(self) -> dict[str, str]:
        """The query parameters Venice's usage-analytics takes for this period."""
        if self.lookback is not None:
            return {"lookback": self.lookback}
        return {"startDate": self.start.isoformat(), "endDate": self.end.isoformat()}

    def previous(self, today: date) -> Period | None:
        """The period of the same length just before, if Venice still holds all of it."""
        end = self.start - timedelta(days=1)
        start = end - timedelta(days=self.days - 1)
        if start < oldest_day(today):
            return None
        return Period(
            start, end, "the day before" if self.days == 1 else f"previous {self.days} days"
        )

    def describe(self) -> str:
        """`last 30 days (2026-10-24 to 2026-11-22)`; one day as `today (2026-11-22)`."""
        if self.lookback is None and ".." in self.label:
            return f"{self.start.isoformat()} to {self.end.isoformat()}"
        if self.start == self.end:
            return f"{self.label} ({self.start.isoformat()})"
        return f"{self.label} ({self.start.isoformat()} to {self.end.isoformat()})"


def oldest_day(today: date) -> date:
    """The first day inside Venice's 90-day window."""
    return today - timedelta(days=MAX_DAYS - 1)


def parse_period(text: str, today: date) -> Period:
    """Parse PERIOD; raise CommandTextError with one specific sentence and a right example."""
    word = text.strip().lower()
    if not word:
        raise CommandTextError(f"Give a period: {PERIOD_FORMS}.", example="usage 30d")
    if word in _NAMED:
        return _named(word, today)
    if match := _LOOKBACK.fullmatch(word):
        return _lookback(match.group(1), today)
    if match := _RANGE.fullmatch(word):
        return _range(match.group(1), match.group(2), today)
    if re.fullmatch(_DATE, word):
        raise CommandTextError(
            f"`{word}` is a single date: a range needs two dates joined by `..`.",
            example=_last_week(today),
        )
    # Quoted as typed, not lower-cased: a key pasted here must still look like one to redact().
    shown = clip_echo(text.strip())
    if ".." in word:
        raise CommandTextError(
            f"`{shown}` is not a date range: write it as YYYY-MM-DD..YYYY-MM-DD.",
            example=_last_week(today),
        )
    raise CommandTextError(f"`{shown}` is not a period: use {PERIOD_FORMS}.", example="usage 30d")


def _lookback(digits: str, today: date) -> Period:
    days = int(digits) if len(digits) <= 4 else MAX_DAYS + 1
    if not 1 <= days <= MAX_DAYS:
        raise CommandTextError(
            f"Venice keeps {MAX_DAYS} days of usage: choose between 1d and {MAX_DAYS}d.",
            example="usage 90d",
        )
    label = "last day" if days == 1 else f"last {days} days"
    return Period(today - timedelta(days=days - 1), today, label, lookback=f"{days}d")


def _range(first: str, last: str, today: date) -> Period:
    start, end = _date(first), _date(last)
    if end < start:
        # Offer the same dates swapped only when that range is itself one Venice answers.
        swapped_fits = start <= today and (start - end).days < MAX_DAYS
        raise CommandTextError(
            "The range ends before it starts: put the earlier date first.",
            example=f"usage {last}..{first}" if swapped_fits else _last_week(today),
        )
    if end > today:
        raise CommandTextError(
            f"{end.isoformat()} is in the future: the range must end today "
            f"({today.isoformat()}) or earlier.",
            example=_last_week(today),
        )
    days = (end - start).days + 1
    if days > MAX_DAYS:
        raise CommandTextError(
            f"That range spans {days} days; Venice answers at most {MAX_DAYS} at a time.",
            example=f"usage {(end - timedelta(days=MAX_DAYS - 1)).isoformat()}..{end.isoformat()}",
        )
    return Period(start, end, f"{first}..{last}")


def _last_week(today: date) -> str:
    return f"usage {(today - timedelta(days=6)).isoformat()}..{today.isoformat()}"


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandTextError(
            f"{text} is not a calendar date: write dates as YYYY-MM-DD.",
            example="usage 2026-10-01..2026-10-31",
        ) from None


def _named(word: str, today: date) -> Period:
    if word == "today":
        return Period(today, today, "today")
    if word == "yesterday":
        day = today - timedelta(days=1)
        return Period(day, day, "yesterday")
    first_of_month = today.replace(day=1)
    if word == "this-month":
        return Period(first_of_month, today, "this month")
    last_month_end = first_of_month - timedelta(days=1)
    return Period(last_month_end.replace(day=1), last_month_end, "last month")
