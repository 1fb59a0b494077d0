"""Text made inert for Slack: no mentions, no links, no formatting from names Venice supplies.

Slack parses `&`, `<` and `>` in every text object (`<!channel>`, `<@U123>`, `<url|label>`), so
those three always become `&amp;`, `&lt;`, `&gt;`; Slack shows them as the characters again.

mrkdwn has no escape for its formatting characters (`*bold*`, `_italic_`, `~strike~`, `` `code` ``).
`escape_mrkdwn` puts an invisible U+2060 WORD JOINER on both sides of each one. A formatting
character only opens or closes a span at a word boundary next to non-space text; with a joiner on
both sides it has neither, whether Slack reads the joiner as a letter or as a space. Nothing is
removed: the characters stay, and a copy of the text differs only by the invisible joiners.
(WORD JOINER rather than ZERO WIDTH JOINER: it never glues neighbouring emoji into one glyph.)
`*`, `_` and `~` between two letters or digits (`VENICE_API_KEY`, `gpt_4o`) are no boundary,
so they stay as they are and copy cleanly; a backtick always gets its joiners.

Inside a ``` code block formatting is not applied, so `escape_code` only breaks up backticks, which
could close the block early.
"""

from __future__ import annotations

import re

from bot.command_hints import CHAT_COMMAND, named_command

WORD_JOINER = "\u2060"
FORMATTING = "*_~`"
_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_FORMATTING = re.compile("[*_~`]")
# Our own prose marks commands as `usage 30d`: the same spans the console keeps whole. A span
# counts only at word boundaries, where Slack itself would read it as code; long ones too
# (`venice-bot digest set WORKSPACE --channel C --at 09:00 --tz Area/City`).
_CODE_SPAN = re.compile(r"(?<![^\s(])`([^`\n]{1,300})`(?![^\s.,;:!?)])")


def escape_plain(text: str) -> str:
    """`&`, `<`, `>` as entities: enough for plain_text objects, where nothing else is parsed."""
    return text.translate(_ENTITIES)


def escape_mrkdwn(text: str) -> str:
    """TEXT shown literally in mrkdwn: entities for `&<>`, formatting characters made inert."""
    return _FORMATTING.sub(_inert, escape_plain(text))


def plain_prose(text: str) -> str:
    """A card's sentence for plain places (notifications): `code` spans lose their backticks."""
    return _CODE_SPAN.sub(lambda span: slack_form(span.group(1)), text)


def slack_form(text: str) -> str:
    """A command the card names (bot/command_hints.py) as typed in Slack: `/venice usage 30d`;
    any other text as it is."""
    named = named_command(text)
    if named is None or named.chat_form:
        return text
    return f"{CHAT_COMMAND} {' '.join(text.split())}"


def _inert(match: re.Match[str]) -> str:
    char, at, text = match.group(), match.start(), match.string
    inside_word = 0 < at < len(text) - 1 and text[at - 1].isalnum() and text[at + 1].isalnum()
    if char != "`" and inside_word:
        return char
    return f"{WORD_JOINER}{char}{WORD_JOINER}"


def escape_code(text: str) -> str:
    """TEXT for inside a ``` block: entities for `&<>`, and no run of backticks to end the block."""
    return escape_plain(text).replace("`", f"`{WORD_JOINER}")


def escape_prose(text: str) -> str:
    """A card's own sentence: inline `code` spans stay code, everything else as escape_mrkdwn.

    A name from Venice inside backticks becomes inline code at worst, which formats nothing.
    """
    parts: list[str] = []
    last = 0
    for span in _CODE_SPAN.finditer(text):
        parts.append(escape_mrkdwn(text[last : span.start()]))
        parts.append(f"`{escape_plain(slack_form(span.group(1)))}`")
        last = span.end()
    parts.append(escape_mrkdwn(text[last:]))
    return "".join(parts)
