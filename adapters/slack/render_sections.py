"""Lines of text packed into as few section blocks as Slack's 3000-character limit allows.

A part of a card (a table, the notes, a long field list) is a heading, some lines and a tail
(`… and 3 more`). When it must fit in fewer blocks than it needs, the lines that do not fit are
cut and the tail is told how many: the cut is always said, never silent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from adapters.slack.block_json import Block, section
from adapters.slack.render_limits import SECTION_CHARS, slack_len

FENCE = "```"
# "```\n" before the lines and "\n```" after them.
FENCES = 2 * (len(FENCE) + 1)

Tail = Callable[[int], list[str]]


def no_tail(cut: int) -> list[str]:
    """A tail for lines that are never cut silently: only says how many were cut."""
    return [f"… and {cut} more lines: too long for one Slack message"] if cut else []


@dataclass(frozen=True, slots=True)
class Packed:
    """Escaped mrkdwn pieces: `heading` over everything, `lines` (in a code block when `code`)."""

    heading: str | None
    lines: list[str]
    code: bool
    tail: Tail = no_tail

    def blocks(self, max_blocks: int | None = None) -> list[Block]:
        """Sections of at most SECTION_CHARS; at most MAX_BLOCKS of them, cutting lines if so."""
        chunks = self._chunks(reserve=0, max_chunks=None)
        cut = 0
        if not self._tail_fits(chunks, self.tail(0)):
            chunks.append([])
        if max_blocks is not None and len(chunks) > max_blocks:
            # Room for the longest tail this cut could need, in the last block kept.
            reserve = slack_len("\n".join(self.tail(len(self.lines)))) + 1
            chunks = self._chunks(reserve=reserve, max_chunks=max(1, max_blocks))
            cut = len(self.lines) - sum(len(chunk) for chunk in chunks)
            if not self._tail_fits(chunks, self.tail(cut)) and len(chunks) < max_blocks:
                chunks.append([])
        tail = self.tail(cut)
        last = len(chunks) - 1
        texts = [self._text(i, chunk, tail if i == last else []) for i, chunk in enumerate(chunks)]
        return [section(text) for text in texts if text.strip()]

    def _base(self, index: int) -> int:
        return slack_len(self.heading) + 1 if index == 0 and self.heading else 0

    def _chunks(self, *, reserve: int, max_chunks: int | None) -> list[list[str]]:
        """Lines grouped greedily; the last of MAX_CHUNKS keeps RESERVE characters free."""
        chunks: list[list[str]] = []
        current: list[str] = []
        size = self._base(0)

        def room(index: int) -> int:
            final = max_chunks is not None and index == max_chunks - 1
            return SECTION_CHARS - (reserve if final else 0)

        for line in self.lines:
            while True:
                index = len(chunks)
                final = max_chunks is not None and index == max_chunks - 1
                grows = slack_len(line) + (1 if current else (FENCES if self.code else 0))
                if size + grows <= room(index) or not (current or final):
                    # An empty block takes any line: callers keep lines far below the limit.
                    current.append(line)
                    size += grows
                    break
                chunks.append(current)
                if max_chunks is not None and len(chunks) >= max_chunks:
                    return chunks
                current, size = [], self._base(len(chunks))
        if current or not chunks:
            chunks.append(current)
        return chunks

    def _tail_fits(self, chunks: list[list[str]], tail: list[str]) -> bool:
        if not tail:
            return True
        index = len(chunks) - 1
        return slack_len(self._text(index, chunks[index], tail)) <= SECTION_CHARS

    def _text(self, index: int, lines: list[str], tail: list[str]) -> str:
        pieces: list[str] = []
        if index == 0 and self.heading:
            pieces.append(self.heading)
        if lines:
            body = "\n".join(lines)
            pieces.append(f"{FENCE}\n{body}\n{FENCE}" if self.code else body)
        pieces.extend(tail)
        return "\n".join(pieces)
