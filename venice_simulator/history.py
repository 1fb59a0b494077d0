"""`GET /billing/usage-history`: the per-charge ledger, ascending by time, cursor-paged.

The first page takes `startTimestamp` (inclusive), `endTimestamp` (exclusive), `currency` and
`pageSize`; the opaque `nextCursor` carries them, so a next page sends only `cursor`.
A charge split between DIEM and USD appears as two entries, its units shared in proportion.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from venice_simulator.catalog import AccountProfile
from venice_simulator.jsontext import InvalidParams, money, number_text
from venice_simulator.ledger import Charge, charges_until

CURRENCIES = ("USD", "DIEM", "BUNDLED_CREDITS")
DEFAULT_PAGE, MIN_PAGE, MAX_PAGE = 1000, 10, 1000
DEFAULT_WINDOW = timedelta(days=7)
CSV_COLUMNS = (
    "timestamp",
    "sku",
    "units",
    "pricePerUnitUsd",
    "amount",
    "currency",
    "notes",
    "requestId",
    "promptTokens",
    "completionTokens",
    "inferenceExecutionTime",
)
_SIX_PLACES = Decimal("0.000001")

Position = tuple[int, int, int]  # (timestamp ms, index of the charge in its day, 0 DIEM / 1 USD)


@dataclass(frozen=True, slots=True)
class Walk:
    """One walk through the ledger: its filters and the position after the last entry sent."""

    account: str
    end_ms: int
    currency: str | None
    page_size: int
    after: Position

    def cursor(self) -> str:
        """The opaque continuation token (URL-safe base64 of compact JSON, no padding)."""
        raw = [self.account, self.end_ms, self.currency, self.page_size, list(self.after)]
        return base64.urlsafe_b64encode(json.dumps(raw).encode()).decode().rstrip("=")

    @classmethod
    def from_cursor(cls, token: str, account: str) -> Walk:
        """Decode a cursor of this account, or raise InvalidParams."""
        try:
            padded = token + "=" * (-len(token) % 4)
            name, end_ms, currency, size, after = json.loads(base64.urlsafe_b64decode(padded))
            position = (int(after[0]), int(after[1]), int(after[2]))
            walk = cls(name, int(end_ms), currency, int(size), position)
        except (ValueError, TypeError, IndexError, binascii.Error):
            raise InvalidParams({"cursor": ["Invalid cursor"]}) from None
        if walk.account != account:
            raise InvalidParams({"cursor": ["Invalid cursor"]})
        return walk


def _timestamp(field: str, text: str) -> int:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidParams({field: ["Invalid ISO 8601 timestamp"]}) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def first_walk(query: Mapping[str, str], account: str, now: datetime) -> Walk:
    """The walk a first-page query asks for, or InvalidParams as Venice would answer."""
    end_ms = (
        _timestamp("endTimestamp", query["endTimestamp"])
        if "endTimestamp" in query
        else (int(now.timestamp() * 1000))
    )
    start_text = query.get("startTimestamp")
    start_ms = (
        _timestamp("startTimestamp", start_text)
        if start_text
        else (int((now - DEFAULT_WINDOW).timestamp() * 1000))
    )
    if end_ms <= start_ms:
        raise InvalidParams({"endTimestamp": ["endTimestamp must be later than startTimestamp"]})
    currency = query.get("currency")
    if currency is not None and currency not in CURRENCIES:
        raise InvalidParams({"currency": [f"Expected one of {', '.join(CURRENCIES)}"]})
    size_text = query.get("pageSize", str(DEFAULT_PAGE))
    if not size_text.isdigit() or not MIN_PAGE <= int(size_text) <= MAX_PAGE:
        message = f"pageSize must be an integer from {MIN_PAGE} to {MAX_PAGE}"
        raise InvalidParams({"pageSize": [message]})
    return Walk(account, end_ms, currency, int(size_text), (start_ms, -1, -1))


def walk_for(query: Mapping[str, str], account: str, now: datetime) -> Walk:
    """A first page's walk, or the walk a `cursor` continues (which must come alone)."""
    if "cursor" not in query:
        return first_walk(query, account, now)
    others = sorted(name for name in query if name != "cursor")
    if others:
        raise InvalidParams({name: ["Not allowed together with cursor"] for name in others})
    return Walk.from_cursor(query["cursor"], account)


def _parts(charge: Charge) -> Iterator[tuple[int, str, int, Decimal]]:
    """(part, currency, micro-dollars, ledger units) of a charge: DIEM first, then USD."""
    units = charge.units.scaleb(-6) if charge.model.model_type == "LLM" else charge.units
    diem_units = (units * charge.diem / charge.cost).quantize(_SIX_PLACES)
    if charge.diem:
        yield 0, "DIEM", charge.diem, diem_units
    if charge.usd:
        yield 1, "USD", charge.usd, units - diem_units


def _entry(charge: Charge, currency: str, micro: int, units: Decimal) -> dict[str, Any]:
    stamp = datetime.fromtimestamp(charge.ts_ms / 1000, tz=UTC)
    details = None
    if charge.model.model_type == "LLM":
        details = {
            "requestId": charge.request_id,
            "promptTokens": charge.prompt_tokens,
            "completionTokens": charge.completion_tokens,
            "inferenceExecutionTime": charge.exec_ms,
        }
    return {
        "timestamp": stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "sku": charge.model.sku(charge.token_type),
        "units": units,
        "pricePerUnitUsd": charge.price,
        "amount": -money(micro),
        "currency": currency,
        "notes": "Web App Inference" if charge.key_id is None else "API Inference",
        "inferenceDetails": details,
    }


def page(
    seed: int, profile: AccountProfile, walk: Walk, now: datetime
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of entries after the walk's position, and the next cursor (None at the end)."""
    entries: list[dict[str, Any]] = []
    last: Position = walk.after
    day = datetime.fromtimestamp(walk.after[0] / 1000, tz=UTC).date()
    last_day = min(datetime.fromtimestamp((walk.end_ms - 1) / 1000, tz=UTC), now).date()
    while day <= last_day:
        for index, charge in enumerate(charges_until(seed, profile, day, now)):
            if charge.ts_ms >= walk.end_ms:
                break
            for part, currency, micro, units in _parts(charge):
                position = (charge.ts_ms, index, part)
                if position <= walk.after or walk.currency not in (None, currency):
                    continue
                if len(entries) == walk.page_size:
                    next_walk = Walk(walk.account, walk.end_ms, walk.currency, walk.page_size, last)
                    return entries, next_walk.cursor()
                entries.append(_entry(charge, currency, micro, units))
                last = position
        day += timedelta(days=1)
    return entries, None


def as_csv(entries: list[dict[str, Any]]) -> str:
    """The entries as CSV with a header row, inference details flattened into columns."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        details = entry["inferenceDetails"] or {}
        row = {**entry, **details}
        writer.writerow(
            number_text(v) if isinstance(v, Decimal) else ("" if v is None else v)
            for v in (row.get(column) for column in CSV_COLUMNS)
        )
    return out.getvalue()
