"""Turns Venice's HTTP answers into exact models, or into the bot's errors (see bot/errors.py)."""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from bot.errors import (
    AdminKeyRequired,
    BadKey,
    InvalidPeriod,
    PaymentRequired,
    QueryTimedOut,
    RateLimited,
    UnexpectedResponse,
    VeniceError,
    VeniceFailing,
    VeniceRejected,
)

M = TypeVar("M", bound=BaseModel)

MAX_VENICE_TEXT = 200
_EPOCH_MILLIS = 1e12
_EPOCH_SECONDS = 1e9
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def read_json(content: bytes) -> Any:
    """JSON with every number read exactly (Decimal), NaN and Infinity refused."""
    # pydantic's own JSON parser goes through a float (0.1234567890123456789 loses digits), so
    # parse the text here and hand pydantic Python objects.
    return json.loads(content, parse_float=Decimal, parse_constant=_no_constants)


def parse_model(model: type[M], response: httpx.Response) -> M:
    """The 2xx body as `model`, or UnexpectedResponse with a short reason (never the body)."""
    endpoint = response.request.url.path
    try:
        data = read_json(response.content)
    except (ValueError, UnicodeDecodeError):
        raise UnexpectedResponse(
            f"Venice answered {endpoint} with something that is not JSON.",
            status=response.status_code,
        ) from None
    try:
        return model.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the body"
        raise UnexpectedResponse(
            f"Venice answered {endpoint} in a shape the bot cannot read "
            f"({error.error_count()} problem(s), first at {where}: {first['type']}).",
            status=response.status_code,
        ) from None


def _seconds(value: str, now: float) -> float | None:
    """A wait from a number of seconds, epoch seconds, epoch milliseconds or a Go duration."""
    text = value.strip().lower()
    try:
        number = float(text)
    except ValueError:
        parts = _DURATION_PART.findall(text)
        if not parts or "".join(a + u for a, u in parts) != text:
            return None
        return sum(float(amount) * _DURATION_UNITS[unit] for amount, unit in parts)
    if not math.isfinite(number):
        return None
    if number > _EPOCH_MILLIS:
        return max(0.0, number / 1000 - now)
    if number > _EPOCH_SECONDS:
        return max(0.0, number - now)
    return max(0.0, number)


def retry_after(headers: httpx.Headers, now: float) -> float | None:
    """Seconds Venice asks us to wait: `Retry-After`, else the `x-ratelimit-reset*` headers."""
    header = headers.get("retry-after")
    if header is not None:
        text = header.strip()
        if text.replace(".", "", 1).isdigit():
            return float(text)
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            when = None
        if when is not None and when.tzinfo is not None:
            return max(0.0, when.timestamp() - now)
    exhausted: list[float] = []
    others: list[float] = []
    for name, value in headers.items():
        if not name.startswith("x-ratelimit-reset"):
            continue
        wait = _seconds(value, now)
        if wait is None:
            continue
        # `x-ratelimit-reset-requests` pairs with `x-ratelimit-remaining-requests`: the limit
        # that is at zero is the one that refused us, so its reset is the wait that matters.
        remaining = headers.get("x-ratelimit-remaining" + name[len("x-ratelimit-reset") :])
        (exhausted if remaining is not None and remaining.strip() == "0" else others).append(wait)
    waits = exhausted or others
    return max(waits) if waits else None


def _field_messages(node: Any, path: str) -> list[str]:
    """Messages of a zod-style `{_errors: [...], field: {_errors: [...]}}` tree, field first."""
    if not isinstance(node, dict):
        return []
    messages = [
        f"{path}: {text}" if path else text
        for text in node.get("_errors") or []
        if isinstance(text, str) and text
    ]
    for name, child in node.items():
        if name != "_errors":
            messages += _field_messages(child, f"{path}.{name}" if path else str(name))
    return messages


def _clean(text: str, secret: str) -> str:
    """Venice's text made safe to show: no key, one line, bounded length."""
    if secret:
        text = text.replace(secret, "[key]")
    text = " ".join(text.split())
    return text if len(text) <= MAX_VENICE_TEXT else text[: MAX_VENICE_TEXT - 1] + "…"


def venice_text(response: httpx.Response, secret: str) -> tuple[str, str | None]:
    """Venice's `error` and its field detail (DetailedError `details`, object or string)."""
    try:
        body = read_json(response.content)
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        return "", None
    error = body.get("error") if isinstance(body.get("error"), str) else ""
    details = body.get("details")
    if isinstance(details, str):
        detail: str | None = details
    else:
        detail = "; ".join(_field_messages(details, "")) or None
    return _clean(str(error), secret), (_clean(detail, secret) if detail else None)


def error_for(
    response: httpx.Response, *, secret: str, takes_period: bool, now: float
) -> VeniceError:
    """The bot's error for a non-2xx answer. `takes_period`: the endpoint has period parameters."""
    status = response.status_code
    error, detail = venice_text(response, secret)
    said = f": {error}" if error else ""
    if status == 400 and takes_period:
        reason = detail or error or "no reason given"
        return InvalidPeriod(
            f"Venice did not accept that period: {reason}.", detail=detail or error or None
        )
    if status == 401:
        if "admin api key required" in error.lower():
            return AdminKeyRequired(
                "This is an INFERENCE key; Venice billing needs an ADMIN key. "
                "Create an ADMIN key in Venice's API settings and connect it."
            )
        return BadKey(
            "Venice does not recognise this API key (revoked, expired or mistyped). "
            "Connect a valid ADMIN key."
        )
    if status == 402:
        return PaymentRequired("Venice received no API key with the request. Connect an ADMIN key.")
    if status == 429:
        wait = retry_after(response.headers, now)
        when = f"in {math.ceil(wait)} s" if wait is not None else "in a minute"
        return RateLimited(f"Venice is rate-limiting requests; try again {when}.", retry_after=wait)
    if status == 504:
        return QueryTimedOut(
            "Venice timed out computing this answer; try a shorter period.", status=status
        )
    if 400 <= status < 500:
        extra = f" ({detail})" if detail else ""
        return VeniceRejected(
            f"Venice refused the request (HTTP {status}){said}{extra}.", status=status
        )
    if status >= 500:
        return VeniceFailing(
            f"Venice is having trouble (HTTP {status}); try again in a minute.", status=status
        )
    # Redirects are not followed (a redirect of a billing call is not something to trust) and
    # 1xx never reaches us: both mean an answer the bot cannot use.
    return UnexpectedResponse(f"Venice answered with HTTP {status}{said}.", status=status)
