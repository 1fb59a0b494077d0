"""Text made inert for Discord: markdown, mentions and links from Venice cannot take effect.

Discord hides a backslash before any ASCII punctuation, so escaping is invisible. `@` is followed
by a zero-width space (as `discord.utils.escape_mentions` does), which breaks `@everyone`,
`@here`, `<@id>` and `<@&id>` even where a backslash would not be honoured. `<` is escaped too,
so channel mentions, custom emoji and timestamps (`<#id>`, `<:e:id>`, `<t:0>`) stay text, and the
`:` of `https://` so that no link is made. Characters that mean something only at the start of a
line (`-`, `+`, `1.`) are escaped only there, to keep the JSON readable.
"""

from __future__ import annotations

import re

from adapters.discord.slash_text import slash_form
from bot.layout.text import sanitise_line

# What Discord's markdown gives a meaning to anywhere in a line: emphasis, code, spoilers,
# quotes, headings, masked links (`[` and `]` suffice) and angle-bracket mentions.
_SPECIAL = frozenset("\\*_~|`><#[]")
ZERO_WIDTH_SPACE = "\u200b"
_ESCAPES = {ord(ch): "\\" + ch for ch in _SPECIAL} | {ord("@"): "@" + ZERO_WIDTH_SPACE}
# A backtick is replaced in code (a modifier grave accent looks the same): a code block or span
# has no escape, and "```" would end the block.
_CODE_TICK = "\u02cb"
# What has a meaning only at the start of a line: lists (`- `, `+ `, `1. `) and subtext (`-# `).
# (`#` is escaped everywhere already, which makes `-# ` inert.)
_LINE_START = re.compile(r"^(\s*)([-+](?=\s)|\d+\.(?=\s))", re.MULTILINE)
# `scheme://` would make the rest of the word a link.
_AUTOLINK = re.compile(r":(?=/)")
# A complete inline code span of the card's own text: `help usage`.
_CODE_SPAN = re.compile(r"`[^`\n]+`")


def escape_markdown(text: str) -> str:
    """TEXT shown literally in a description, title or field: nothing in it is live."""
    lines = [sanitise_line(line) for line in text.replace("\r\n", "\n").split("\n")]
    return "\n".join(_escape_line(line) for line in lines)


def _escape_line(line: str) -> str:
    line = _escape_chars(line)
    line = _AUTOLINK.sub(r"\\:", line)
    return _LINE_START.sub(_escape_start, line)


def _escape_start(match: re.Match[str]) -> str:
    indent, marker = match.group(1), match.group(2)
    if marker.endswith("."):
        return f"{indent}{marker[:-1]}\\."
    return f"{indent}\\{marker}"


def _escape_chars(text: str) -> str:
    return text.translate(_ESCAPES)


def card_markdown(text: str) -> str:
    """Card text (ours, possibly quoting Venice): its `code spans` kept, everything else escaped;
    a span that names a command written as typed on Discord (`/venice usage period:30d`).

    Inside a code span Discord shows mentions and links as text, so only complete spans are
    kept; a lone backtick is escaped like any other character.
    """
    out: list[str] = []
    position = 0
    for span in _CODE_SPAN.finditer(text):
        inner = sanitise_line(span.group()[1:-1])
        if not inner.strip():
            continue  # left as text: an empty span would pair with a later backtick
        out.append(escape_markdown(text[position : span.start()]))
        out.append(f"`{slash_form(inner)}`")
        position = span.end()
    out.append(escape_markdown(text[position:]))
    return "".join(out)


def code_text(text: str) -> str:
    """One line for a code block: printable, and no backtick that could end the block."""
    return sanitise_line(text).replace("`", _CODE_TICK)


def plain_text(text: str) -> str:
    """Text for places Discord shows as typed (footer): printable, one line per line."""
    return "\n".join(sanitise_line(line) for line in text.replace("\r\n", "\n").split("\n"))
