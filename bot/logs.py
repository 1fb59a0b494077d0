"""Logging set-up: console or one JSON object per line, with secrets masked in every record, and
what a line is about: the request id, workspace and command of the work in progress.

`Runtime.ask` opens a context per command (`log_fields`); every line logged while it runs (by
the bot or a library, in the same task or one it starts) carries those fields in LOG_FORMAT=json.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from pydantic import SecretStr

# Secrets

MASK = "[redacted]"
# Anything that looks like a credential is masked, whichever logger wrote it.
_SECRET_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[^\s'\",]+"),
    re.compile(r"(?i)VENICE_(?:ADMIN|INFERENCE)_KEY_[A-Za-z0-9_\-]+"),  # even lower-cased
    re.compile(r"xox[a-z]-[A-Za-z0-9\-]+"),
    re.compile(r"xapp-[A-Za-z0-9\-]+"),
    # A Slack response_url or webhook posts into a channel without a token: a credential too.
    # slack-bolt logs the body of a request whose signature it refused, URL-encoded.
    re.compile(r"(?i)(hooks\.slack\.com(?:/|%2F))[^\s&'\",]+"),
)


class SecretRegistry:
    """Secret values loaded at runtime, masked wherever they appear in a log line.

    Older Venice keys have no prefix a pattern could spot, so every key the bot loads (the env
    key, each workspace's key, master keys) is registered here as it is read. Values shorter than
    MIN_LENGTH are ignored: masking short strings would garble ordinary words.

    Thousands of keys (one per workspace) must cost little to add and to look for: no regex over
    all of them. A value of at least LONG characters is indexed by its WINDOW-character slices
    at STRIDE consecutive offsets near its end, so that wherever it sits in a line, one of them
    starts at a multiple of STRIDE: only every STRIDE-th slice of a line is looked up. Shorter
    values are indexed by their first WINDOW characters and looked for at every position.
    """

    MIN_LENGTH = 8
    WINDOW = MIN_LENGTH
    STRIDE = 8
    LONG = WINDOW + STRIDE - 1

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        # Each index entry is a tuple, replaced and never mutated: mask() reads without the lock.
        self._long: dict[str, tuple[tuple[str, int], ...]] = {}  # slice -> (value, its offset)
        self._short: dict[str, tuple[str, ...]] = {}  # first WINDOW characters -> values

    def add(self, value: str) -> None:
        """Mask VALUE from now on (idempotent)."""
        value = value.strip()
        if len(value) < self.MIN_LENGTH or value in self._values:
            return
        with self._lock:
            if value in self._values:
                return
            if len(value) >= self.LONG:
                last = len(value) - self.WINDOW  # near the end: a key's random part
                for offset in range(last - self.STRIDE + 1, last + 1):
                    piece = value[offset : offset + self.WINDOW]
                    self._long[piece] = (*self._long.get(piece, ()), (value, offset))
            else:
                start = value[: self.WINDOW]
                self._short[start] = (*self._short.get(start, ()), value)
            self._values.add(value)

    def mask(self, text: str) -> str:
        """TEXT with every registered value replaced by MASK (overlapping ones masked as one)."""
        window = self.WINDOW
        last = len(text) - window
        spans: list[tuple[int, int]] = []
        if self._long:
            found_long = self._long.get
            for at in range(0, last + 1, self.STRIDE):
                for value, offset in found_long(text[at : at + window], ()):
                    start = at - offset
                    if start >= 0 and text.startswith(value, start):
                        spans.append((start, start + len(value)))
        if self._short:
            found_short = self._short.get
            for at in range(last + 1):
                for value in found_short(text[at : at + window], ()):
                    if text.startswith(value, at):
                        spans.append((at, at + len(value)))
        return _masked(text, spans) if spans else text


def _masked(text: str, spans: list[tuple[int, int]]) -> str:
    """TEXT with each run of overlapping SPANS (start, end) replaced by one MASK."""
    spans.sort()
    pieces: list[str] = []
    kept = 0  # TEXT before this is already in PIECES
    start, end = spans[0]
    for next_start, next_end in spans[1:]:
        if next_start < end:
            end = max(end, next_end)
            continue
        pieces += (text[kept:start], MASK)
        kept, start, end = end, next_start, next_end
    pieces += (text[kept:start], MASK, text[end:])
    return "".join(pieces)


# The one process-wide structure the bot keeps: a log filter cannot be handed the secrets it
# must hide, since third-party loggers write through it too. It only ever grows.
_registered = SecretRegistry()


def register_secret(value: str | SecretStr) -> None:
    """Mask VALUE in every log line from now on (a key loaded at runtime)."""
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    _registered.add(value)


def redact(text: str) -> str:
    """Mask every registered secret and every credential-looking token in TEXT."""
    text = _registered.mask(text)
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + MASK, text)
    return text


# What a line is about

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


# The handler's filters and formats


class RedactingFilter(logging.Filter):
    """Rewrites each record's message with credentials masked (installed on every handler)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, event, the request id, workspace and
    command of the work it belongs to (`log_fields`), and its duration when it has one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        entry.update(current_fields())
        duration = getattr(record, "duration_ms", None)
        if isinstance(duration, int | float):
            entry["duration_ms"] = round(duration, 1)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


# The bot's own loggers: the only ones LOG_LEVEL=DEBUG turns to DEBUG.
OWN_LOGGERS = ("bot", "adapters")
# Libraries whose INFO is noise that drowns the bot's own lines: held at WARNING.
# aiosqlite logs every cursor call at DEBUG and Alembic its plugin set-up at INFO (`db upgrade`
# says what it did itself).
NOISY_LOGGERS = ("httpx", "httpcore", "aiohttp", "uvicorn.access", "aiosqlite", "alembic")


def is_own_logger(name: str) -> bool:
    """True for the bot's own loggers (`bot`, `bot.runtime`, `adapters.slack.commands` ...)."""
    return any(name == own or name.startswith(own + ".") for own in OWN_LOGGERS)


class LibraryDebugFilter(logging.Filter):
    """Drops DEBUG records of every logger but the bot's own, whatever the loggers' levels say.

    slack-bolt sets each logger it creates (at start-up and on every request) to the root
    logger's level, overriding a level set on its parent `slack_bolt`; at DEBUG its lines carry
    every reply body, slack-sdk's every request and response (tokens included), discord.py's
    every gateway payload. The root logger is kept at INFO for that reason (configure_logging);
    this filter, on the only handler, holds even if a library sets a level of its own."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.INFO or is_own_logger(record.name)


def configure_logging(level: str, fmt: str) -> None:
    """Send logs to stderr in FORMAT; LEVEL for the bot's own loggers, never below INFO for any
    library (slack-bolt, slack-sdk, discord.py ...), chatty libraries at WARNING."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(LibraryDebugFilter())
    handler.addFilter(RedactingFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    wanted = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    # slack-bolt copies the root logger's level onto each logger it creates: the root must
    # never be below INFO. DEBUG goes to the bot's own loggers only; above INFO they follow
    # the root (no level of their own).
    root.setLevel(max(logging.INFO, wanted))
    for own in OWN_LOGGERS:
        logging.getLogger(own).setLevel(wanted if wanted < logging.INFO else logging.NOTSET)
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    # Never below INFO, even with LOG_LEVEL=DEBUG: at DEBUG slack-sdk logs OAuth response bodies
    # (tokens included) and discord.py every gateway payload.
    for chatty in ("slack_sdk", "slack_bolt", "discord"):
        logging.getLogger(chatty).setLevel(max(logging.INFO, root.level))
