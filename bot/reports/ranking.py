"""Rows ranked by spend, with their share of the whole and what the cut-off rows add up to."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Generic, TypeVar

from bot.money import ZERO, format_amount, format_share, shown_cents
from bot.reports.footer import CREDIT_NOTE, spend

T = TypeVar("T")

SHARE_PLACES = Decimal("0.0001")
CURRENCIES = ("USD", "DIEM")
ROUNDED_NOTE = "Rows rounded to the cent."


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

    def amount(self, currency: str) -> Decimal:
        return self.usd if currency == "USD" else self.diem


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

    @property
    def currencies(self) -> tuple[str, ...]:
        """The currencies any row spent: a USD-only account's tables have no DIEM column."""
        rows = (*self.shown, *self.omitted)
        return tuple(c for c in CURRENCIES if any(row.amount(c) != 0 for row in rows))

    def omitted_note(self) -> str | None:
        """What the cut rows add up to, `$3.21 · 4.50 DIEM`; None when nothing was cut.

        Renderers say how many were cut (`… and 12 more ($3.21 · 4.50 DIEM)`) from `omitted`.
        """
        if not self.omitted:
            return None
        cut = {"USD": self.omitted_usd, "DIEM": self.omitted_diem}
        return " · ".join(format_amount(cut[c], c) for c in self.currencies) or None

    def credit_note(self) -> str | None:
        """How shares mix the currencies (1 DIEM as $1), when the rows spent both."""
        return CREDIT_NOTE if len(self.currencies) > 1 else None

    def footer_note(self) -> str | None:
        """The table's footer line: how shares mix the currencies, and that the rows are rounded
        when, shown to the cent, they do not add up to the total shown."""
        return footer_note(self.credit_note(), self.rounding_note())

    def rounding_note(self) -> str | None:
        """ROUNDED_NOTE when the rows and the cut rows, each shown to the cent, do not add up to
        the total shown; None when they do."""
        totals = {"USD": self.total_usd, "DIEM": self.total_diem}
        cut = {"USD": self.omitted_usd, "DIEM": self.omitted_diem}
        for currency in self.currencies:
            shown = sum((shown_cents(row.amount(currency)) for row in self.shown), ZERO)
            if self.omitted:
                shown += shown_cents(cut[currency])
            if shown != shown_cents(totals[currency]):
                return ROUNDED_NOTE
        return None


def footer_note(*notes: str | None) -> str | None:
    """NOTES that apply, each once, on one footer line."""
    kept = list(dict.fromkeys(note for note in notes if note))
    return " ".join(kept) or None


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
