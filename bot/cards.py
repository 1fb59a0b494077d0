"""The neutral reply document every command returns; each platform renders it natively.

Text in a Card is already formatted for people (money with its currency, dates in UTC). Text that
came from Venice (model names, key descriptions) is left raw: escaping belongs to the renderers.
`Card.data` carries the same figures for machines (Decimals as strings) for `--format json`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from bot.invocation import Invocation


class Tone(StrEnum):
    """How the reply should feel: renderers map it to a colour or an icon."""

    INFO = "info"
    GOOD = "good"
    WARNING = "warning"
    DANGER = "danger"


@dataclass(frozen=True, slots=True)
class Field:
    """A labelled figure: `Total spend: $12.34`."""

    label: str
    value: str


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    align: Literal["left", "right"] = "left"


@dataclass(frozen=True, slots=True)
class Row:
    """One table row. `level` 1 marks a detail row under the row above (a token type)."""

    cells: tuple[str, ...]
    level: int = 0


@dataclass(frozen=True, slots=True)
class Table:
    """A ranked table. `omitted` rows were cut; `omitted_note` says what they add up to."""

    title: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    omitted: int = 0
    omitted_note: str | None = None


@dataclass(frozen=True, slots=True)
class Series:
    """One currency's daily values, oldest first, aligned with `Trend.days`."""

    name: str
    values: tuple[Decimal, ...]
    total: str


@dataclass(frozen=True, slots=True)
class Trend:
    """A per-day series for sparklines and charts."""

    title: str
    days: tuple[date, ...]
    series: tuple[Series, ...]


@dataclass(frozen=True, slots=True)
class Meter:
    """A share of a whole, drawn as a bar: today's DIEM allocation used."""

    label: str
    fraction: Decimal
    caption: str


@dataclass(frozen=True, slots=True)
class Stack:
    """One layer of a stacked chart: a model (or "Other") and its spend per day."""

    name: str
    values: tuple[Decimal, ...]


@dataclass(frozen=True, slots=True)
class ChartPanel:
    """One currency's daily spend, aligned with `Chart.days`. `by_model` is False when Venice
    gave no per-model split of this currency: then one stack holds each day's total, and `note`
    says why."""

    currency: str  # "USD" or "DIEM"
    stacks: tuple[Stack, ...]  # the largest first, "Other" last
    by_model: bool = True
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Chart:
    """Daily spend, one panel per currency spent, oldest day first. `bot.charts` draws it as one
    PNG; adapters that can attach images (Discord, Slack uploads) do, the others ignore it."""

    title: str
    days: tuple[date, ...]
    panels: tuple[ChartPanel, ...]


@dataclass(frozen=True, slots=True)
class Stale:
    """Why the data is older than it should be, and since when (filled by the cache)."""

    since: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class Footer:
    """`as_of` is when Venice produced the data (UTC); `note` is one short line."""

    as_of: datetime | None = None
    note: str | None = None
    stale: Stale | None = None


@dataclass(frozen=True, slots=True)
class Confirm:
    """The card is a question: nothing happens until the person confirms. Confirming runs `run`
    as whoever clicks (the core checks them again); cancelling turns the question into
    `cancelled`. Adapters draw the two buttons with these labels, whatever the command."""

    run: Invocation
    confirm_label: str
    cancelled: Card
    cancel_label: str = "Cancel"


@dataclass(frozen=True, slots=True)
class SecretPrompt:
    """The card asks for a secret, to be collected privately (a modal): which one (`asks_for`:
    `venice_key`, stored by bot.key_connection.connect_key), for which workspace, and the modal's
    words. Where no modal can open, the card's own text says the other way in."""

    asks_for: Literal["venice_key"]
    workspace_id: str | None
    title: str
    label: str
    hint: str


@dataclass(frozen=True, slots=True)
class Action:
    """A button under the card that runs a command as whoever clicks it (the core checks them),
    answered privately: `alert snooze 3 1h`, `balance`. Its command text is all it keeps, so it
    works after a restart (Slack's value, Discord's custom id)."""

    label: str
    command: str


@dataclass(frozen=True, slots=True)
class Card:
    """A reply. `kind` lets adapters keep errors and help private. `ask` is what the reply asks
    of the person (a Confirm, a SecretPrompt): each adapter renders it the same way whatever the
    command; it is a request to the adapter, not a figure, so `to_dict` leaves it out. `actions`
    are the commands offered as buttons (an alert's Snooze, Ack and Balance)."""

    title: str
    kind: Literal["report", "help", "error", "connect"] = "report"
    tone: Tone = Tone.INFO
    summary: str | None = None
    fields: tuple[Field, ...] = ()
    meter: Meter | None = None
    trend: Trend | None = None
    chart: Chart | None = None
    tables: tuple[Table, ...] = ()
    notes: tuple[str, ...] = ()
    footer: Footer = field(default_factory=Footer)
    data: dict[str, Any] = field(default_factory=dict)
    ask: Confirm | SecretPrompt | None = None
    actions: tuple[Action, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON reply document (`venice-bot ask --format json`)."""
        converted: dict[str, Any] = _jsonable(self)
        converted.pop("ask", None)
        converted.pop("actions", None)
        return converted


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {name: _jsonable(getattr(value, name)) for name in value.__dataclass_fields__}
    return value
