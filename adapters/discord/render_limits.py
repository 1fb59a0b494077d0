"""Discord's embed limits, and text measured and cut to fit them without breaking markdown."""

from __future__ import annotations

from collections.abc import Callable

TITLE = 256
DESCRIPTION = 4096
FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER = 2048
TOTAL = 6000
ELLIPSIS = "…"


def size(text: str) -> int:
    """Characters as Discord counts them, taken at the stricter reading: UTF-16 code units
    (a character outside the BMP counts twice), never fewer than Python's `len`."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def fit(raw: str, limit: int, render: Callable[[str], str]) -> str:
    """RENDER(RAW), or RENDER of the longest prefix of RAW plus `…` that is at most LIMIT long.

    Cutting the raw text, not the rendered one, never leaves half an escape or half a code
    span: the renderer sees a shorter text and escapes it whole.
    """
    rendered = render(raw)
    if size(rendered) <= limit:
        return rendered
    if limit < size(ELLIPSIS):
        return ""
    # Escaping only adds characters, so a prefix much longer than LIMIT cannot fit unless most
    # of it is control characters the renderer drops; such text is cut a little early.
    low, high = 0, min(len(raw) - 1, 2 * limit + 16)
    best = ELLIPSIS
    while low <= high:
        middle = (low + high) // 2
        candidate = render(raw[:middle].rstrip() + ELLIPSIS)
        if size(candidate) <= limit:
            best, low = candidate, middle + 1
        else:
            high = middle - 1
    return best
