"""JSON bodies whose numbers are the exact text of Decimals, and Venice's error shapes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from starlette.responses import Response

JsonHeaders = Mapping[str, str] | None


def money(micro: int) -> Decimal:
    """Micro-dollars as an exact Decimal amount."""
    return Decimal(micro).scaleb(-6)


def number_text(value: Decimal) -> str:
    """The exact plain digits of a Decimal, as a JSON number."""
    # Plain notation without trailing zeros: `12.5`, `250`, `0.000012`; never `1E+1` or floats.
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def dumps(value: Any) -> str:
    """Serialise JSON, writing Decimals as their exact digits (json.dumps would need floats)."""
    if isinstance(value, Decimal):
        return number_text(value)
    if isinstance(value, Mapping):
        items = (f"{json.dumps(str(k))}:{dumps(v)}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(item) for item in value) + "]"
    return json.dumps(value)


def json_response(body: Any, status: int = 200, headers: JsonHeaders = None) -> Response:
    """A JSON response with exact Decimal numbers."""
    return Response(dumps(body), status, headers=dict(headers or {}), media_type="application/json")


def standard_error(status: int, message: str, headers: JsonHeaders = None) -> Response:
    """Venice's StandardError: `{"error": message}`."""
    return json_response({"error": message}, status, headers)


def detailed_error(fields: dict[str, list[str]], general: list[str] | None = None) -> Response:
    """400 DetailedError in the zod-flatten shape Venice uses: `_errors` plus one entry a field."""
    details: dict[str, Any] = {"_errors": list(general or [])}
    for field, messages in fields.items():
        details[field] = {"_errors": messages}
    return json_response({"error": "Invalid request parameters", "details": details}, 400)


class InvalidParams(Exception):
    """A request parameter Venice would reject with 400 DetailedError."""

    def __init__(self, fields: dict[str, list[str]], general: list[str] | None = None) -> None:
        super().__init__("invalid request parameters")
        self.fields = fields
        self.general = general or []

    def response(self) -> Response:
        """The 400 DetailedError answer."""
        return detailed_error(self.fields, self.general)
