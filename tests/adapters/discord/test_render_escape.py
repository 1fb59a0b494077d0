"""Venice text in an embed: shown as typed, never a mention, a masked link or formatting."""

from __future__ import annotations

import re
from decimal import Decimal

import discord
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.discord.escape import card_markdown, code_text, escape_markdown
from adapters.discord.render import card_embed
from bot.cards import Card, Column, Field, Footer, Meter, Row, Series, Table, Trend
from bot.layout.text import sanitise_line
from tests.adapters.discord.test_render_limits import HOSTILE, embed_texts, live_markup

HOSTILE_NAME = "@everyone <@123> **bold** [x](https://evil)"
NASTY = [
    HOSTILE_NAME,
    "<@123456789012345678> <@!123456789012345678> <@&456> <#789> @here",
    "[click](https://evil.example/login) and <https://evil.example>",
    "||spoiler|| ~~gone~~ __under__ *it* `code` ```block```",
    "# Heading\n> quote\n- item\n1. first\n-# small",
    "<t:0:R> <:emoji:123> </venice balance:1>",
    "back\\slash\\",
]


def shown_as(markdown: str) -> str:
    """What Discord displays for escaped text: backslashes and zero-width spaces gone."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace("@\u200b", "@")


def test_what_discord_py_escapes_leaves_mentions_and_links_live():
    # Why escape.py exists: discord.py's helpers leave short ids, channels and links alone.
    assert live_markup(discord.utils.escape_mentions("<@123>")) == ["user mention"]
    assert live_markup(discord.utils.escape_markdown("<#789>")) == ["channel mention"]
    assert "link" in live_markup(discord.utils.escape_markdown("[x](https://evil)"))


def test_hostile_names_are_inert_and_read_as_typed():
    for text in NASTY:
        escaped = escape_markdown(text)
        assert live_markup(escaped) == [], escaped
        assert shown_as(escaped) == "\n".join(sanitise_line(line) for line in text.split("\n"))
        assert "@everyone" not in escaped
        assert "@here" not in escaped


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=20), st.sampled_from(HOSTILE + NASTY))).map("".join))
def test_any_text_is_inert_and_loses_nothing(text: str):
    escaped = escape_markdown(text)
    assert live_markup(escaped) == []
    expected = "\n".join(sanitise_line(line) for line in text.replace("\r\n", "\n").split("\n"))
    assert shown_as(escaped) == expected


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=20), st.sampled_from(HOSTILE + NASTY))).map("".join))
def test_card_text_keeps_only_whole_code_spans(text: str):
    assert live_markup(card_markdown(text)) == []


def test_card_text_keeps_the_commands_it_quotes():
    # Written as typed on Discord (tests/adapters/test_hints.py), still as code.
    expected = "Try: `/venice usage period:90d` or \\*not\\*"
    assert card_markdown("Try: `usage 90d` or *not*") == expected
    assert card_markdown("`7d` and `Area/City`") == "`7d` and `Area/City`"
    assert card_markdown("a lone ` tick") == "a lone \\` tick"


def test_code_lines_cannot_close_their_block():
    assert "`" not in code_text("``` `x` ```")
    assert code_text("evil\u202eexe\nline") == "evilexe line"


def test_venice_text_anywhere_in_a_card_is_inert():
    for text in NASTY:
        card = Card(
            title=text,
            summary=text,
            fields=(Field(text, text), Field("Set by", text)),
            meter=Meter(text, Decimal("0.5"), text),
            trend=Trend(text, (), (Series(text, (), text),)),
            tables=(Table(text, (Column(text),), (Row((text,)),), 3, text),),
            notes=(text,),
            footer=Footer(note=text),
        )
        embed = card_embed(card)
        for shown in embed_texts(embed):
            assert live_markup(shown) == [], shown
        # Code blocks hold the table: still exactly one open and one close.
        assert (embed.description or "").count("```") == 2
