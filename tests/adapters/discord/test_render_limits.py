"""Any card at all becomes an embed Discord accepts, with nothing live in it (hypothesis).

Also home of the two checks the other Discord tests use: `embed_problems` (every embed limit,
counted as Discord counts them) and `live_markup` (mentions and links that would take effect).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import discord
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.discord.render import card_embed
from bot.cards import Card, Column, Field, Footer, Meter, Row, Series, Stale, Table, Tone, Trend

LIMITS = {"title": 256, "description": 4096, "field_name": 256, "field_value": 1024}
TOTAL = 6000
FOOTER = 2048
MAX_FIELDS = 25

_LIVE = {
    "user mention": re.compile(r"<@!?\d+>"),
    "role mention": re.compile(r"<@&\d+>"),
    "channel mention": re.compile(r"<#\d+>"),
    "everyone": re.compile(r"@(everyone|here)"),
    "masked link": re.compile(r"\[[^\]]*\]\([^)]*\)"),
    "link": re.compile(r"https?://", re.IGNORECASE),
    "angle link": re.compile(r"<[a-z]+:"),
}


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def embed_problems(embed: discord.Embed) -> list[str]:
    """Every limit the embed breaks, by Python's count and by UTF-16's; [] when Discord takes it."""
    data = embed.to_dict()
    problems: list[str] = []
    fields = data.get("fields", [])
    texts = {"title": data.get("title", ""), "description": data.get("description", "")}
    for key, text in texts.items():
        if utf16(text) > LIMITS[key]:
            problems.append(f"{key} is {utf16(text)} long")
    if len(fields) > MAX_FIELDS:
        problems.append(f"{len(fields)} fields")
    for index, field in enumerate(fields):
        for part in ("name", "value"):
            text = field[part]
            if not text.strip():
                problems.append(f"field {index} {part} is blank")
            if utf16(text) > LIMITS[f"field_{part}"]:
                problems.append(f"field {index} {part} is {utf16(text)} long")
    footer = data.get("footer", {}).get("text", "")
    if utf16(footer) > FOOTER:
        problems.append(f"footer is {utf16(footer)} long")
    # Discord's total: title, description, field names and values, footer text, author name.
    parts = [*texts.values(), footer, data.get("author", {}).get("name", "")]
    parts += [field["name"] + field["value"] for field in fields]
    total = sum(utf16(part) for part in parts)
    if total > TOTAL or len(embed) > TOTAL:
        problems.append(f"{total} characters in all")
    json.dumps(data)  # and it is JSON
    return problems


def live_markup(text: str) -> list[str]:
    """Mentions and links Discord would render in TEXT (outside code, not escaped)."""
    shown: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("```", i):
            end = text.find("```", i + 3)
            i = len(text) if end < 0 else end + 3
        elif text[i] == "\\" and i + 1 < len(text) and not text[i + 1].isalnum():
            shown.append("§")  # an escaped character is plain text
            i += 2
        elif text[i] == "`":
            end = text.find("`", i + 1)
            if end < 0:
                shown.append("`")
                i += 1
            else:
                i = end + 1
        else:
            shown.append(text[i])
            i += 1
    visible = "".join(shown)
    return [name for name, pattern in _LIVE.items() if pattern.search(visible)]


def embed_texts(embed: discord.Embed) -> list[str]:
    """Every string of the embed Discord renders as markdown."""
    data = embed.to_dict()
    texts = [data.get("title", ""), data.get("description", "")]
    for field in data.get("fields", []):
        texts += [field["name"], field["value"]]
    return texts


# --- the property ----------------------------------------------------------------------------

HOSTILE = [
    "@everyone",
    "@here",
    "<@123456789012345678>",
    "<@&456>",
    "<#789>",
    "[x](https://evil.example)",
    "https://evil.example",
    "`",
    "```",
    "\\",
    "**",
    "\n",
    "\n- ",
    "\n1. ",
    "\n# ",
    "> ",
    "||",
    "😀",
    "漢字",
    "\u202e",
    "\x1b[2J",
    "<t:0:R>",
    "-# ",
]
texts = st.lists(st.one_of(st.text(max_size=40), st.sampled_from(HOSTILE)), max_size=12).map(
    "".join
)
long_texts = st.one_of(texts, st.integers(1, 7000).map(lambda n: ("x@[`" * n)[:n]))
decimals = st.decimals(min_value=-10, max_value=10**9, places=2, allow_nan=False)
moments = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
)


@st.composite
def tables(draw: Any) -> Table:
    columns = draw(
        st.lists(st.builds(Column, texts, st.sampled_from(["left", "right"])), max_size=8)
    )
    rows = draw(
        st.lists(
            st.builds(Row, st.lists(texts, max_size=9).map(tuple), st.integers(0, 2)), max_size=80
        )
    )
    return Table(
        draw(long_texts), tuple(columns), tuple(rows), draw(st.integers(0, 10**6)), draw(texts)
    )


@st.composite
def trends(draw: Any) -> Trend:
    days = draw(st.integers(0, 120))
    start = date(2026, 1, 1)
    series = draw(
        st.lists(
            st.builds(Series, long_texts, st.lists(decimals, max_size=days).map(tuple), long_texts),
            max_size=10,
        )
    )
    return Trend(draw(long_texts), tuple(start + timedelta(i) for i in range(days)), tuple(series))


@st.composite
def cards(draw: Any) -> Card:
    stale = draw(st.none() | st.builds(Stale, moments, long_texts))
    return Card(
        title=draw(long_texts),
        kind=draw(st.sampled_from(["report", "help", "error", "connect"])),
        tone=draw(st.sampled_from(list(Tone))),
        summary=draw(st.none() | long_texts),
        fields=tuple(draw(st.lists(st.builds(Field, long_texts, long_texts), max_size=40))),
        meter=draw(
            st.none()
            | st.builds(Meter, long_texts, st.decimals(allow_nan=True, allow_infinity=True), texts)
        ),
        trend=draw(st.none() | trends()),
        tables=tuple(draw(st.lists(tables(), max_size=3))),
        notes=tuple(draw(st.lists(long_texts, max_size=20))),
        footer=Footer(
            as_of=draw(st.none() | moments), note=draw(st.none() | long_texts), stale=stale
        ),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cards())
def test_any_card_gives_an_embed_within_every_limit_with_nothing_live(card: Card) -> None:
    embed = card_embed(card)
    assert embed_problems(embed) == []
    for text in embed_texts(embed):
        assert live_markup(text) == [], text


def test_the_checks_catch_what_they_look_for() -> None:
    big = discord.Embed(title="t" * 257, description="d" * 4000)
    for _ in range(26):
        big.add_field(name="", value="v" * 1025)
    problems = embed_problems(big)
    assert "title is 257 long" in problems
    assert "26 fields" in problems
    assert "field 0 name is blank" in problems
    assert "field 0 value is 1025 long" in problems
    assert any("characters in all" in problem for problem in problems)
    assert live_markup("hi @everyone") == ["everyone"]
    assert live_markup("a [x](https://e) b") == ["masked link", "link"]
    assert live_markup("`<@123>` and \\<@123\\> ```\n@here\n```") == []
    assert live_markup("<@123>") == ["user mention"]


def test_a_huge_card_is_cut_not_refused() -> None:
    rows = tuple(Row((str(i), f"key-{i}" * 9, "$1.00")) for i in range(500))
    card = Card(
        title="T" * 1000,
        summary="S" * 9000,
        fields=tuple(Field(f"F{i}" * 200, "V" * 2000) for i in range(60)),
        tables=(
            Table("Keys", (Column("#", "right"), Column("Key"), Column("USD", "right")), rows),
        ),
        notes=("N" * 3000,) * 5,
        footer=Footer(as_of=datetime(2026, 11, 22, tzinfo=UTC), note="n" * 5000),
    )
    embed = card_embed(card)
    assert embed_problems(embed) == []
    assert (embed.title or "").endswith("…")
    assert "… and" in (embed.description or "")
    assert "more" in (embed.fields[-1].value or "")


def test_values_that_are_not_numbers_do_not_break_the_meter() -> None:
    for fraction in (Decimal("NaN"), Decimal("Infinity"), Decimal("-1"), Decimal("7")):
        embed = card_embed(Card("m", meter=Meter("used", fraction, "")))
        assert embed_problems(embed) == []


KEYS_TABLE = (Column("#", "right"), Column("Key"), Column("USD", "right"))


@pytest.mark.parametrize(
    ("card", "part", "limit"),
    [
        (Card("t", summary="s" * 9000), "description", 4096),
        (Card("t" * 900), "title", 256),
        (Card("t", fields=(Field("n" * 900, "v"),)), "field_name", 256),
        (Card("t", fields=(Field("n", "v" * 3000),)), "field_value", 1024),
        (Card("t", notes=("n" * 3000,)), "field_value", 1024),
        (Card("t", footer=Footer(note="n" * 3000)), "footer", 2048),
        (
            Card("t", tables=(Table("T", KEYS_TABLE, (Row(("1", "k", "$1")),) * 900),)),
            "description",
            4096,
        ),
    ],
)
def test_each_part_is_cut_at_its_own_limit_and_uses_it(card: Card, part: str, limit: int):
    data = card_embed(card).to_dict()
    texts = {
        "title": data.get("title", ""),
        "description": data.get("description", ""),
        "footer": data.get("footer", {}).get("text", ""),
        "field_name": data.get("fields", [{}])[0].get("name", ""),
        "field_value": data.get("fields", [{}])[0].get("value", ""),
    }
    assert limit - 40 <= len(texts[part]) <= limit
