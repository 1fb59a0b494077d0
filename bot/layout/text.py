"""Text made printable and measured in display cells, for every renderer.

Venice-supplied names (models, key descriptions) reach a terminal, Slack or Discord through
here, so a key named `\\x1b[2J` is printed as text, never obeyed as a command to the terminal.
Widths are wcwidth's, counted per grapheme cluster (UAX #29): the cells a monospace font gives
a name in a terminal and in Slack's and Discord's code blocks alike.
"""

from __future__ import annotations

import functools
import re
import textwrap
import unicodedata

from wcwidth import iter_graphemes, wcswidth

# CSI (ESC [ or the one-byte C1 CSI), OSC (ESC ] ... BEL or ST), and two-byte ESC sequences.
_ESCAPE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -~]?"
)
ELLIPSIS = "…"
NBSP = "\u00a0"
_CODE = re.compile(r"`[^`\n]{1,60}`")
ZWJ = "\u200d"  # ZERO WIDTH JOINER: 👩 ZWJ 💻 is one emoji, 👩‍💻
ZWNJ = "\u200c"  # ZERO WIDTH NON-JOINER: part of how Persian words are spelt
BLACK_FLAG = "\U0001f3f4"  # 🏴 and tag characters spell subdivision flags
_TAGS = range(0xE0020, 0xE0080)
# Isolates a renderer may put around a name (bot/layout/bidi.py), and the one that closes them.
_ISOLATE_OPENERS = "\u2066\u2067\u2068"
PDI = "\u2069"


def _kept_format_char(ch: str, before: list[str], after: str) -> bool:
    """Whether an invisible format character belongs to the text rather than being a trick:
    a joiner between two visible characters, the tags of a flag. Bidi controls are never kept
    (they can reorder what is around them); renderers add their own, balanced, around names."""
    if ch in (ZWJ, ZWNJ):
        return bool(before) and not before[-1].isspace() and bool(after) and not after.isspace()
    if ord(ch) in _TAGS:
        return bool(before) and (before[-1] == BLACK_FLAG or ord(before[-1]) in _TAGS)
    return False


def sanitise_line(text: str) -> str:
    """One line of printable text: escape sequences and controls removed, line breaks made
    spaces, emoji sequences (joiners, skin tones, flags) kept whole."""
    if text.isascii() and text.isprintable():  # nothing to remove: the common case
        return text
    without_escapes = _ESCAPE.sub("", text)
    out: list[str] = []
    for index, ch in enumerate(without_escapes):
        category = unicodedata.category(ch)
        if ch in "\t\n\r\v\f" or category in ("Zl", "Zp"):
            out.append(" ")
        elif category in ("Cc", "Cs"):
            continue  # control characters
        elif category == "Cf":
            # Invisible format characters: kept only where they are part of the text.
            if _kept_format_char(ch, out, without_escapes[index + 1 : index + 2]):
                out.append(ch)
        else:
            out.append(ch)
    return "".join(out)


def sanitise_block(text: str) -> list[str]:
    """Printable lines of text that may span several lines."""
    return [sanitise_line(line) for line in text.replace("\r\n", "\n").split("\n")]


def clusters(text: str) -> list[str]:
    """TEXT in the pieces a cut may not break, its extended grapheme clusters (UAX #29): an
    emoji sequence (👩‍💻, 👍🏽, ❤️, a flag) or a letter with its combining marks is one piece."""
    return list(iter_graphemes(text))


@functools.lru_cache(maxsize=4096)
def cluster_width(cluster: str) -> int:
    """Terminal cells one grapheme cluster takes, as wcwidth measures it: 2 for wide East Asian
    forms and emoji (❤ alone is one cell, ❤️ two), 0 for invisible format characters."""
    return max(0, wcswidth(cluster))


def display_width(text: str) -> int:
    """Terminal cells a sanitised string takes."""
    if text.isascii():  # the common case, and tables measure every cell several times
        return len(text)
    return sum(cluster_width(cluster) for cluster in clusters(text))


def clip(text: str, width: int) -> str:
    """Cut TEXT to at most WIDTH cells, ending with `…` when something was cut: never inside an
    emoji sequence, and every isolate it keeps open is closed."""
    if display_width(text) <= width:
        return text
    if width <= 0:
        return ""
    kept: list[str] = []
    used = 0
    for cluster in clusters(text):
        cells = cluster_width(cluster)
        if used + cells > width - 1:
            break
        kept.append(cluster)
        used += cells
    shown = "".join(kept)
    unclosed = sum(shown.count(ch) for ch in _ISOLATE_OPENERS) - shown.count(PDI)
    return shown + ELLIPSIS + PDI * max(0, unclosed)


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
