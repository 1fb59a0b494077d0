"""What the cache writes, as JSON bytes: answers (the Venice model, when it was fetched, and a
format version) and the failure notes of flights whose Venice call failed.

Never pickle: a cache shared between processes must not be able to run code in them. Amounts
are written as JSON numbers with every digit of their Decimal and read back with `read_json`
(Decimal for every number), so an answer decoded from the cache equals the one Venice gave.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from json.encoder import encode_basestring_ascii
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from bot import errors
from bot.errors import InvalidPeriod, RateLimited, VeniceError
from bot.venice.models import ApiKeys, Balance, UsageAnalytics
from bot.venice.responses import read_json
from bot.venice.source import Fetched

M = TypeVar("M", bound=BaseModel)

ENTRY_VERSION = 1


class UnreadableEntry(ValueError):
    """A cached value this version cannot read (another version wrote it, or it is damaged)."""


def json_text(value: Any) -> str:
    """Compact JSON of plain data, Decimals written as exact numbers, dates as ISO text."""
    out: list[str] = []
    _write(value, out)
    return "".join(out)


# What `json.dumps` writes for a str (ensure_ascii) and an int, without its per-call set-up:
# an answer has hundreds of values, and this runs for every one of them.
_quote = encode_basestring_ascii
_LITERALS = {None: "null", True: "true", False: "false"}


def _write(value: Any, out: list[str]) -> None:
    kind = type(value)
    if kind is str:
        out.append(_quote(value))
    elif kind is Decimal:
        if not value.is_finite():
            raise ValueError("only finite amounts can be cached")
        out.append(str(value))  # `1.50`, `1E+2`, `-0`: valid JSON numbers, every digit kept
    elif kind is int:
        out.append(int.__repr__(value))
    elif value is None or kind is bool:
        out.append(_LITERALS[value])
    elif kind is dict:
        out.append("{")
        for index, (name, item) in enumerate(value.items()):
            if index:
                out.append(",")
            out.append(_quote(str(name)))
            out.append(":")
            _write(item, out)
        out.append("}")
    elif kind is list or kind is tuple:
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        _write_other(value, out)


def _write_other(value: Any, out: list[str]) -> None:
    """The rarer types, subclasses included (an IntEnum, a StrEnum, a datetime)."""
    if isinstance(value, bool | str | int):
        out.append(json.dumps(value))
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("only finite amounts can be cached")
        out.append(str(value))
    elif isinstance(value, datetime | date):
        out.append(_quote(value.isoformat()))
    elif isinstance(value, dict):
        _write(dict(value.items()), out)
    elif isinstance(value, list | tuple):
        _write(list(value), out)
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
API_KEYS_CODEC = EntryCodec("api_keys", ApiKeys)


# Failure notes

NOTE_VERSION = 1
NOTE_SECONDS = 10.0  # longer than any waiter's poll interval; the token scopes it to one flight


@dataclass(frozen=True, slots=True)
class FailureNote:
    """Which flight failed (its lock token) and the error it met.

    A short-lived note a lock holder leaves when its Venice call failed, for the processes that
    were waiting on that very call (they know its lock token): they answer at once, stale entry
    or error, instead of taking the lock one after another and repeating a call Venice just
    failed. Requests that arrive after the lock is free never read it: errors are not cached as
    answers.
    """

    token: bytes
    error: VeniceError

    def encode(self) -> bytes:
        """JSON: the token, the error's class name and the fields needed to rebuild it."""
        error = self.error
        document = {
            "v": NOTE_VERSION,
            "token": self.token.decode("ascii"),
            "error": type(error).__name__,
            "message": error.message,
            "status": error.status,
            "retry_after": error.retry_after if isinstance(error, RateLimited) else None,
            "detail": error.detail if isinstance(error, InvalidPeriod) else None,
        }
        return json.dumps(document).encode()

    @classmethod
    def decode(cls, raw: bytes) -> FailureNote | None:
        """The note in RAW, or None when it cannot be read (then waiters keep waiting)."""
        try:
            document = json.loads(raw)
            if document.get("v") != NOTE_VERSION:
                return None
            return cls(str(document["token"]).encode("ascii"), _rebuild(document))
        except (ValueError, KeyError, TypeError, AttributeError, UnicodeError):
            return None


def _rebuild(document: dict[str, object]) -> VeniceError:
    """The error named in DOCUMENT; an unknown name becomes a plain VeniceError."""
    message = str(document["message"])
    found = getattr(errors, str(document["error"]), None)
    kind = found if isinstance(found, type) and issubclass(found, VeniceError) else VeniceError
    if issubclass(kind, RateLimited):
        wait = document.get("retry_after")
        return kind(message, retry_after=float(wait) if isinstance(wait, int | float) else None)
    if issubclass(kind, InvalidPeriod):
        detail = document.get("detail")
        return kind(message, detail=str(detail) if detail is not None else None)
    status = document.get("status")
    if not isinstance(status, int) or status == kind.status:
        status = None  # the class says it already
    return kind(message, status=status)
