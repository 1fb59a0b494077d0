"""Digest times as tables: next runs across DST changes, half-hour zones, weekdays, catch-up,
and the parsing of what an admin types. Expected instants are worked out from the zones' rules
(Madrid: CET+1/CEST+2, switching at 01:00 UTC on 2026-03-29 and 2026-10-25; New York: EST-5/EDT-4,
at 07:00 UTC on 2026-03-08 and 06:00 UTC on 2026-11-01; Kolkata: +05:30 all year; Lord Howe:
+10:30/+11, back at 15:00 UTC on 2026-04-04 and forward at 15:30 UTC on 2026-10-03)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.schedule import (
    DigestTime,
    ScheduleError,
    format_days,
    format_time,
    latest_run,
    local_date,
    next_run,
    parse_days,
    parse_time,
    parse_zone,
    timeliness,
)

MON_FRI = frozenset(range(5))


def utc(text: str) -> datetime:
    """`2026-03-29 01:00` as an aware UTC instant."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


MAD, NYC, KOL, LHI = "Europe/Madrid", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"


def row(at: str, zone: str, start: str, expected: str, name: str, days: str = "daily") -> object:
    """One table row: a schedule, an instant, the expected answer, named for the test id."""
    return pytest.param(
        DigestTime(time.fromisoformat(at), zone, parse_days(days)), start, expected, id=name
    )


# fmt: off
NEXT_RUNS = [
    # Europe/Madrid, spring forward on Sunday 2026-03-29 (02:00 CET -> 03:00 CEST)
    row("09:00", MAD, "2026-03-28 08:00", "2026-03-29 07:00", "madrid 09:00 into CEST"),
    row("09:00", MAD, "2026-03-29 07:00", "2026-03-30 07:00", "madrid 09:00 after the change"),
    row("02:30", MAD, "2026-03-28 12:00", "2026-03-29 01:00", "madrid 02:30 in the gap: 03:00"),
    row("02:30", MAD, "2026-03-29 00:59", "2026-03-29 01:00", "madrid gap run strictly after"),
    row("02:30", MAD, "2026-03-29 01:00", "2026-03-30 00:30", "madrid 02:30 back to normal"),
    row("02:00", MAD, "2026-03-28 12:00", "2026-03-29 01:00", "madrid 02:00 the gap's start"),
    row("03:00", MAD, "2026-03-28 12:00", "2026-03-29 01:00", "madrid 03:00 the gap's end"),
    # Europe/Madrid, fall back on Sunday 2026-10-25 (03:00 CEST -> 02:00 CET)
    row("09:00", MAD, "2026-10-24 07:00", "2026-10-25 08:00", "madrid 09:00 into CET"),
    row("02:30", MAD, "2026-10-24 12:00", "2026-10-25 00:30", "madrid 02:30 first of two"),
    row("02:30", MAD, "2026-10-25 00:30", "2026-10-26 01:30", "madrid 02:30 not again in CET"),
    row("02:30", MAD, "2026-10-25 01:00", "2026-10-26 01:30", "madrid 02:30 between the two"),
    # America/New_York, spring forward 2026-03-08 (02:00 EST -> 03:00 EDT)
    row("09:00", NYC, "2026-03-07 14:00", "2026-03-08 13:00", "new york 09:00 into EDT"),
    row("01:30", NYC, "2026-03-07 12:00", "2026-03-08 06:30", "new york 01:30 before the gap"),
    row("01:30", NYC, "2026-03-08 06:30", "2026-03-09 05:30", "new york 01:30 the day after"),
    row("02:30", NYC, "2026-03-07 12:00", "2026-03-08 07:00", "new york 02:30 in the gap"),
    # America/New_York, fall back 2026-11-01 (02:00 EDT -> 01:00 EST): 01:30 happens twice
    row("01:30", NYC, "2026-10-31 12:00", "2026-11-01 05:30", "new york 01:30 first, in EDT"),
    row("01:30", NYC, "2026-11-01 05:30", "2026-11-02 06:30", "new york 01:30 only once"),
    row("01:30", NYC, "2026-11-01 06:00", "2026-11-02 06:30", "new york 01:30 in the repeat"),
    row("09:00", NYC, "2026-10-31 13:00", "2026-11-01 14:00", "new york 09:00 into EST"),
    # Asia/Kolkata, +05:30, no DST: the local date runs ahead of the UTC one
    row("09:00", KOL, "2026-03-29 03:30", "2026-03-30 03:30", "kolkata 09:00"),
    row("00:15", KOL, "2026-06-01 12:00", "2026-06-01 18:45", "kolkata 00:15 yesterday in UTC"),
    row("09:00", KOL, "2026-10-24 12:00", "2026-10-25 03:30", "kolkata ignores others' DST"),
    # Australia/Lord_Howe: the clocks move by half an hour
    row("09:00", LHI, "2026-04-03 12:00", "2026-04-03 22:00", "lord howe 09:00 in +11"),
    row("09:00", LHI, "2026-04-03 22:00", "2026-04-04 22:30", "lord howe 09:00 into +10:30"),
    row("01:45", LHI, "2026-04-04 12:00", "2026-04-04 14:45", "lord howe 01:45 first of two"),
    row("01:45", LHI, "2026-04-04 14:45", "2026-04-05 15:15", "lord howe 01:45 only once"),
    row("02:00", LHI, "2026-10-03 12:00", "2026-10-03 15:30", "lord howe 02:00 in the gap"),
    row("02:15", LHI, "2026-10-03 12:00", "2026-10-03 15:30", "lord howe 02:15 in the gap"),
    row("02:30", LHI, "2026-10-03 12:00", "2026-10-03 15:30", "lord howe 02:30 the gap's end"),
    row("02:00", LHI, "2026-10-03 15:30", "2026-10-04 15:00", "lord howe 02:00 the day after"),
    row("09:00", LHI, "2026-10-02 22:30", "2026-10-03 22:00", "lord howe 09:00 into +11"),
    # Weekdays are local weekdays
    row("09:00", MAD, "2026-03-27 08:00", "2026-03-30 07:00", "mon-fri skips a weekend", "mon-fri"),
    row("09:00", MAD, "2026-03-28 12:00", "2026-03-30 07:00", "mon-fri from saturday", "mon-fri"),
    row("09:00", MAD, "2026-03-27 07:59", "2026-03-27 08:00", "mon-fri on friday", "mon-fri"),
    row("09:00", MAD, "2026-10-21 07:00", "2026-10-28 08:00", "wednesdays, a week on", "wed"),
    row("00:15", KOL, "2026-05-30 00:00", "2026-05-31 18:45", "kolkata monday: sunday UTC", "mon"),
    row("23:00", NYC, "2026-03-02 04:00", "2026-03-09 03:00", "new york sunday 23:00", "sun"),
]
# fmt: on


@pytest.mark.parametrize(("when", "after", "expected"), NEXT_RUNS)
def test_next_run(when: DigestTime, after: str, expected: str) -> None:
    assert next_run(when, utc(after)) == utc(expected)


def test_next_run_reads_any_offset_and_answers_in_utc() -> None:
    madrid_morning = datetime(2026, 3, 28, 9, 0, tzinfo=ZoneInfo(MAD))
    run = next_run(DigestTime(time(9, 0), MAD), madrid_morning)
    assert run == utc("2026-03-29 07:00")
    assert run.utcoffset() == timedelta(0)


def test_next_run_refuses_a_naive_instant() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_run(DigestTime(time(9, 0), "UTC"), datetime(2026, 1, 1))


# fmt: off
LATEST_RUNS = [
    row("09:00", MAD, "2026-10-20 07:00", "2026-10-20 07:00", "exactly at the run"),
    row("09:00", MAD, "2026-10-20 06:59:59", "2026-10-19 07:00", "a second before it"),
    row("09:00", MAD, "2026-10-20 10:00", "2026-10-20 07:00", "after 3 h downtime"),
    row("09:00", MAD, "2026-10-20 14:00", "2026-10-20 07:00", "after 7 h downtime"),
    row("09:00", MAD, "2026-10-25 11:00", "2026-10-25 08:00", "downtime across fall back"),
    row("02:30", MAD, "2026-03-29 04:00", "2026-03-29 01:00", "gap run after spring forward"),
    row("09:00", MAD, "2026-03-30 06:00", "2026-03-27 08:00", "monday morning", "mon-fri"),
    row("09:00", MAD, "2026-10-27 12:00", "2026-10-21 07:00", "a week back", "wed"),
]
# fmt: on


@pytest.mark.parametrize(("when", "not_after", "expected"), LATEST_RUNS)
def test_latest_run(when: DigestTime, not_after: str, expected: str) -> None:
    assert latest_run(when, utc(not_after)) == utc(expected)


TIMELINESS = [
    ("early", "2026-10-20 06:59", "on_time"),
    ("on the minute", "2026-10-20 07:00", "on_time"),
    ("5 minutes after", "2026-10-20 07:05", "on_time"),
    ("just over 5 minutes", "2026-10-20 07:05:01", "late"),
    ("3 h downtime", "2026-10-20 10:00", "late"),
    ("6 h exactly", "2026-10-20 13:00", "late"),
    ("just over 6 h", "2026-10-20 13:00:01", "missed"),
    ("7 h downtime", "2026-10-20 14:00", "missed"),
]


@pytest.mark.parametrize(
    ("now", "expected"), [pytest.param(n, e, id=name) for name, n, e in TIMELINESS]
)
def test_timeliness(now: str, expected: str) -> None:
    assert timeliness(utc("2026-10-20 07:00"), utc(now)) == expected


# fmt: off
LOCAL_DATES = [
    row("00:15", KOL, "2026-06-01 18:45", "2026-06-02", "kolkata: tomorrow in UTC terms"),
    row("23:00", NYC, "2026-03-09 03:00", "2026-03-08", "new york: yesterday in UTC terms"),
    row("02:30", MAD, "2026-03-29 01:00", "2026-03-29", "madrid gap run keeps its date"),
    row("02:00", LHI, "2026-10-03 15:30", "2026-10-04", "lord howe october gap"),
]
# fmt: on


@pytest.mark.parametrize(("when", "run_at", "expected"), LOCAL_DATES)
def test_local_date(when: DigestTime, run_at: str, expected: str) -> None:
    assert local_date(when, utc(run_at)) == date.fromisoformat(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9", time(9, 0)),
        ("9:00", time(9, 0)),
        ("09:00", time(9, 0)),
        (" 17:30 ", time(17, 30)),
        ("0:05", time(0, 5)),
        ("23:59", time(23, 59)),
        ("9am", time(9, 0)),
        ("5pm", time(17, 0)),
        ("12am", time(0, 0)),
        ("12:30pm", time(12, 30)),
        ("5:30 PM", time(17, 30)),
    ],
)
def test_parse_time(text: str, expected: time) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    "text", ["25:00", "24:00", "9:60", "9:5", "nine", "", "13pm", "0am", "-1", "09:00:00"]
)
def test_parse_time_says_how_to_write_it(text: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_time(text)
    assert "is not a time of day" in caught.value.message
    assert caught.value.example.startswith("digest on ")
    parse_time(caught.value.example.removeprefix("digest on "))  # the example itself parses


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Europe/Madrid", "Europe/Madrid"),
        ("europe/madrid", "Europe/Madrid"),
        ("AMERICA/NEW_YORK", "America/New_York"),
        ("australia/lord_howe", "Australia/Lord_Howe"),
        ("UTC", "UTC"),
        ("utc", "UTC"),
        (" Asia/Kolkata ", "Asia/Kolkata"),
    ],
)
def test_parse_zone(text: str, expected: str) -> None:
    assert parse_zone(text) == expected


@pytest.mark.parametrize("text", ["Madrid", "CEST", "+02:00", "Europe/Atlantis", ""])
def test_parse_zone_asks_for_area_city(text: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_zone(text)
    assert "Area/City" in caught.value.message
    assert parse_zone(caught.value.example.split()[-1]) == "Europe/Madrid"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mon-fri", {0, 1, 2, 3, 4}),
        ("MON-FRI", {0, 1, 2, 3, 4}),
        ("fri-mon", {4, 5, 6, 0}),
        ("sat-sun", {5, 6}),
        ("mon,wed,fri", {0, 2, 4}),
        ("mon, wed", {0, 2}),
        ("mon-wed,fri", {0, 1, 2, 4}),
        ("wed", {2}),
        ("wednesday", {2}),
        ("daily", set(range(7))),
        ("Weekdays", {0, 1, 2, 3, 4}),
        ("weekends", {5, 6}),
        ("sun-sat", set(range(7))),
        ("tue-tue", {1}),
    ],
)
def test_parse_days(text: str, expected: set[int]) -> None:
    assert parse_days(text) == frozenset(expected)


@pytest.mark.parametrize("text", ["", "mo", "monday-", "mon-tue-wed", "mon;wed", "1-5", "workdays"])
def test_parse_days_says_how_to_write_them(text: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_days(text)
    assert "mon-fri" in caught.value.message
    assert parse_days(caught.value.example.split()[-1]) == MON_FRI


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (set(range(7)), "daily"),
        ({0, 1, 2, 3, 4}, "mon-fri"),
        ({5, 6}, "sat-sun"),
        ({0, 2}, "mon,wed"),
        ({0, 2, 4}, "mon,wed,fri"),
        ({4, 5, 6, 0}, "fri-mon"),
        ({6, 0}, "mon,sun"),
        ({2}, "wed"),
        ({0, 1, 2, 4, 5}, "mon-wed,fri-sat"),
        ({5, 6, 0, 2}, "wed,sat-mon"),
    ],
)
def test_format_days(days: set[int], expected: str) -> None:
    assert format_days(frozenset(days)) == expected


def test_format_days_reads_back_for_every_set_of_days() -> None:
    for mask in range(1, 128):
        days = frozenset(day for day in range(7) if mask >> day & 1)
        assert parse_days(format_days(days)) == days


def test_format_time() -> None:
    assert format_time(parse_time("9")) == "09:00"


ZONES = sorted(
    {
        "UTC",
        "Europe/Madrid",
        "America/New_York",
        "Asia/Kolkata",
        "Australia/Lord_Howe",
        "Asia/Kathmandu",
        "America/St_Johns",
        "Pacific/Chatham",
        "America/Santiago",
        "Asia/Tehran",
        "Pacific/Apia",
        "Africa/Casablanca",
        "Europe/London",
        "America/Sao_Paulo",
    }
)


@settings(max_examples=400, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    at=st.times(),
    days=st.frozensets(st.integers(0, 6), min_size=1),
    after=st.datetimes(datetime(2005, 1, 1), datetime(2036, 12, 31), timezones=st.just(UTC)),
)
def test_next_run_properties(zone: str, at: time, days: frozenset[int], after: datetime) -> None:
    when = DigestTime(at.replace(second=0, microsecond=0), zone, days)
    run = next_run(when, after)
    assert after < run <= after + timedelta(days=8)
    local = run.astimezone(ZoneInfo(zone))
    scheduled_day = local.date()
    if local.time() != when.at:
        # Only a time the clocks skipped runs at another time: the instant the gap ended.
        before = (run - timedelta(seconds=1)).astimezone(ZoneInfo(zone))
        assert before.utcoffset() < local.utcoffset()  # type: ignore[operator]
        skipped = (before.replace(tzinfo=None) + timedelta(seconds=1), local.replace(tzinfo=None))
        # A skipped time of the day before (a gap across midnight) counts too.
        scheduled = [
            day
            for day in (local.date(), local.date() - timedelta(days=1))
            if skipped[0] <= datetime.combine(day, when.at) < skipped[1]
        ]
        assert scheduled
        scheduled_day = scheduled[0]
    assert scheduled_day.weekday() in days
    # Nothing runs between the latest run and the next one.
    assert latest_run(when, run) == run
    previous = latest_run(when, after)
    assert previous is not None
    assert previous <= after
    assert next_run(when, previous) == run
