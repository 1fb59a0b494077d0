"""Cached answers as JSON bytes: the Venice model, when it was fetched, and a format version.

Never pickle: a cache shared between processes must not be able to run code in them. Amounts
are written as JSON numbers with every digit of their Decimal and read back with `read_json`
(Decimal for every number), so an answer decoded from the cache equals the one Venice gave.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from bot.venice.models import Balance, UsageAnalytics
from bot.venice.responses import read_json
from bot.venice.source import Fetched

M = TypeVar("M", bound=BaseModel)

ENTRY_VERSION = 1


class UnreadableEntry(ValueError):
    """A cached value this version cannot read (another version wrote it, or it is damaged)."""


def json_text(value: Any) -> str:
    """Compact JSON of plain data, Decimals written as exact numbers, dates as ISO text."""
    out: list[str] = []
    _write(value, out.append)
    return "".join(out)


def _write(value: Any, emit: Callable[[str], None]) -> None:
    if value is None or isinstance(value, bool | str | int):
        emit(json.dumps(value))
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("only finite amounts can be cached")
        emit(str(value))  # `1.50`, `1E+2`, `-0`: valid JSON numbers, every digit kept
    elif isinstance(value, datetime | date):
        emit(json.dumps(value.isoformat()))
    elif isinstance(value, dict):
        emit("{")
        for index, (name, item) in enumerate(value.items()):
            emit("," if index else "")
            emit(json.dumps(str(name)))
            emit(":")
            _write(item, emit)
        emit("}")
    elif isinstance(value, list | tuple):
        emit("[")
        for index, item in enumerate(value):
            emit("," if index else "")
            _write(item, emit)
        emit("]")
    else:
        raise TypeError(f"cannot cache a {type(value).__name__}")


@dataclass(frozen=True, slots=True)
class EntryCodec(Generic[M]):
    """Encodes and decodes Fetched answers of one Venice model (`kind` names the endpoint)."""

    kind: str
    model: type[M]

    def encode(self, fetched: Fetched[M]) -> bytes:
        """The entry's bytes: `{"v": 1, "kind": ..., "fetched_at": ..., "value": {...}}`."""
        document = {
            "v": ENTRY_VERSION,
            "kind": self.kind,
            "fetched_at": fetched.fetched_at,
            "value": fetched.value.model_dump(mode="python", by_alias=True),
        }
        return json_text(document).encode()

    def decode(self, raw: bytes) -> Fetched[M]:
        """The Fetched answer in RAW, or UnreadableEntry."""
        try:
            document = read_json(raw)
        except (ValueError, UnicodeDecodeError):
            raise UnreadableEntry("not JSON") from None
        if not isinstance(document, dict) or document.get("v") != ENTRY_VERSION:
            raise UnreadableEntry("another entry version")
        if document.get("kind") != self.kind:
            raise UnreadableEntry("another kind of entry")
        try:
            fetched_at = datetime.fromisoformat(str(document["fetched_at"]))
            value = self.model.model_validate(document["value"])
        except (KeyError, ValueError, ValidationError):
            raise UnreadableEntry("damaged entry") from None
        if fetched_at.tzinfo is None:
            raise UnreadableEntry("fetched_at without a time zone")
        return Fetched(value, fetched_at)


BALANCE_CODEC = EntryCodec("balance", Balance)
USAGE_CODEC = EntryCodec("usage", UsageAnalytics)
