"""The Chart button's rule: only a shareable, answered report that carries chart data."""

from __future__ import annotations

from dataclasses import replace

from bot.followups import chartable
from tests.adapters.post_samples import digest_card
from tests.asking import answer_text
from tests.commands.builders import balance, context, source, usage

CHART = digest_card().chart


async def test_a_report_with_chart_data_is_chartable_and_others_are_not() -> None:
    team = source(balance_answer=balance(), usage_answer=usage())
    reply = await answer_text("usage 30d", context(team))
    charted = replace(reply, card=replace(reply.card, chart=CHART))
    assert chartable(charted)
    assert not chartable(replace(charted, card=replace(charted.card, chart=None)))
    assert not chartable(replace(charted, outcome="failed"))
    helped = await answer_text("help", context(team))
    assert not chartable(replace(helped, card=replace(helped.card, chart=CHART)))
