"""Names from Venice kept in their place when they are written right to left.

A key named `🚀 מפתח ראשי — مفتاح الإنتاج` in a table row makes the Unicode bidi algorithm treat
the figures after it (`$32.50  1.63 DIEM`) as part of its right-to-left run: they move into the
name. Each such name is wrapped in FIRST STRONG ISOLATE ... POP DIRECTIONAL ISOLATE (UAX #9): it
keeps its own direction inside, and the row around it stays left to right. Sanitising
(bot/layout/text.py) has already removed every bidi control the name brought
with it, so the only isolates are these, and they are balanced (clipping closes them too).

What the platforms do with them, as far as their public record goes:
- Slack: its clients are browser engines that implement isolates (Chromium's Blink; Safari's
  WebKit since it added them), and nothing documents Slack removing U+2068/U+2069 from
  messages: FSI ... PDI is relied on as it is.
- Discord: its API removes some invisible characters from what is sent (its maintainers said so
  of the bidi overrides, discord/discord-api-docs#1189 and #1193), and whether the isolates
  arrive in a bot's message is not documented. So on Discord the isolated name also sits
  between two LEFT-TO-RIGHT MARKs: should the isolates be dropped, the closing mark still ends
  the name's run before the figures that follow it, and the opening one keeps a row that starts
  with the name (a client that picks each line's direction from its first letter) left to
  right. Checked with FriBidi (tests/adapters/test_names.py): either way the row reads
  `1  name  $32.50  1.63 DIEM`.
The terminal gets no isolates: most terminals lay out cells left to right and do not apply the
bidi algorithm, and some show isolates as boxes.
"""

from __future__ import annotations

import unicodedata

FSI = "\u2068"
PDI = "\u2069"
LRM = "\u200e"
# Bidi classes that start a right-to-left run: Hebrew and other RTL letters, Arabic letters,
# Arabic-Indic digits.
_RIGHT_TO_LEFT = frozenset(("R", "AL", "AN"))


def right_to_left(text: str) -> bool:
    """Whether TEXT has anything written right to left (an ASCII name never has)."""
    return not text.isascii() and any(
        unicodedata.bidirectional(ch) in _RIGHT_TO_LEFT for ch in text
    )


def isolate(text: str, *, marks: bool = False) -> str:
    """TEXT isolated from its neighbours when it has right-to-left letters, else as it is.
    MARKS puts a left-to-right mark on each side too, for platforms that may drop isolates."""
    if not right_to_left(text):
        return text
    isolated = f"{FSI}{text}{PDI}"
    return f"{LRM}{isolated}{LRM}" if marks else isolated
