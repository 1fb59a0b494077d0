"""Logging set-up: console or one JSON object per line, with secrets masked in every record."""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from datetime import UTC, datetime

from pydantic import SecretStr

from bot.log_context import current_fields

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
    """

    MIN_LENGTH = 8

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: frozenset[str] = frozenset()
        self._pattern: re.Pattern[str] | None = None

    def add(self, value: str) -> None:
        """Mask VALUE from now on (idempotent)."""
        value = value.strip()
        if len(value) < self.MIN_LENGTH or value in self._values:
            return
        with self._lock:
            values = self._values | {value}
            # Longest first, so a key that contains another is masked whole.
            alternatives = sorted(values, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(v) for v in alternatives))
            self._values = values

    def mask(self, text: str) -> str:
        """TEXT with every registered value replaced by MASK."""
        pattern = self._pattern  # read once: add() may swap it from another thread
        return pattern.sub(MASK, text) if pattern is not None else text


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
    command of the work it belongs to (bot/log_context.py), and its duration when it has one."""

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


def configure_logging(level: str, fmt: str) -> None:
    """Send logs to stderr in FORMAT at LEVEL; keep chatty libraries at WARNING."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aiosqlite logs every cursor call at DEBUG and Alembic its plugin set-up at INFO: noise
    # that drowns the bot's own lines (`db upgrade` says what it did itself).
    for noisy in ("httpx", "httpcore", "uvicorn.access", "aiosqlite", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    # Never below INFO, even with LOG_LEVEL=DEBUG: at DEBUG slack-sdk logs OAuth response bodies
    # (tokens included) and discord.py every gateway payload.
    for chatty in ("slack_sdk", "slack_bolt", "discord"):
        logging.getLogger(chatty).setLevel(max(logging.INFO, root.level))
