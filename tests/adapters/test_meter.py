"""Today's DIEM meter says the same percentage as the card's own summary on every platform."""

from __future__ import annotations

import json
import re

import pytest

from adapters.console.render import render_text
from adapters.discord.render import card_embed
from adapters.slack.render import render_card
from tests.asking import answer_text
from tests.commands.builders import balance, context, source, usage


@pytest.mark.parametrize(
    ("diem", "allocation", "shown"),
    [
        ("23.45", "40", "41.4%"),  # Discord said 41%
        ("0.4", "10", "96.0%"),  # Discord said 96%
        ("37.5", "100", "62.5%"),  # Discord said 63%
        ("99.99", "100", "<0.1%"),  # something used: never 0.0%
        ("0.001", "100", ">99.9%"),  # something left: never 100.0%
        ("0", "40", "100.0%"),
        ("40", "40", "0.0%"),
    ],
)
async def test_one_percentage_in_the_summary_and_every_meter(diem, allocation, shown):
    src = source(balance_answer=balance(diem=diem, allocation=allocation), usage_answer=usage())
    card = (await answer_text("balance", context(src))).card
    assert f"({shown} of the allocation used)" in (card.summary or "")
    slack = json.dumps(render_card(card), ensure_ascii=False)
    assert f" {shown.replace('<', '&lt;').replace('>', '&gt;')} used" in slack  # as Slack shows
    embed = card_embed(card).to_dict()
    (meter,) = [f["value"] for f in embed["fields"] if f["name"].startswith("Today's DIEM")]
    assert re.search(rf"` {re.escape(shown)} used", meter), meter
    assert f"] {shown} used" in render_text(card)
