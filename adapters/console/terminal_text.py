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
ZWJ = "\u200d"  # ZERO WIDTH JOINER: 👩 ZWJ 💻 is one emoji, 👩‍💻
ZWNJ = "\u200c"  # ZERO WIDTH NON-JOINER: part of how Persian words are spelt
BLACK_FLAG = "\U0001f3f4"  # 🏴 and tag characters spell subdivision flags
_TAGS = range(0xE0020, 0xE0080)
_VARIATION_SELECTORS = frozenset(chr(code) for code in range(0xFE00, 0xFE10))
EMOJI_PRESENTATION = "\ufe0f"  # VS16: the character before it is drawn as a (wide) emoji
_SKIN_TONES = range(0x1F3FB, 0x1F400)
# Isolates a renderer may put around a name (adapters/bidi.py), and the one that closes them.
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


@functools.lru_cache(maxsize=4096)
def char_width(ch: str) -> int:
    """Terminal cells one character takes alone: 2 for wide East Asian forms and emoji, 0 for
    combining marks and invisible format characters."""
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def _extends(previous: str, ch: str) -> bool:
    """Whether CH is drawn as part of the glyph before it."""
    if previous == ZWJ:
        return True  # the emoji after a joiner joins the one before it
    return (
        ch in _VARIATION_SELECTORS
        or ch == ZWJ
        or ord(ch) in _TAGS
        or ord(ch) in _SKIN_TONES
        or unicodedata.category(ch) in ("Mn", "Me")
    )


def clusters(text: str) -> list[str]:
    """TEXT in the pieces a cut may not break: an emoji sequence (👩‍💻, 👍🏽, ❤️, a flag) or a
    letter with its combining marks is one piece."""
    found: list[str] = []
    for ch in text:
        if found and char_width(found[-1][0]) != 0 and _extends(found[-1][-1], ch):
            found[-1] += ch
        else:
            found.append(ch)
    return found


def _cluster_width(cluster: str) -> int:
    width = char_width(cluster[0])
    if width == 1 and EMOJI_PRESENTATION in cluster:
        return 2  # ❤ alone is one cell; ❤️ is drawn as an emoji, two cells wide
    return width


def display_width(text: str) -> int:
    """Terminal cells a sanitised string takes."""
    if text.isascii():  # the common case, and tables measure every cell several times
        return len(text)
    return sum(_cluster_width(cluster) for cluster in clusters(text))


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
        cells = _cluster_width(cluster)
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
