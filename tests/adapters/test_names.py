"""Names from Venice, shown safely and faithfully in Slack and Discord tables: right-to-left names
leave the figures beside them in place, emoji sequences stay whole, nothing becomes live.

Where the row ends up on screen is checked with FriBidi (libfribidi, the Unicode bidi algorithm
GTK and many terminals use), in both of the ways a client may pick a line's direction.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import re
from collections.abc import Callable

import pytest

from adapters.discord.render import card_embed
from adapters.slack.render import render_card
from bot.layout.bidi import FSI, LRM, PDI, isolate
from bot.layout.text import clip, display_width, sanitise_line
from tests.adapters.discord.test_render_limits import embed_texts, live_markup
from tests.asking import answer_text
from tests.commands.builders import context, key, source, usage, week
from tests.venice.ledger_bodies import RTL_KEY, ZWJ_KEY

WOMAN_TECHNOLOGIST = "👩\u200d💻"
PAR_AUTO, PAR_LTR = 0x40, 0x110  # FriBidi: direction from the first strong letter, or LTR


def fribidi() -> ctypes.CDLL:
    name = ctypes.util.find_library("fribidi")
    if name is None:
        pytest.skip("libfribidi is not installed: the visual order cannot be checked here")
    return ctypes.CDLL(name)


def on_screen(line: str, direction: int) -> str:
    """LINE in the order a reader sees it, left to right, invisible marks left out."""
    lib = fribidi()
    size = len(line)
    logical = (ctypes.c_uint32 * size)(*map(ord, line))
    visual = (ctypes.c_uint32 * size)()
    base = ctypes.c_uint32(direction)
    assert lib.fribidi_log2vis(logical, size, ctypes.byref(base), visual, None, None, None)
    return "".join(chr(code) for code in visual if chr(code) not in (FSI, PDI, LRM))


def top_keys_card(*names: str):
    keys = [key(f"id{i}", name, "32.50", "1.63", "1000") for i, name in enumerate(names)]
    src = source(usage_answer=usage(week(["32.50"], ["1.63"]), [], keys))
    return src


async def rows_of(platform: str, *names: str) -> list[str]:
    reply = await answer_text("top-keys 7d", context(top_keys_card(*names)))
    if platform == "slack":
        blocks = render_card(reply.card)["blocks"]
        text = "\n".join(str(block.get("text", {}).get("text", "")) for block in blocks)
    else:
        text = card_embed(reply.card).description or ""
    return [line for line in text.split("\n") if "1.63 DIEM" in line and "%" in line]


def as_sent(line: str) -> str:
    return line


def isolates_dropped(line: str) -> str:
    return line.replace(FSI, "").replace(PDI, "")


@pytest.mark.parametrize("platform", ["slack", "discord"])
@pytest.mark.parametrize("direction", [PAR_AUTO, PAR_LTR], ids=["auto", "ltr"])
async def test_a_right_to_left_name_leaves_the_figures_after_it(platform, direction):
    (row,) = await rows_of(platform, RTL_KEY)
    # Each cell keeps its place: the rank, the name, then the figures, left to right.
    seen = on_screen(row, direction)
    assert seen.startswith("1 ")
    assert re.search(r"\$32\.50 +1\.63 DIEM +1K +100\.0%$", seen), seen
    if platform == "slack":
        assert f"{FSI}{RTL_KEY}{PDI}" in row
    else:
        assert f"{LRM}{FSI}{RTL_KEY}{PDI}{LRM}" in row


@pytest.mark.parametrize("direction", [PAR_AUTO, PAR_LTR], ids=["auto", "ltr"])
@pytest.mark.parametrize("platform_does", [as_sent, isolates_dropped], ids=["kept", "dropped"])
async def test_on_discord_the_marks_hold_even_if_the_isolates_are_dropped(
    platform_does: Callable[[str], str], direction
):
    (row,) = await rows_of("discord", RTL_KEY)
    seen = on_screen(platform_does(row), direction)
    assert seen.startswith("1 ")
    assert re.search(r"\$32\.50 +1\.63 DIEM", seen), seen


@pytest.mark.parametrize("platform", ["slack", "discord"])
async def test_emoji_sequences_keep_their_joiners(platform):
    (row,) = await rows_of(platform, ZWJ_KEY)
    assert WOMAN_TECHNOLOGIST in row  # 👩‍💻, not 👩💻
    assert FSI not in row  # left to right already: nothing to isolate


@pytest.mark.parametrize("platform", ["slack", "discord"])
@pytest.mark.parametrize(
    "name",
    [
        "<!channel> מפתח",
        "@everyone مفتاح",
        "מפתח `code` *bold* [x](https://evil.example)",
        "\u202eevil\u202c override \u2066stray isolate",
    ],
)
async def test_isolated_names_are_still_inert(platform, name):
    reply = await answer_text("top-keys 7d", context(top_keys_card(name)))
    if platform == "slack":
        text = json.dumps(render_card(reply.card), ensure_ascii=False)
        assert "<!channel>" not in text
        assert "\u202e" not in text
        assert "\u2066" not in text  # only the renderer's own, balanced isolates
    else:
        for text in embed_texts(card_embed(reply.card)):
            assert live_markup(text) == []  # inside the table's code block, text as typed
            assert "\u202e" not in text
            assert text.count(FSI) == text.count(PDI)


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        (ZWJ_KEY, ZWJ_KEY),  # the joiner inside 👩‍💻 stays
        ("👍🏽 and ❤️", "👍🏽 and ❤️"),  # skin tones and the emoji variation selector stay
        ("🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f", None),  # a flag
        ("می\u200cخواهم", "می\u200cخواهم"),  # Persian: the non-joiner is part of the spelling
        ("\u200dlonely joiner\u200d", "lonely joiner"),  # at the edges it joins nothing
        ("a\u202eb\u202c \u2067c\u2069 \u200fd\u061c", "ab c d"),  # bidi controls never pass
        ("x\u00ady\ufeffz\u2060", "xyz"),  # other invisible characters go too
    ],
)
def test_sanitising_keeps_what_belongs_to_the_text(raw, kept):
    assert sanitise_line(raw) == (raw if kept is None else kept)


@pytest.mark.parametrize(
    ("text", "width", "cells"),
    [
        (ZWJ_KEY, 4, 2 + 1 + 1),  # 👩‍💻 is one wide glyph
        ("❤️ ok", 4, 2 + 1 + 1),
        ("👍🏽👍🏽👍🏽", 4, 2 + 1),  # the second would not leave room for the ellipsis
        ("é\u0301é", 2, 2),  # combining marks take no cell
    ],
)
def test_width_and_clipping_never_break_a_glyph(text, width, cells):
    assert display_width(text[:2]) <= display_width(text)
    cut = clip(text, width)
    assert display_width(cut) <= width
    assert display_width(cut) == cells
    assert not cut.rstrip("…").endswith(("\u200d", "\U0001f469"))


def test_a_clipped_isolated_name_stays_closed():
    name = isolate("מפתח ראשי ארוך מאוד")
    assert name.startswith(FSI)
    cut = clip(name, 8)
    assert cut.count(FSI) == cut.count(PDI) == 1
    assert display_width(cut) <= 8
