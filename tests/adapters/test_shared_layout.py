"""One card through all three renderers: the words and the table come from the one shared
layout (bot/layout/), so they read the same on Slack, Discord and the terminal, modulo each
platform's escaping and marks."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

from adapters.console.render import render_text
from adapters.discord.render import METER_CELLS as DISCORD_CELLS
from adapters.discord.render import card_embed
from adapters.slack.render import METER_CELLS as SLACK_CELLS
from adapters.slack.render import render_card
from bot.cards import Card, Column, Footer, Meter, Row, Stale, Table
from bot.layout.bidi import FSI, LRM, PDI
from bot.layout.wording import filled_cells, footer_line, stale_line

AS_OF = datetime(2026, 11, 22, 14, 1, 30, tzinfo=UTC)
FOOTER = Footer(
    as_of=AS_OF,
    note="Shares count 1 DIEM as $1 of credit.",
    stale=Stale(datetime(2026, 11, 21, 23, 50, tzinfo=UTC), "Venice is failing (HTTP 503)"),
)
TABLE = Table(
    title="Top API keys",
    columns=(Column("#", "right"), Column("Key"), Column("USD", "right")),
    rows=(
        Row(("1", "מפתח ראשי", "$32.50")),
        Row(("", "input tokens", "$30.00"), level=1),
        Row(("2", "生产密钥", "$4.10")),
        Row(("3", "👩\u200d💻 dev", "$1.00")),
        Row(("4", "Cafe\u0301 key", "$0.20")),
    ),
)
FRACTION = Decimal("0.62")
CARD = Card(
    title="Venice top API keys",
    summary="Spent $37.80 in the last 7 days.",
    meter=Meter("Today's DIEM", FRACTION, "24.9 DIEM left"),
    tables=(TABLE,),
    footer=FOOTER,
)
INVISIBLE = str.maketrans("", "", FSI + PDI + LRM)


def console_table(text: str) -> list[str]:
    lines = text.split("\n")
    start = lines.index("Top API keys") + 1
    end = lines.index("", start)
    return lines[start:end]


def code_block(text: str) -> list[str]:
    (body,) = re.findall(r"```\n(.*?)\n```", text, flags=re.DOTALL)
    return body.split("\n")


def slack_texts() -> list[str]:
    blocks = render_card(CARD)["blocks"]
    return [element["text"] for element in blocks[-1]["elements"]]


def test_the_footer_reads_the_same_on_every_platform() -> None:
    stale = stale_line(FOOTER, str.strip)
    line = footer_line(FOOTER, str.strip)
    assert stale == "Stale: data from 2026-11-21 23:50 UTC — Venice is failing (HTTP 503)"
    assert line == "As of 2026-11-22 14:01 UTC · Shares count 1 DIEM as $1 of credit."
    text = render_text(CARD)
    assert f"! {stale}" in text.split("\n")
    assert text.split("\n")[-1] == line
    assert slack_texts() == [f":warning: {stale}", line]
    assert card_embed(CARD).footer.text == f"⚠ {stale}\n{line}"


def test_the_table_is_laid_out_alike_on_every_platform() -> None:
    console = console_table(render_text(CARD))
    slack_section = next(
        block["text"]["text"]
        for block in render_card(CARD)["blocks"]
        if "```" in block.get("text", {}).get("text", "")
    )
    slack = code_block(slack_section)
    discord = code_block(card_embed(CARD).description or "")
    # Names isolated where the platform needs it (Slack, Discord), otherwise cell for cell alike.
    assert [line.translate(INVISIBLE) for line in slack] == console
    assert [line.translate(INVISIBLE) for line in discord] == console
    assert console[2] == "1  מפתח ראשי       $32.50"
    assert console[3] == "     input tokens  $30.00"  # the detail row under its name
    assert console[4] == "2  生产密钥         $4.10"  # eight cells of CJK
    assert console[5] == "3  👩\u200d💻 dev           $1.00"  # one emoji, two cells
    assert f"{FSI}מפתח ראשי{PDI}" in slack[2]
    assert f"{LRM}{FSI}מפתח ראשי{PDI}{LRM}" in discord[2]


def test_the_meter_fills_the_same_share_on_every_platform() -> None:
    console = next(line for line in render_text(CARD).split("\n") if line.endswith(" used"))
    assert console.count("█") == filled_cells(FRACTION, 20)
    slack = next(text for text in map(str, render_card(CARD)["blocks"]) if "░" in text)
    assert slack.count("▓") == filled_cells(FRACTION, SLACK_CELLS)
    (meter,) = [field for field in card_embed(CARD).fields if field.name == "Today's DIEM"]
    assert (meter.value or "").count("▓") == filled_cells(FRACTION, DISCORD_CELLS)
    for shown in (console, slack, meter.value or ""):
        assert "62.0% used" in shown
