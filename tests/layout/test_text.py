"""Display width is wcwidth's, per grapheme cluster: what a monospace font gives each name."""

from __future__ import annotations

import pytest

from bot.layout.bidi import FSI, LRM, PDI
from bot.layout.text import clip, clusters, display_width, pad

WOMAN_TECHNOLOGIST = "👩\u200d💻"  # woman, ZERO WIDTH JOINER, laptop: one emoji
FAMILY = "👨\u200d👩\u200d👧"
THUMBS_UP_MEDIUM = "👍🏽"
SPAIN = "🇪🇸"
HEART_EMOJI = "❤\ufe0f"
CAFE_DECOMPOSED = "Cafe\u0301"  # e + COMBINING ACUTE ACCENT


@pytest.mark.parametrize(
    ("text", "cells"),
    [
        ("gpt-4o", 6),
        ("中文模型", 8),  # CJK: two cells each
        ("한국어", 6),
        ("ｗｉｄｅ", 8),  # fullwidth Latin
        (WOMAN_TECHNOLOGIST, 2),  # a ZWJ sequence is one emoji, two cells
        (f"{WOMAN_TECHNOLOGIST} dev", 6),
        (FAMILY, 2),
        (THUMBS_UP_MEDIUM, 2),  # a skin tone joins the emoji before it
        (SPAIN, 2),  # two regional indicators: one flag
        ("❤", 1),  # text presentation
        (HEART_EMOJI, 2),  # VS16: drawn as an emoji
        (CAFE_DECOMPOSED, 4),  # a combining mark takes no cell
        ("e\u0301\u0302\u0303", 1),
        ("مفتاح", 5),  # right to left: one cell a letter
        (f"{FSI}מפתח{PDI}", 4),  # isolates take no cell
        (f"{LRM}{FSI}מפתח{PDI}{LRM}", 4),
    ],
)
def test_display_width(text: str, cells: int) -> None:
    assert display_width(text) == cells


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        (f"a{WOMAN_TECHNOLOGIST}b", ["a", WOMAN_TECHNOLOGIST, "b"]),
        (f"{SPAIN}{THUMBS_UP_MEDIUM}", [SPAIN, THUMBS_UP_MEDIUM]),
        (CAFE_DECOMPOSED, ["C", "a", "f", "e\u0301"]),
    ],
)
def test_clusters_are_graphemes(text: str, pieces: list[str]) -> None:
    assert clusters(text) == pieces


@pytest.mark.parametrize(
    ("text", "width", "clipped"),
    [
        (WOMAN_TECHNOLOGIST * 3, 5, WOMAN_TECHNOLOGIST * 2 + "…"),  # never half an emoji
        (WOMAN_TECHNOLOGIST * 3, 4, WOMAN_TECHNOLOGIST + "…"),
        ("中文模型", 5, "中文…"),
        ("Cafe\u0301 Paris", 5, "Cafe\u0301…"),  # the accent stays on its letter
        (f"{FSI}מפתח ראשי{PDI}", 4, f"{FSI}מפת…{PDI}"),  # an isolate cut open is closed
    ],
)
def test_clip_cuts_between_clusters(text: str, width: int, clipped: str) -> None:
    assert clip(text, width) == clipped
    assert display_width(clipped) <= width


def test_pad_counts_cells_not_characters() -> None:
    assert pad("中文", 6) == "中文  "
    assert pad(WOMAN_TECHNOLOGIST, 4, "right") == "  " + WOMAN_TECHNOLOGIST
    assert display_width(pad(CAFE_DECOMPOSED, 6)) == 6
