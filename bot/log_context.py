"""What a log line is about: the request id, workspace and command of the work in progress.

`Runtime.ask` opens a context per command; every line logged while it runs (by the bot or a
library, in the same task or one it starts) carries those fields in LOG_FORMAT=json.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_fields: ContextVar[dict[str, str] | None] = ContextVar("venice_bot_log_fields", default=None)


def new_request_id() -> str:
    """A short random id that ties together the lines of one command."""
    return secrets.token_hex(6)


@contextmanager
def log_fields(**fields: str | None) -> Iterator[dict[str, str]]:
    """Add FIELDS (None ones skipped) to every line logged inside the block; yields the merged
    fields, which the block may extend (the command, once parsed)."""
    merged = dict(_fields.get() or {})
    merged.update({name: value for name, value in fields.items() if value is not None})
    token = _fields.set(merged)
    try:
        yield merged
    finally:
        _fields.reset(token)


def current_fields() -> dict[str, str]:
    """The fields of the work in progress (empty outside any)."""
    return dict(_fields.get() or {})
