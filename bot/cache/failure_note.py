"""A short-lived note a lock holder leaves when its Venice call failed, for the processes that
were waiting on that very call (they know its lock token): they answer at once, stale entry or
error, instead of taking the lock one after another and repeating a call Venice just failed.
Requests that arrive after the lock is free never read it: errors are not cached as answers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot import errors
from bot.errors import InvalidPeriod, RateLimited, VeniceError

NOTE_VERSION = 1
NOTE_SECONDS = 10.0  # longer than any waiter's poll interval; the token scopes it to one flight


@dataclass(frozen=True, slots=True)
class FailureNote:
    """Which flight failed (its lock token) and the error it met."""

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
