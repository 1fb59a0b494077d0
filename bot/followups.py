"""What a chat reply offers next, decided once for every platform: whether it may be shared to
the channel, whether it has a chart to draw, and which period shortcuts re-run it in place
(7d / 30d / 90d)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core import Answer
from bot.invocation import Invocation

PERIOD_SHORTCUTS = ("7d", "30d", "90d")


@dataclass(frozen=True, slots=True)
class PeriodChoice:
    """One shortcut: its label (`30d`), the command text it runs, and whether it is showing."""

    label: str
    text: str
    current: bool


def shareable(answer: Answer) -> bool:
    """True for an answered billing report: help, status, errors and key management stay private."""
    return answer.outcome == "answered" and answer.card.kind == "report" and answer.shareable


def chartable(answer: Answer) -> bool:
    """True for a shareable report that carries chart data (`usage`): a Chart button draws it."""
    return shareable(answer) and answer.card.chart is not None


def period_choices(answer: Answer) -> tuple[PeriodChoice, ...]:
    """The 7d / 30d / 90d shortcuts of an answered report that takes a period, else none."""
    invocation = answer.invocation
    if not shareable(answer) or invocation is None or invocation.period is None:
        return ()
    return tuple(
        PeriodChoice(
            label=period,
            text=command_text(invocation, period=period),
            current=invocation.period.lookback == period,
        )
        for period in PERIOD_SHORTCUTS
    )


def command_text(invocation: Invocation, *, period: str) -> str:
    """The command text of INVOCATION with another period, keeping N: `top-keys 30d 5`."""
    words = [invocation.command, period]
    if invocation.limit is not None:
        words.append(str(invocation.limit))
    return " ".join(words)
