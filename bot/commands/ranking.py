"""Rows ranked by spend, with their share of the whole and what the cut-off rows add up to."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Generic, TypeVar

from bot.commands.footer import spend
from bot.money import ZERO, format_diem, format_share, format_usd

T = TypeVar("T")

SHARE_PLACES = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class Ranked(Generic[T]):
    """One row in spend order. `rank` starts at 1."""

    rank: int
    name: str
    usd: Decimal
    diem: Decimal
    item: T

    @property
    def spend(self) -> Decimal:
        return spend(self.usd, self.diem)


@dataclass(frozen=True, slots=True)
class Ranking(Generic[T]):
    """The rows shown (top N) and the rows cut, with the totals of every row."""

    shown: tuple[Ranked[T], ...]
    omitted: tuple[Ranked[T], ...]
    total_usd: Decimal
    total_diem: Decimal

    @property
    def total_spend(self) -> Decimal:
        return spend(self.total_usd, self.total_diem)

    def share(self, row: Ranked[T]) -> str:
        """`42.1%` of the spend of all rows; `-` when nothing was spent."""
        return format_share(row.spend, self.total_spend)

    def share_fraction(self, row: Ranked[T]) -> Decimal | None:
        """The share as a fraction (4 places) for machines; None when nothing was spent."""
        if self.total_spend == 0:
            return None
        return (row.spend / self.total_spend).quantize(SHARE_PLACES)

    @property
    def omitted_usd(self) -> Decimal:
        return sum((row.usd for row in self.omitted), ZERO)

    @property
    def omitted_diem(self) -> Decimal:
        return sum((row.diem for row in self.omitted), ZERO)

    def omitted_note(self) -> str | None:
        """What the cut rows add up to, `$3.21 · 4.50 DIEM`; None when nothing was cut.

        Renderers say how many were cut (`… and 12 more ($3.21 · 4.50 DIEM)`) from `omitted`.
        """
        if not self.omitted:
            return None
        return f"{format_usd(self.omitted_usd)} · {format_diem(self.omitted_diem)}"


def rank_by_spend(
    items: Iterable[T],
    *,
    name: Callable[[T], str],
    usd: Callable[[T], Decimal],
    diem: Callable[[T], Decimal],
    limit: int | None,
) -> Ranking[T]:
    """Sort by USD + DIEM, highest first, ties by name (Venice's own order is not trusted)."""
    rows = [(name(item), usd(item), diem(item), item) for item in items]
    rows.sort(key=lambda row: (-spend(row[1], row[2]), row[0].casefold(), row[0]))
    ranked = tuple(
        Ranked(rank, row_name, row_usd, row_diem, item)
        for rank, (row_name, row_usd, row_diem, item) in enumerate(rows, start=1)
    )
    cut = len(ranked) if limit is None else limit
    return Ranking(
        shown=ranked[:cut],
        omitted=ranked[cut:],
        total_usd=sum((row.usd for row in ranked), ZERO),
        total_diem=sum((row.diem for row in ranked), ZERO),
    )
