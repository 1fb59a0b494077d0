"""The commands a reply tells people to type are written for where they read it: `/venice usage
30d` in Slack, `/venice usage period:30d` in Discord, `usage 30d` in a terminal; and advice about
a new key names VENICE_API_KEY, `venice-bot keys set` or `connect`, whichever applies there."""

from __future__ import annotations

import json
import re

import pytest

from adapters.console.render import render_text
from adapters.discord.registration import commands_payload
from adapters.discord.render import card_embed
from adapters.slack.render import render_card
from bot.cards import Card
from bot.error_cards import failure_card, invalid_card, no_key_card
from bot.errors import AdminKeyRequired, BadKey, CommandTextError, PaymentRequired
from bot.invocation import Invocation
from bot.registry import COMMANDS
from tests.adapters.discord.test_render_limits import embed_texts
from tests.asking import answer_text
from tests.commands.builders import context, source, usage


def slack_text(card: Card) -> str:
    return json.dumps(render_card(card)["blocks"], ensure_ascii=False)


def discord_text(card: Card) -> str:
    return "\n".join(embed_texts(card_embed(card)))


def terminal_text(card: Card) -> str:
    return render_text(card, width=200)


@pytest.mark.parametrize(
    ("named", "slack", "discord"),
    [
        ("usage 30d", "/venice usage 30d", "/venice usage period:30d"),
        ("top-keys 30d 5", "/venice top-keys 30d 5", "/venice top-keys period:30d n:5"),
        ("top-models 5", "/venice top-models 5", "/venice top-models n:5"),
        ("help usage", "/venice help usage", "/venice help command:usage"),
        ("access admins", "/venice access admins", "/venice access who:admins"),
        ("connect", "/venice connect", "/venice connect"),
        (
            "digest on 08:30 America/New_York mon-fri skip-empty",
            "/venice digest on 08:30 America/New_York mon-fri skip-empty",
            "/venice digest action:on time:08:30 timezone:America/New_York days:mon-fri "
            "skip_empty:True",
        ),
        # Already the chat form (a terminal speaking of chat): Discord still writes its options.
        ("/venice digest on", "/venice digest on", "/venice digest action:on"),
        # Not a command: left as it is everywhere.
        ("7d", "7d", "7d"),
        ("venice-bot keys set console:local", None, None),
    ],
)
def test_a_named_command_in_each_platforms_form(named, slack, discord):
    card = Card(title="t", summary=f"Try `{named}` now.")
    assert f"`{slack or named}`" in slack_text(card)
    assert f"`{discord or named}`" in discord_text(card)
    assert f"`{named}`" in terminal_text(card)  # as `venice-bot ask` and the demo take it


def test_the_discord_options_are_those_each_command_declares():
    (group,) = commands_payload()
    registered = {
        sub["name"]: [option["name"] for option in sub.get("options", [])]
        for sub in group["options"]
    }
    declared = {spec.name: [option.name for option in spec.options] for spec in COMMANDS.values()}
    assert registered == declared
    assert registered["top-keys"] == ["period", "n"]
    assert registered["digest"] == ["action", "time", "timezone", "days", "skip_empty"]


def test_an_invalid_period_hints_in_the_platforms_form():
    card = invalid_card(CommandTextError("`7x` is not a period.", example="usage 30d"))
    assert "`/venice usage period:30d`" in discord_text(card)
    assert "`/venice usage 30d`" in slack_text(card)
    assert "Try: `usage 30d`" in terminal_text(card)


@pytest.mark.parametrize("error", [AdminKeyRequired("x"), BadKey("x"), PaymentRequired("x")])
@pytest.mark.parametrize(
    ("workspace", "advice"),
    [
        (None, "set VENICE_API_KEY to it"),
        ("console:local", "store it with `venice-bot keys set console:local`"),
        ("slack:T0123", "connect it with `connect` (in a terminal: `venice-bot keys set"),
    ],
)
def test_key_advice_names_what_works_where_the_command_ran(error, workspace, advice):
    card = failure_card(error, Invocation("balance"), workspace)
    assert advice in (card.summary or "")
    if workspace is None or workspace.startswith("console:"):
        # A terminal: never a chat command to type.
        assert "`/venice" not in terminal_text(card)
    else:
        assert "`/venice connect`" in slack_text(card)


def test_no_key_in_a_terminal_says_what_to_set():
    text = terminal_text(no_key_card())
    assert "Set VENICE_API_KEY" in text


async def test_help_in_discord_gives_slash_commands_with_options():
    reply = await answer_text("help", context(source(usage_answer=usage())))
    text = discord_text(reply.card)
    assert "`/venice usage period:30d`" in text
    assert "`/venice top-keys period:30d n:5`" in text
    assert not re.search(r"`usage 30d`", text)


def test_long_commands_keep_their_code_formatting_in_slack():
    command = "venice-bot digest set slack:T0123ABCD --channel C0456 --at 09:00 --tz Europe/Madrid"
    text = slack_text(Card(title="t", summary=f"From a terminal: `{command}`."))
    assert f"`{command}`" in text
