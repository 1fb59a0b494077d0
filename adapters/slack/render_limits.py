"""Slack's Block Kit size limits, and cutting escaped text to fit them with a visible `…`."""

from __future__ import annotations

from collections.abc import Callable

from bot.layout.bidi import FSI, PDI
from bot.layout.text import clip, clusters, sanitise_line

MESSAGE_BLOCKS = 50  # 100 in modals and App Home: callers pass max_blocks
HEADER_CHARS = 150
SECTION_CHARS = 3000
FIELD_CHARS = 2000
FIELDS_PER_SECTION = 10
CONTEXT_ELEMENTS = 10
CONTEXT_CHARS = 3000
FALLBACK_CHARS = 300
ELLIPSIS = "…"


def slack_len(text: str) -> int:
    """Length as Slack may count it: UTF-16 units, never less than slack_sdk's code points."""
    return len(text) if text.isascii() else len(text.encode("utf-16-le", "surrogatepass")) // 2


def fit(raw: str, limit: int, escape: Callable[[str], str]) -> str:
    """escape(RAW), or the longest escaped prefix of RAW plus `…` that is at most LIMIT long.

    Cutting the raw text, not the escaped one, never leaves half an `&amp;` behind.
    """
    escaped = escape(raw)
    if slack_len(escaped) <= limit:
        return escaped
    low, high = 0, len(raw)
    while low < high:  # the longest prefix that still fits, found by halving
        middle = (low + high + 1) // 2
        if slack_len(escape(raw[:middle])) + 1 <= limit:
            low = middle
        else:
            high = middle - 1
    while low > 0 and slack_len(escape(raw[:low])) + 1 > limit:
        low -= 1  # prose escaping is not strictly monotone in the prefix length
    return escape(raw[:low].rstrip()) + ELLIPSIS


def one_line(text: str, width: int, *, keep_indent: bool = False) -> str:
    """TEXT on one printable line, at most WIDTH terminal cells and 2 * WIDTH characters."""
    line = sanitise_line(text).rstrip()
    return clip_line(line if keep_indent else line.lstrip(), width)


def clip_line(line: str, width: int) -> str:
    """A printable LINE (sanitised already: it may hold the isolates around names) cut to at
    most WIDTH terminal cells and 2 * WIDTH characters."""
    line = clip(line, width)
    # Zero-width characters (combining marks) take no cells but still count against Slack.
    if len(line) <= 2 * width:
        return line
    pieces: list[str] = []
    room = 2 * width - 2  # the ellipsis, and a PDI should an isolate be left open
    for cluster in clusters(line):
        if len(cluster) > room:
            break
        pieces.append(cluster)
        room -= len(cluster)
    kept = "".join(pieces)
    return kept + ELLIPSIS + PDI * max(0, kept.count(FSI) - kept.count(PDI))
