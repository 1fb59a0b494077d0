"""Golden renderings of a card with actions (alert 3, `usd below 25`, with Snooze 1h / 1d / 1w, Ack
and Balance) on every platform, as each posts it: Slack's message (SlackPoster's `text` and
`blocks`), Discord's message body (DiscordPoster's embed and components), and the terminal text.

Regenerate after an intended change with
`UPDATE_GOLDEN=1 pytest tests/adapters/test_action_goldens.py` and review the diff. A missing
golden file fails: it is never written silently.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import discord
from discord.http import handle_message_parameters

from adapters.console.render import render_text
from adapters.discord.messages import card_view
from adapters.discord.render import ALLOWED_MENTIONS, card_embed
from adapters.slack.render import render_card
from tests.adapters.post_samples import alert_sample_card
from tests.adapters.slack.test_render_limits import assert_within_limits

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "actions"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def check_golden(name: str, rendered: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(rendered, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run with UPDATE_GOLDEN=1 and review it"
    assert rendered == path.read_text(encoding="utf-8")


def dump(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def test_slack():
    message = render_card(alert_sample_card())
    assert_within_limits(message)
    check_golden("alert.slack.json", dump(message))


async def test_discord():
    card = alert_sample_card()
    with handle_message_parameters(
        embed=card_embed(card), view=card_view(card), allowed_mentions=ALLOWED_MENTIONS
    ) as params:
        payload: dict[str, Any] = dict(params.payload or {})
    assert isinstance(card_view(card), discord.ui.View)
    check_golden("alert.discord.json", dump(payload))


def test_console():
    check_golden("alert.txt", render_text(alert_sample_card()) + "\n")


def test_every_golden_file_has_a_case():
    assert {path.name for path in GOLDEN.iterdir()} == {
        "alert.slack.json",
        "alert.discord.json",
        "alert.txt",
    }
