"""Text made safe and measured for a terminal: no escape sequences, widths in terminal cells.

Venice-supplied names (models, key descriptions) reach the screen through here, so a key named
`\\x1b[2J` is printed as text, never obeyed as a command to the terminal.
"""

from __future__ import annotations

import functools
import re
import textwrap
import unicodedata

# CSI (ESC [ or the one-byte C1 CSI), OSC (ESC ] ... BEL or ST), and two-byte ESC sequences.
_ESCAPE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -~]?"
)
ELLIPSIS = "…"
NBSP = "\u00a0"
_CODE = re.compile(r"`[^`\n]{1,60}`")


def _clean_char(ch: str) -> str:
    category = unicodedata.category(ch)
    if ch in "\t\n\r\v\f" or category in ("Zl", "Zp"):
        return " "
    # Cc: control characters; Cf: invisible format characters (bidi overrides can reorder text).
    if category in ("Cc", "Cf", "Cs"):
        return ""
    return ch


def sanitise_line(text: str) -> str:
    """One line of printable text: escape sequences removed, line breaks made spaces."""
    if text.isascii() and text.isprintable():  # nothing to remove: the common case
        return text
    without_escapes = _ESCAPE.sub("", text)
    return "".join(_clean_char(ch) for ch in without_escapes)


def sanitise_block(text: str) -> list[str]:
    """Printable lines of text that may span several lines."""
    return [sanitise_line(line) for line in text.replace("\r\n", "\n").split("\n")]


@functools.lru_cache(maxsize=4096)
def char_width(ch: str) -> int:
    """Terminal cells one character takes: 2 for wide East Asian forms, 0 for combining marks."""
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def display_width(text: str) -> int:
    """Terminal cells a sanitised string takes."""
    if text.isascii():  # the common case, and tables measure every cell several times
        return len(text)
    return sum(char_width(ch) for ch in text)


def clip(text: str, width: int) -> str:
    """Cut TEXT to at most WIDTH cells, ending with `…` when something was cut."""
    if display_width(text) <= width:
        return text
    if width <= 0:
        return ""
    kept: list[str] = []
    used = 0
    for ch in text:
        cells = char_width(ch)
        if used + cells > width - 1:
            break
        kept.append(ch)
        used += cells
    return "".join(kept) + ELLIPSIS


def pad(text: str, width: int, align: str = "left") -> str:
    """Fill TEXT with spaces to WIDTH cells, on the right (`left`) or on the left (`right`)."""
    gap = " " * max(0, width - display_width(text))
    return gap + text if align == "right" else text + gap


def wrap(text: str, width: int, *, first: str = "", rest: str = "") -> list[str]:
    """Wrap sanitised TEXT to WIDTH columns with the given prefixes; keeps blank lines."""
    lines: list[str] = []
    for paragraph in sanitise_block(text):
        # A command in backticks is typed as one piece, so it is never split across lines.
        glued = _CODE.sub(lambda span: span.group().replace(" ", NBSP), paragraph)
        wrapped = textwrap.wrap(
            glued,
            width=max(10, width),
            initial_indent=first if not lines else rest,
            subsequent_indent=rest,
            break_on_hyphens=False,
        )
        lines.extend(line.replace(NBSP, " ") for line in wrapped or [""])
    return lines
