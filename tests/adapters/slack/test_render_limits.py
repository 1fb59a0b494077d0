"""Slack must never refuse a reply: any card, however large or strange, fits Block Kit's limits."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block

from adapters.slack.render import render_card, slack_len
from bot.cards import (
    Action,
    Card,
    Column,
    Field,
    Footer,
    Meter,
    Row,
    Series,
    Stale,
    Table,
    Tone,
    Trend,
)

NASTY = [
    "<!channel>",
    "<!here>",
    "<@U123>",
    "<#C123|general>",
    "<https://evil.example|click>",
    "&lt;",
    "&",
    "*bold*",
    "_it_",
    "~s~",
    "`",
    "```",
    "\n",
    "  ",
    "é",
    "\u0301",
    "𝒳",
    "中文",
    "\u202e",
    "\x1b[2J",
    ":warning:",
    "$1.00",
    "x" * 200,
]
TEXT = st.one_of(
    st.text(max_size=40),
    st.lists(st.sampled_from(NASTY), max_size=12).map("".join),
)
LONG_TEXT = st.one_of(TEXT, st.integers(0, 9000).map(lambda n: ("<!channel> *x* & " * n)[:n]))


def assert_within_limits(message: dict[str, Any], max_blocks: int = 50) -> None:
    """Block Kit's limits, checked on the JSON and again by slack_sdk's own validators."""
    text = message["text"]
    assert isinstance(text, str)
    assert text.strip()
    assert slack_len(text) <= 3000
    blocks = message["blocks"]
    assert 1 <= len(blocks) <= max_blocks
    ids = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert len(ids) == len(set(ids)), "Slack refuses a message with two equal action ids"
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(block_ids) == len(set(block_ids))
    assert "<" not in json.dumps(message, ensure_ascii=False), "an unescaped < reached Slack"
    for block in blocks:
        kind = block["type"]
        if kind == "header":
            assert block["text"]["type"] == "plain_text"
            assert 0 < slack_len(block["text"]["text"]) <= 150
        elif kind == "section":
            assert "text" in block or "fields" in block
            if "text" in block:
                assert 0 < slack_len(block["text"]["text"]) <= 3000
            fields = block.get("fields", [])
            assert len(fields) <= 10
            assert all(0 < slack_len(field["text"]) <= 2000 for field in fields)
        elif kind == "context":
            assert 1 <= len(block["elements"]) <= 10
            assert all(0 < slack_len(e["text"]) <= 3000 for e in block["elements"])
        elif kind == "actions":
            assert 1 <= len(block["elements"]) <= 25
            for element in block["elements"]:
                assert 0 < slack_len(element["text"]["text"]) <= 75
                assert 0 < slack_len(element.get("value", "x")) <= 2000
        else:
            raise AssertionError(f"unexpected block type {kind}")
        # slack_sdk parses the block back and validates it again (SlackObjectFormationError).
        parsed = Block.parse(block)
        assert parsed is not None
        assert parsed.to_dict() == block


@st.composite
def tables(draw: st.DrawFn) -> Table:
    columns = tuple(
        Column(draw(TEXT), draw(st.sampled_from(["left", "right"])))
        for _ in range(draw(st.integers(0, 8)))
    )
    pool = draw(st.lists(TEXT, min_size=1, max_size=8))
    count = draw(st.integers(0, 1200))
    width = draw(st.integers(0, 10))
    rows = tuple(
        Row(tuple(pool[(i + j) % len(pool)] for j in range(width)), level=i % 3 % 2)
        for i in range(count)
    )
    return Table(draw(TEXT), columns, rows, draw(st.integers(0, 10**6)), draw(st.none() | TEXT))


@st.composite
def trends(draw: st.DrawFn) -> Trend:
    days = draw(st.integers(0, 400))
    first = date(2026, 1, 1)
    values = st.decimals(allow_nan=False, allow_infinity=False, min_value=-10, max_value=10**9)
    series = tuple(
        Series(
            draw(TEXT), tuple(draw(values) for _ in range(min(days, 5))) * (days // 5), draw(TEXT)
        )
        for _ in range(draw(st.integers(0, 12)))
    )
    return Trend(draw(TEXT), tuple(first + timedelta(days=i) for i in range(days // 5 * 5)), series)


# Command texts as buttons carry them: short, blank, or past Slack's 2000 characters.
COMMANDS = st.one_of(
    st.sampled_from(["balance", "alert ack 3", "alert snooze 3 1h", " ", "help  usage"]),
    st.integers(1990, 2010).map(lambda n: ("alert ack " + "9" * n)[:n]),
)


@st.composite
def cards(draw: st.DrawFn) -> Card:
    fields = draw(st.lists(st.builds(Field, TEXT, LONG_TEXT), max_size=30))
    fields = fields * draw(st.integers(1, 20))  # sometimes hundreds
    moment = st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
    )
    stale = st.builds(Stale, moment, LONG_TEXT)
    return Card(
        title=draw(LONG_TEXT),
        kind=draw(st.sampled_from(["report", "help", "error", "connect"])),
        tone=draw(st.sampled_from(list(Tone))),
        summary=draw(st.none() | LONG_TEXT),
        fields=tuple(fields),
        meter=draw(st.none() | st.builds(Meter, TEXT, st.decimals(allow_nan=False), LONG_TEXT)),
        trend=draw(st.none() | trends()),
        tables=tuple(draw(st.lists(tables(), max_size=4))),
        notes=tuple(draw(st.lists(LONG_TEXT, max_size=40)) * draw(st.integers(1, 10))),
        footer=draw(
            st.builds(Footer, st.none() | moment, st.none() | LONG_TEXT, st.none() | stale)
        ),
        actions=tuple(draw(st.lists(st.builds(Action, LONG_TEXT, COMMANDS), max_size=60))),
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(card=cards(), max_blocks=st.sampled_from([50, 49, 100, 2, 3, 7]))
def test_any_card_fits_slack(card: Card, max_blocks: int) -> None:
    assert_within_limits(render_card(card, max_blocks=max_blocks), max_blocks)


def test_a_huge_table_is_cut_and_says_how_many_rows_were_left_out() -> None:
    rows = tuple(Row((str(i), f"key-{i:04d}", f"${i}.00")) for i in range(1, 8001))
    table = Table(
        "Keys",
        (Column("#", "right"), Column("Key"), Column("USD", "right")),
        rows,
        omitted=7,
        omitted_note="$1.00 · 0.00 DIEM",
    )
    card = Card(title="Big", tables=(table,), notes=("after the table",))
    message = render_card(card)
    assert_within_limits(message)
    text = json.dumps(message, ensure_ascii=False)
    assert "key-0001" in text
    assert "key-8000" not in text
    shown = sum(f"key-{i:04d}" in text for i in range(1, 8001))
    assert f"… and {8000 - shown} more rows: too long for one Slack message" in text
    assert "… and 7 more ($1.00 · 0.00 DIEM)" in text
    assert "after the table" in text  # the notes after it still have their block


def test_app_home_gets_up_to_100_blocks() -> None:
    card = Card(title="Home", fields=tuple(Field(f"label {i}", f"value {i}") for i in range(1200)))
    for max_blocks in (50, 100):
        message = render_card(card, max_blocks=max_blocks)
        assert_within_limits(message, max_blocks)
        assert len(message["blocks"]) == max_blocks
        shown = (max_blocks - 1) * 10 - 1
        last = message["blocks"][-1]["fields"][-1]["text"]
        assert last == f"… and {1200 - shown} more: too many for one Slack message"


def test_too_many_parts_are_counted_in_the_footer() -> None:
    tables = tuple(Table(f"t{i}", (Column("a"),), (Row(("x",)),)) for i in range(60))
    card = Card(title="Many", tables=tables, footer=Footer(note="note"))
    message = render_card(card)
    assert_within_limits(message)
    footer = message["blocks"][-1]
    assert footer["type"] == "context"
    assert footer["elements"][-1]["text"] == (
        "… 12 more parts of this reply left out: too long for Slack"
    )


def test_a_single_field_section_keeps_the_label_and_cuts_the_value_visibly() -> None:
    card = Card(title="t", fields=(Field("Label", "v" * 5000),))
    message = render_card(card)
    assert_within_limits(message)
    line = message["blocks"][1]["text"]["text"]
    assert line.startswith("*Label* — vvv")
    assert line.endswith("…")


def test_meter_bar_and_caption() -> None:
    card = Card(title="t", meter=Meter("Used today", Decimal("0.62"), "24.8 of 40 DIEM"))
    section = render_card(card)["blocks"][1]["text"]["text"]
    assert section == "*Used today*\n▓▓▓▓▓▓▓▓▓▓▓▓░░░░░░░░ 62.0% used\n24.8 of 40 DIEM"
