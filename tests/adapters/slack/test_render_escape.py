"""Names from Venice can neither ping, link nor format in Slack, and lose no character."""

from __future__ import annotations

import json
import re

from hypothesis import given
from hypothesis import strategies as st

from adapters.slack.escape import (
    WORD_JOINER,
    escape_code,
    escape_mrkdwn,
    escape_plain,
    escape_prose,
    plain_prose,
)
from adapters.slack.render import fallback_text, render_card
from bot.cards import Card, Column, Field, Footer, Row, Table
from tests.adapters.slack.test_render_cases import HOSTILE, HOSTILE_MODEL
from tests.adapters.slack.test_render_limits import assert_within_limits

ANY_TEXT = st.text() | st.lists(st.sampled_from(list("<>&*_~`!@# \nab1"))).map("".join)
# A formatting character that could open or close a span: not between two letters or digits.
LIVE_MARK = re.compile(r"(?<![^\W_])[*_~]|[*_~](?![^\W_])|`")


def unescape(text: str) -> str:
    """What Slack shows: the joiners are invisible and the three entities are decoded."""
    plain = text.replace(WORD_JOINER, "")
    return plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def test_mentions_and_links_become_text():
    escaped = escape_mrkdwn(HOSTILE)
    assert "<" not in escaped
    assert ">" not in escaped
    assert escaped.startswith("&lt;!channel&gt; &lt;@U123&gt; &amp;lt; ")
    assert escape_plain("<https://evil|click>") == "&lt;https://evil|click&gt;"


def test_formatting_marks_are_wrapped_in_word_joiners():
    w = WORD_JOINER
    assert escape_mrkdwn("*bold*") == f"{w}*{w}bold{w}*{w}"
    assert escape_mrkdwn("_it_ ~s~") == f"{w}_{w}it{w}_{w} {w}~{w}s{w}~{w}"
    assert escape_mrkdwn("`code`") == f"{w}`{w}code{w}`{w}"


def test_marks_inside_a_word_are_left_alone_so_names_copy_cleanly():
    assert escape_mrkdwn("VENICE_API_KEY") == "VENICE_API_KEY"
    assert escape_mrkdwn("2*3*4") == "2*3*4"
    assert escape_mrkdwn("gpt_4o-mini") == "gpt_4o-mini"


@given(ANY_TEXT)
def test_escape_mrkdwn_keeps_every_character_and_leaves_no_live_mark(text):
    escaped = escape_mrkdwn(text)
    assert "<" not in escaped
    assert ">" not in escaped
    assert unescape(escaped) == text
    for mark in LIVE_MARK.finditer(escaped):
        at = mark.start()
        assert escaped[at - 1 : at] == WORD_JOINER
        assert escaped[at + 1 : at + 2] == WORD_JOINER


@given(ANY_TEXT)
def test_code_block_text_cannot_close_the_block(text):
    escaped = escape_code(text)
    assert "``" not in escaped
    assert "<" not in escaped
    assert unescape(escaped) == text


def test_prose_keeps_our_code_spans_and_neutralises_the_rest():
    # A command our text names is written as typed in Slack (tests/adapters/test_hints.py).
    assert escape_prose("Try: `usage 30d`.") == "Try: `/venice usage 30d`."
    assert escape_prose("run `<!here>` now") == "run `&lt;!here&gt;` now"
    w = WORD_JOINER
    assert escape_prose("key *x* spent") == f"key {w}*{w}x{w}*{w} spent"
    assert plain_prose("Try: `usage 30d`, or `help`.") == "Try: /venice usage 30d, or /venice help."


def test_every_place_venice_text_can_reach_is_escaped():
    card = Card(
        title=f"Top {HOSTILE}",
        summary=f"{HOSTILE} spent most",
        fields=(Field(HOSTILE, HOSTILE_MODEL),),
        tables=(
            Table(
                HOSTILE,
                (Column(HOSTILE), Column("USD", "right")),
                (Row((HOSTILE_MODEL, "$1.00")), Row((HOSTILE, "$0.50"), level=1)),
                omitted=3,
                omitted_note=HOSTILE,
            ),
        ),
        notes=(HOSTILE,),
        footer=Footer(note=HOSTILE),
    )
    message = render_card(card)
    assert_within_limits(message)
    dumped = json.dumps(message, ensure_ascii=False)
    for live in ("<!", "<@", "<#", "<http"):
        assert live not in dumped
    assert "&lt;!channel&gt;" in dumped
    assert fallback_text(card).startswith("Top &lt;!channel&gt; &lt;@U123&gt; &amp;lt; ")
