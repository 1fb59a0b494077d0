"""For any text at all: the parser answers or refuses in one sentence, and the core never raises."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from adapters.console.render import render_json, render_text
from bot.cards import Card
from bot.command_options import MAX_LIMIT
from bot.command_text import parse_command
from bot.errors import (
    AdminKeyRequired,
    CommandTextError,
    QueryTimedOut,
    RateLimited,
    VeniceFailing,
)
from bot.invocation import Invocation
from bot.period import MAX_DAYS
from bot.registry import COMMANDS
from bot.venice.static_source import StaticBillingSource
from tests.asking import answer_text
from tests.commands import builders
from tests.commands.builders import FETCHED_AT, TODAY, context, day, key, model, part

NAMES = [*COMMANDS, "/venice", "venice", "help", "top-key", "usgae", "HELP", "Top-Models"]
UNICODE_DIGITS = st.text(st.characters(categories=["Nd", "No"]), min_size=1, max_size=6)
DATES = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))
NEAR_DATES = st.dates(min_value=date(2026, 6, 1), max_value=date(2026, 12, 31))

ARGUMENT = st.one_of(
    st.text(max_size=30),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.integers(min_value=-5, max_value=10**20).map(lambda n: f"{n}d"),
    st.integers(min_value=0, max_value=120).map(lambda n: f"{n}D"),
    UNICODE_DIGITS,
    UNICODE_DIGITS.map(lambda digits: f"{digits}d"),
    st.tuples(st.one_of(DATES, NEAR_DATES), st.one_of(DATES, NEAR_DATES)).map(
        lambda pair: f"{pair[0].isoformat()}..{pair[1].isoformat()}"
    ),
    st.tuples(NEAR_DATES, st.text(max_size=3)).map(lambda p: f"{p[0].isoformat()}{p[1]}"),
    st.sampled_from(["today", "Yesterday", "this-month", "LAST-MONTH", "..", "7d..8d", "`"]),
    st.sampled_from(["\x1b[2J", "\x00", "\u202e", "٣d", "²", "７d", "𝟕d", "1e3", "+5", "0x10"]),
)
VALID_PERIOD = st.one_of(
    st.integers(min_value=1, max_value=MAX_DAYS).map(lambda n: f"{n}d"),
    st.sampled_from(["today", "yesterday", "this-month", "last-month"]),
    st.tuples(NEAR_DATES, st.integers(min_value=0, max_value=95)).map(
        lambda p: f"{p[0].isoformat()}..{(p[0] + timedelta(days=p[1])).isoformat()}"
    ),
)
VALID_ARGUMENT = st.one_of(
    VALID_PERIOD,
    st.integers(min_value=1, max_value=MAX_LIMIT).map(str),
    st.sampled_from(["usage", "periods"]),
)
SEPARATOR = st.sampled_from([" ", "  ", "\t", "\n", "\u3000", "\x1c"])


@st.composite
def command_texts(draw: st.DrawFn, argument: st.SearchStrategy[str] = ARGUMENT) -> str:
    """Text shaped like a command: a (near-)name, then arguments people and fuzzers type."""
    words = [draw(st.sampled_from(NAMES))]
    words += draw(st.lists(argument, max_size=3))
    if len(words) > 1 and draw(st.integers(0, 4)) == 0:
        words[0], words[1] = words[1], words[0]
    return "".join(word + draw(SEPARATOR) for word in words)


@st.composite
def well_formed(draw: st.DrawFn) -> str:
    """A command with arguments of the kinds it takes, in any order, sometimes one of them odd."""
    spec = draw(st.sampled_from(list(COMMANDS.values())))
    args = []
    if "period" in spec.arguments and draw(st.booleans()):
        args.append(draw(VALID_PERIOD))
    if "limit" in spec.arguments and draw(st.booleans()):
        args.append(str(draw(st.integers(min_value=0, max_value=MAX_LIMIT + 1))))
    if "topic" in spec.arguments and draw(st.booleans()):
        args.append(draw(st.sampled_from([*COMMANDS, "periods", "usgae", "nonsense"])))
    if draw(st.integers(0, 3)) == 0:
        args.insert(draw(st.integers(0, len(args))), draw(ARGUMENT))
    args = draw(st.permutations(args))
    prefix = draw(st.sampled_from(["", "/venice ", "VENICE "]))
    return prefix + " ".join([draw(st.sampled_from([spec.name, spec.name.upper()])), *args])


ANY_TEXT = st.one_of(
    st.text(),
    command_texts(),
    command_texts(st.one_of(VALID_ARGUMENT, ARGUMENT)),
    well_formed(),
    well_formed(),
    st.text(min_size=480, max_size=520),
)


def check_invocation(invocation: Invocation) -> None:
    assert invocation.command in COMMANDS
    if invocation.period is not None:
        assert 1 <= invocation.period.days <= MAX_DAYS
        assert invocation.period.end <= TODAY
    if invocation.limit is not None:
        assert 1 <= invocation.limit <= MAX_LIMIT


def check_refusal(error: CommandTextError) -> None:
    assert error.message.strip()
    assert all(ch.isprintable() for ch in error.message), repr(error.message)
    assert len(error.message) <= 300
    assert error.example


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ANY_TEXT)
def test_parser_answers_or_refuses_in_one_sentence(text):
    try:
        invocation = parse_command(text, COMMANDS, TODAY)
    except CommandTextError as error:
        check_refusal(error)
        # The example offered must itself be a command that parses.
        check_invocation(parse_command(error.example, COMMANDS, TODAY))
    else:
        check_invocation(invocation)


def usage_answer():
    return builders.usage(
        days=[day(TODAY.replace(day=d), "1.25", "0.5") for d in range(1, 23)],
        models=[
            model(
                "llama\x1b[2J",
                "3.5",
                "1",
                "1200",
                breakdown=[part("Input", "1", "0", "1000"), part("Output", "2.5", "1", "200")],
            ),
            model("flux", "0.04", "0", "2", unit_type="images", model_type="image"),
        ],
        keys=[key("abc123def456", "prod\u202e", "3", "1"), key(None, None, "0.5", "0")],
        lookback=None,
    )


def static(balance_answer, usage) -> StaticBillingSource:
    return StaticBillingSource(
        fetched_at=FETCHED_AT, balance_answer=balance_answer, usage_for=lambda query: usage
    )


SOURCES = {
    "ok": lambda: static(builders.balance(), usage_answer()),
    "empty": lambda: static(
        builders.balance(diem=None, usd=None, allocation="0", currency=None), builders.usage()
    ),
    "rate limited": lambda: static(RateLimited("429", retry_after=5), RateLimited("429")),
    "failing": lambda: static(VeniceFailing("503", status=503), QueryTimedOut("504")),
    "inference key": lambda: static(AdminKeyRequired("401"), AdminKeyRequired("401")),
    "no key": lambda: None,
}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ANY_TEXT, st.sampled_from(sorted(SOURCES)))
def test_core_never_raises_and_always_has_a_card(text, source_name):
    ctx = context(SOURCES[source_name]())
    reply = asyncio.run(answer_text(text, ctx))
    event(f"{reply.outcome} {reply.command}")
    assert reply.outcome in ("answered", "invalid", "failed", "forbidden")
    assert isinstance(reply.card, Card)
    if reply.outcome in ("invalid", "forbidden"):
        assert reply.card.kind == "error"
    if source_name == "no key" and reply.outcome == "failed":
        assert reply.card.data["error"] == "NoVeniceKey"
    # Whatever came back can be shown in a terminal and as JSON.
    shown = render_text(reply.card)
    assert "\x1b" not in shown
    render_json(reply.card)
