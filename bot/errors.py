"""The bot's error tree. Every failure a person can meet is one of these.

    BotError
    ├── CommandTextError         the command text is invalid (CLI exit 2); answered before any call
    │   └── PastedSecret             text after `connect`: taken for a key, refused, never quoted
    ├── NoVeniceKey              no key is configured for this workspace or the CLI
    │   └── KeyUnreadable            the workspace's stored key cannot be decrypted any more
    ├── Forbidden                a command refuses one of its own actions to non-admins
    ├── StoreUnavailable         the bot's own database cannot be read or written right now
    └── VeniceError              Venice did not answer the request usefully (CLI exit 1)
        ├── VeniceRefused        4xx: never retried (Venice blocks keys after many 4xx in 30 s)
        │   ├── InvalidPeriod        400, with Venice's field message
        │   ├── BadKey               401 "Authentication failed"
        │   ├── AdminKeyRequired     401 "Admin API key required" (an inference key)
        │   ├── PaymentRequired      402 (no Authorization header reached Venice)
        │   └── VeniceRejected       any other 4xx
        ├── VeniceUnavailable    transient: retried within the caller's time budget
        │   ├── RateLimited          429, with the wait Venice asked for
        │   ├── VeniceFailing        5xx other than 504
        │   ├── QueryTimedOut        504: the query was too large for Venice this time
        │   ├── VeniceNetworkError   connection refused, reset, DNS, TLS
        │   └── VeniceTimeout        no answer within the read timeout or the time budget
        └── UnexpectedResponse   2xx with a body the bot cannot read

Messages never contain a key, a token or a request header: they are safe to log and to show.
"""

from __future__ import annotations


class BotError(Exception):
    """Base of every error the bot raises on purpose."""


class CommandTextError(BotError):
    """The command text cannot be understood. `message` is one sentence; `example` is right."""

    def __init__(self, message: str, example: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.example = example
        # The registered command the text began with, if any (set by the parser, for logs).
        self.command: str | None = None


class PastedSecret(CommandTextError):
    """Text followed `connect`: it may be a key, so it is refused and never quoted back."""

    def __init__(self) -> None:
        super().__init__(
            "Do not paste keys into commands: it was not stored. If it was a real key, revoke it "
            "in Venice and run `connect` with nothing after it.",
            example="connect",
        )


class Forbidden(BotError):
    """Only admins may do this (`digest on`): raised by a command, answered privately by the core
    with who can do it. ACTION completes "Only workspace admins can ...": "post the digest now"."""

    def __init__(self, action: str) -> None:
        super().__init__(f"Only workspace admins can {action}.")
        self.action = action


class NoVeniceKey(BotError):
    """No Venice key applies to this request."""


class KeyUnreadable(NoVeniceKey):
    """The workspace's stored key cannot be decrypted (tampered, moved, or its master key gone)."""


class StoreUnavailable(BotError):
    """The bot's database does not answer (stopped, unreachable, failing over). `writing`: the
    operation would have changed something (connect, disconnect, access), so nothing changed."""

    def __init__(self, *, writing: bool, cause: str) -> None:
        super().__init__(f"the database is unavailable ({cause})")
        self.writing = writing
        self.cause = cause


class VeniceError(BotError):
    """Venice did not answer usefully. `status` is the HTTP status when there was one."""

    status: int | None = None

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class VeniceRefused(VeniceError):
    """Venice refused the request (4xx). Retrying the same request cannot help."""


class InvalidPeriod(VeniceRefused):
    """400 from Venice: the period is not one Venice accepts. `detail` is Venice's field text."""

    status = 400

    def __init__(self, message: str, *, detail: str | None = None) -> None:
        super().__init__(message)
        self.detail = detail


class BadKey(VeniceRefused):
    """401: Venice does not know this key (revoked, mistyped or expired)."""

    status = 401


class AdminKeyRequired(VeniceRefused):
    """401: the key is an INFERENCE key; billing needs an ADMIN key."""

    status = 401


class PaymentRequired(VeniceRefused):
    """402: Venice saw no API key and asked for an x402 payment instead."""

    status = 402


class VeniceRejected(VeniceRefused):
    """Any other 4xx."""


class VeniceUnavailable(VeniceError):
    """Venice could not answer now; the same request may work later."""


class RateLimited(VeniceUnavailable):
    """429. `retry_after` is the wait in seconds Venice asked for, when it said."""

    status = 429

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class VeniceFailing(VeniceUnavailable):
    """5xx (other than 504): Venice itself failed."""


class QueryTimedOut(VeniceUnavailable):
    """504: Venice's query timed out; a shorter period usually works."""

    status = 504


class VeniceNetworkError(VeniceUnavailable):
    """The request did not reach Venice or the connection broke."""


class VeniceTimeout(VeniceUnavailable):
    """Venice did not answer within the read timeout or the caller's time budget."""


class UnexpectedResponse(VeniceError):
    """Venice answered 2xx with a body the bot cannot read."""
