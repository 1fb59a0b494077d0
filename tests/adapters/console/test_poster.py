"""ConsolePoster: the demo's digests printed as the terminal renderer draws them."""

from __future__ import annotations

import io

from adapters.console.poster import ConsolePoster
from adapters.console.render import render_text
from tests.adapters.post_samples import ALT_TEXT, digest_card, digest_post


async def test_a_post_prints_the_card_and_a_line_for_its_chart():
    out = io.StringIO()
    poster = ConsolePoster(out)
    first = await poster.post("console:demo", "digest", digest_post())
    second = await poster.post("console:demo", "digest", digest_post(chart=False))

    printed = out.getvalue()
    assert render_text(digest_card()) in printed
    assert printed.count(f"[chart: {ALT_TEXT}]") == 1  # only the post that had a chart
    assert printed.count("console:demo #digest") == 2
    assert first != second
    assert first.message_id.startswith("console-")
    assert first.chart_attached  # the chart's line went with the card


async def test_admins_are_told_on_the_console_without_terminal_escapes():
    out = io.StringIO()
    await ConsolePoster(out).tell_admins("console:demo", ["ann"], "Digest off.\x1b[2J")
    assert out.getvalue().strip() == "[to ann of console:demo] Digest off."
