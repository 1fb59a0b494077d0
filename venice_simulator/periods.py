"""Usage-analytics period rules: `lookback=Nd` or `startDate`+`endDate`, at most 90 UTC days."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from venice_simulator.jsontext import InvalidParams

MAX_DAYS = 90
DEFAULT_LOOKBACK = "7d"
_LOOKBACK = re.compile(r"[1-9]\d*d")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True, slots=True)
class AnalyticsPeriod:
    """Inclusive UTC days and the `lookback` text Venice echoes for them."""

    start: date
    end: date
    echo: str

    def days(self) -> list[date]:
        """Every day of the period, oldest first."""
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


def _parse_date(field: str, text: str) -> date:
    if not _DATE.fullmatch(text):
        raise InvalidParams({field: ["Invalid date format. Expected YYYY-MM-DD"]})
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidParams({field: ["Invalid date"]}) from None


def _lookback(text: str, today: date) -> AnalyticsPeriod:
    if not _LOOKBACK.fullmatch(text):
        message = 'Invalid lookback format: use a number of days like "7d"'
        raise InvalidParams({"lookback": [message]})
    days = int(text[:-1])
    if days > MAX_DAYS:
        raise InvalidParams({"lookback": [f"Lookback cannot exceed {MAX_DAYS} days"]})
    return AnalyticsPeriod(today - timedelta(days=days - 1), today, text)


def _range(start_text: str, end_text: str) -> AnalyticsPeriod:
    start = _parse_date("startDate", start_text)
    end = _parse_date("endDate", end_text)
    if end < start:
        raise InvalidParams({"endDate": ["endDate must be on or after startDate"]})
    if (end - start).days + 1 > MAX_DAYS:
        raise InvalidParams({}, [f"Date range cannot exceed {MAX_DAYS} days"])
    return AnalyticsPeriod(start, end, f"{start_text}:{end_text}")


def parse_period(query: Mapping[str, str], today: date) -> AnalyticsPeriod:
    """The period a usage-analytics query asks for, or InvalidParams as Venice would answer."""
    lookback = query.get("lookback")
    start, end = query.get("startDate"), query.get("endDate")
    if start is None and end is None:
        return _lookback(DEFAULT_LOOKBACK if lookback is None else lookback, today)
    if lookback is not None:
        raise InvalidParams({}, ["Use either lookback or startDate and endDate, not both"])
    if start is None:
        raise InvalidParams({"startDate": ["startDate is required when endDate is provided"]})
    if end is None:
        raise InvalidParams({"endDate": ["endDate is required when startDate is provided"]})
    return _range(start, end)
