"""When a daily digest runs: a local time of day, an IANA time zone and weekdays, turned into
instants in UTC with `zoneinfo` (so DST changes and half-hour offsets are right). Pure functions,
tested by tables (tests/test_schedule.py).

DST rules: a local time that does not exist that day (the spring-forward gap) runs at the first
instant after the gap (02:30 in Madrid on the last Sunday of March runs at 03:00 local); a local
time that happens twice (fall back) runs once, at the first occurrence (fold=0).
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.errors import BotError
from bot.period import clip_echo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = date.weekday()
EVERY_DAY: frozenset[int] = frozenset(range(7))
# A digest missed by at most this much (downtime) is still posted, late, saying so.
CATCH_UP = timedelta(hours=6)
# A digest posted more than this after its time says it is late.
LATE_AFTER = timedelta(minutes=5)


class ScheduleError(BotError):
    """A time, zone or weekday list that cannot be read; `message` says what to write instead."""

    def __init__(self, message: str, *, example: str) -> None:
        self.message = message
        self.example = example
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class DigestTime:
    """When one schedule runs: local time of day, IANA zone name, weekdays (0 = Monday)."""

    at: time
    time_zone: str
    weekdays: frozenset[int] = EVERY_DAY


def parse_time(text: str) -> time:
    """`09:00`, `9:00`, `9`, `17:30` (24-hour clock), also `9am`, `5:30pm` → time; else
    ScheduleError."""
    word = text.strip().lower()
    match = _TIME.fullmatch(word)
    if match is None:
        raise ScheduleError(
            f"`{clip_echo(text.strip())}` is not a time of day: write it as HH:MM on the "
            "24-hour clock.",
            example="digest on 09:00",
        )
    hour, minute = int(match["hour"]), int(match["minute"] or 0)
    if match["half"]:
        if not 1 <= hour <= 12:
            raise ScheduleError(
                f"`{clip_echo(word)}` is not a time of day: with am or pm the hour is 1 to 12.",
                example="digest on 9am",
            )
        hour = hour % 12 + (12 if match["half"] == "pm" else 0)
    if hour > 23 or minute > 59:
        raise ScheduleError(
            f"`{clip_echo(word)}` is not a time of day: hours go from 00 to 23 and minutes "
            "from 00 to 59.",
            example="digest on 17:30",
        )
    return time(hour, minute)


def parse_zone(text: str) -> str:
    """An IANA zone name, matched case-insensitively (`europe/madrid` → `Europe/Madrid`); `UTC`
    accepted. ScheduleError names the right form (`Area/City`)."""
    name = _zone_names().get(text.strip().lower())
    if name is None:
        raise ScheduleError(
            f"`{clip_echo(text.strip())}` is not a time zone: write an IANA name as Area/City, "
            "or UTC.",
            example="digest on 09:00 Europe/Madrid",
        )
    return name


def parse_days(text: str) -> frozenset[int]:
    """`mon-fri`, `mon,wed,fri`, `sat-sun`, `daily`, `weekdays`, `weekends` (case-insensitive;
    a range may wrap: `fri-mon`) → weekday numbers; else ScheduleError."""
    word = text.strip().lower()
    if word in _DAY_WORDS:
        return _DAY_WORDS[word]
    days: set[int] = set()
    for part in word.split(","):
        ends = [_day(end, text) for end in part.split("-")]
        if len(ends) == 1:
            days.add(ends[0])
        elif len(ends) == 2:
            first, last = ends
            days.update((first + step) % 7 for step in range((last - first) % 7 + 1))
        else:
            raise _days_error(text)
    return frozenset(days)


def format_days(days: frozenset[int]) -> str:
    """The shortest way to write DAYS that parse_days reads back: `daily`, `mon-fri`, `mon,wed`."""
    if not days or not days <= EVERY_DAY:
        raise ValueError(f"weekdays must be a non-empty subset of 0..6, not {sorted(days)}")
    if days == EVERY_DAY:
        return "daily"
    straight = _write_runs(_runs(days, start=0))
    # Start after a day that is off, so a run may cross Sunday into Monday (`fri-mon`).
    off = min(EVERY_DAY - days)
    wrapped = _write_runs(sorted(_runs(days, start=off + 1)))
    return wrapped if len(wrapped) < len(straight) else straight


def format_time(at: time) -> str:
    """`09:00`."""
    return at.strftime("%H:%M")


def next_run(when: DigestTime, after: datetime) -> datetime:
    """The first scheduled instant strictly after AFTER (aware), in UTC."""
    _require_usable(when, after)
    zone = _zone(when)
    # One day earlier too: a run resolved past a gap may land after local midnight.
    first = after.astimezone(zone).date() - timedelta(days=1)
    for offset in range(_SEARCH_DAYS + 2):
        candidate = _run_on(when, zone, first + timedelta(days=offset))
        if candidate is not None and candidate > after:
            return candidate
    raise AssertionError("unreachable: a non-empty weekday set runs within nine days")


def latest_run(when: DigestTime, not_after: datetime) -> datetime | None:
    """The most recent scheduled instant at or before NOT_AFTER, in UTC (None if none in the
    8 days before)."""
    _require_usable(when, not_after)
    zone = _zone(when)
    last = not_after.astimezone(zone).date() + timedelta(days=1)
    earliest = not_after - timedelta(days=_SEARCH_DAYS)
    for offset in range(_SEARCH_DAYS + 2):
        candidate = _run_on(when, zone, last - timedelta(days=offset))
        if candidate is not None and earliest <= candidate <= not_after:
            return candidate
    return None


def local_date(when: DigestTime, run_at: datetime) -> date:
    """The local calendar date a run at RUN_AT belongs to (the idempotency key's date)."""
    _require_aware(run_at)
    return run_at.astimezone(_zone(when)).date()


Timeliness = Literal["on_time", "late", "missed"]


def timeliness(due_at: datetime, now: datetime) -> Timeliness:
    """on_time within LATE_AFTER of DUE_AT; late up to CATCH_UP after; missed beyond."""
    behind = now - due_at
    if behind <= LATE_AFTER:
        return "on_time"
    if behind <= CATCH_UP:
        return "late"
    return "missed"


_TIME = re.compile(r"(?P<hour>\d{1,2})(?::(?P<minute>\d{2}))?\s*(?P<half>am|pm)?")
_DAY_WORDS: dict[str, frozenset[int]] = {
    "daily": EVERY_DAY,
    "everyday": EVERY_DAY,
    "every day": EVERY_DAY,
    "weekdays": frozenset(range(5)),
    "weekday": frozenset(range(5)),
    "weekends": frozenset({5, 6}),
    "weekend": frozenset({5, 6}),
}
_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_SEARCH_DAYS = 8


@functools.cache
def _zone_names() -> dict[str, str]:
    names = {name.lower(): name for name in zoneinfo.available_timezones()}
    names.setdefault("utc", "UTC")
    return names


def _zone(when: DigestTime) -> ZoneInfo:
    return ZoneInfo(when.time_zone)  # ZoneInfo caches instances by key


def _require_aware(moment: datetime) -> None:
    if moment.utcoffset() is None:
        raise ValueError("a schedule instant must be timezone-aware")


def _require_usable(when: DigestTime, moment: datetime) -> None:
    _require_aware(moment)
    if not when.weekdays:
        raise ValueError("a schedule needs at least one weekday")


def _run_on(when: DigestTime, zone: ZoneInfo, day: date) -> datetime | None:
    """The instant (UTC) WHEN runs on local DAY, or None on a day off."""
    if day.weekday() not in when.weekdays:
        return None
    wall = datetime.combine(day, when.at, tzinfo=zone)  # fold=0: the first of a repeated time
    instant = wall.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == wall.replace(tzinfo=None):
        return instant
    return _gap_end(wall, zone)


def _gap_end(wall: datetime, zone: ZoneInfo) -> datetime:
    """The transition instant that skipped WALL: the first instant after the gap (UTC)."""
    # In a gap fold=0 reads WALL with the offset before the jump and fold=1 with the one after,
    # so the transition lies between the two readings; find it to the second.
    low = wall.replace(fold=1).astimezone(UTC)
    high = wall.astimezone(UTC)
    new_offset = wall.replace(fold=1).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == new_offset:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


def _day(word: str, text: str) -> int:
    word = word.strip()
    for number, name in enumerate(_DAY_NAMES):
        if len(word) >= 3 and name.startswith(word):
            return number
    raise _days_error(text)


def _days_error(text: str) -> ScheduleError:
    return ScheduleError(
        f"`{clip_echo(text.strip())}` is not a list of weekdays: write a range like mon-fri, "
        "days like mon,wed,fri, or daily, weekdays or weekends.",
        example="digest on 09:00 Europe/Madrid mon-fri",
    )


def _runs(days: frozenset[int], start: int) -> list[tuple[int, int]]:
    """Consecutive runs of DAYS (first, length), scanning the week from START."""
    runs: list[tuple[int, int]] = []
    for step in range(7):
        day = (start + step) % 7
        if day not in days:
            continue
        if runs and (runs[-1][0] + runs[-1][1]) % 7 == day:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((day, 1))
    return runs


def _write_runs(runs: list[tuple[int, int]]) -> str:
    parts = []
    for first, length in runs:
        last = (first + length - 1) % 7
        parts.append(WEEKDAYS[first] if length == 1 else f"{WEEKDAYS[first]}-{WEEKDAYS[last]}")
    return ",".join(parts)
