"""Error cards: what went wrong and what to do next, in one or two sentences, never a key."""

from __future__ import annotations

import math
import re
from typing import Any

from bot.cards import Card, Tone
from bot.errors import (
    AdminKeyRequired,
    BadKey,
    CommandTextError,
    InvalidPeriod,
    PastedSecret,
    PaymentRequired,
    QueryTimedOut,
    RateLimited,
    UnexpectedResponse,
    VeniceError,
    VeniceFailing,
    VeniceNetworkError,
    VeniceRefused,
    VeniceTimeout,
    VeniceUnavailable,
)
from bot.invocation import Invocation
from bot.period import MAX_DAYS

KEY_SETTINGS_URL = "https://venice.ai/settings/api"
MAX_DETAIL = 200

# Venice's field text is shown to people; drop it if it ever looks like it carries credentials.
_SECRET_LIKE = re.compile(r"bearer|authorization|_key_|[A-Za-z0-9_-]{32,}", re.IGNORECASE)


def invalid_card(error: CommandTextError) -> Card:
    """The command text could not be understood: the parser's sentence and a right example."""
    summary = error.message
    # The pasted-secret sentence already says how to run `connect`.
    if error.example and not isinstance(error, PastedSecret):
        summary = f"{summary} Try: `{error.example}`"
    return Card(
        title="Check the command",
        kind="error",
        tone=Tone.WARNING,
        summary=summary,
        data=_data("CommandTextError", example=error.example),
    )


def no_key_card(workspace_id: str | None = None) -> Card:
    """No Venice key applies: how to configure one in the terminal and in chat."""
    if workspace_id is not None:
        return Card(
            title="No Venice key",
            kind="error",
            tone=Tone.WARNING,
            summary=(
                "No Venice key is connected to this workspace, so I cannot read billing. An "
                "admin can run `connect` (in a terminal: "
                f"`venice-bot keys set {workspace_id}`) with a Venice ADMIN key."
            ),
            data=_data("NoVeniceKey"),
        )
    return Card(
        title="No Venice key",
        kind="error",
        tone=Tone.WARNING,
        summary=(
            "No Venice key is configured, so I cannot read billing. Set VENICE_API_KEY to a "
            f"Venice ADMIN key (create one at {KEY_SETTINGS_URL}), or in chat ask an admin to "
            "run `/venice connect`."
        ),
        data=_data("NoVeniceKey"),
    )


def unreadable_key_card() -> Card:
    """The workspace's stored key cannot be decrypted: only a new `connect` helps."""
    return Card(
        title="Venice key unreadable",
        kind="error",
        tone=Tone.DANGER,
        summary=(
            "This workspace's Venice key can no longer be read; an admin should connect it again."
        ),
        data=_data("KeyUnreadable"),
    )


STORE_UNAVAILABLE_READING = (
    "The bot's database is unavailable right now, so I cannot answer for this workspace. Try "
    "again in a few minutes; if it lasts, tell whoever runs the bot."
)
STORE_UNAVAILABLE_WRITING = (
    "The bot's database is unavailable right now, so nothing was changed. Try again in a few "
    "minutes; if it lasts, tell whoever runs the bot."
)


def store_unavailable_card(*, writing: bool) -> Card:
    """The bot's own database does not answer: nothing it holds can be read (or changed)."""
    return Card(
        title="Database unavailable",
        kind="error",
        tone=Tone.WARNING,
        summary=STORE_UNAVAILABLE_WRITING if writing else STORE_UNAVAILABLE_READING,
        data=_data("StoreUnavailable", writing=writing),
    )


def new_key_advice(workspace_id: str | None) -> str:
    """How to put a new Venice key in place, said for where the command ran: VENICE_API_KEY in a
    terminal without a workspace, `keys set` for the terminal's own workspace, else `connect`."""
    if workspace_id is None:
        return "set VENICE_API_KEY to it"
    if workspace_id.startswith("console:"):
        return f"store it with `venice-bot keys set {workspace_id}`"
    return f"connect it with `connect` (in a terminal: `venice-bot keys set {workspace_id}`)"


def failure_card(
    error: VeniceError, invocation: Invocation, workspace_id: str | None = None
) -> Card:
    """Venice did not answer usefully: say what happened and the next step for this error, for
    where the command ran (WORKSPACE_ID: None for `venice-bot ask` with VENICE_API_KEY)."""
    title, summary = _explain(error, invocation, new_key_advice(workspace_id))
    transient = isinstance(error, VeniceUnavailable)
    return Card(
        title=title,
        kind="error",
        tone=Tone.WARNING if transient else Tone.DANGER,
        summary=summary,
        data=_data(
            type(error).__name__,
            status=error.status,
            retry_after=getattr(error, "retry_after", None),
        ),
    )


def _explain(error: VeniceError, invocation: Invocation, new_key: str) -> tuple[str, str]:
    """Title and message for one error; the most specific class is checked first. NEW_KEY says
    how to put a new key in place here (new_key_advice)."""
    if isinstance(error, InvalidPeriod):
        detail = _safe_detail(error.detail)
        said = "Venice did not accept the period"
        if detail:
            said = f"{said}: {detail}"
        return "Period not accepted", (
            f"{_sentence(said)} Periods can span at most {MAX_DAYS} days, e.g. `usage 30d`."
        )
    if isinstance(error, AdminKeyRequired):
        return "Admin key required", (
            "This is a Venice INFERENCE key, and billing needs an ADMIN key. Create an admin "
            f"key at {KEY_SETTINGS_URL} and {new_key}."
        )
    if isinstance(error, BadKey):
        return "Venice rejected the key", (
            "Venice does not recognise this key: it may be revoked, mistyped or expired. Create "
            f"a new ADMIN key at {KEY_SETTINGS_URL} and {new_key}."
        )
    if isinstance(error, PaymentRequired):
        return "No key reached Venice", (
            "Venice received no API key with the request (it asked for payment instead). Check "
            f"that the key is set: {new_key}."
        )
    if isinstance(error, RateLimited):
        return "Venice is rate limiting", (
            f"Venice asked the bot to slow down. Try again {_wait(error.retry_after)}."
        )
    if isinstance(error, QueryTimedOut):
        shorter = _shorter(invocation)
        advice = "Try again in a few minutes."
        if shorter:
            advice = f"Try a shorter period, e.g. `{shorter}`."
        return "Venice's query timed out", f"That period took Venice too long to add up. {advice}"
    if isinstance(error, VeniceFailing):
        status = f" (HTTP {error.status})" if error.status else ""
        return "Venice is having trouble", (
            f"Venice failed to answer{status}. Try again in a few minutes."
        )
    if isinstance(error, VeniceNetworkError):
        return "Could not reach Venice", (
            "The bot could not connect to Venice. Check the network and VENICE_API_BASE, then "
            "try again."
        )
    if isinstance(error, VeniceTimeout):
        shorter = _shorter(invocation)
        advice = f", or ask for a shorter period, e.g. `{shorter}`" if shorter else " in a minute"
        return "Venice did not answer in time", f"Venice did not answer in time. Try again{advice}."
    if isinstance(error, UnexpectedResponse):
        return "Unexpected answer from Venice", (
            "Venice answered in a form the bot cannot read. Try again later, and report it if "
            "it keeps happening."
        )
    if isinstance(error, VeniceRefused):
        status = f" (HTTP {error.status})" if error.status else ""
        return "Venice refused the request", (
            f"Venice refused the request{status}. Check the command with `help`, and report it "
            "if it keeps happening."
        )
    return "Venice is unavailable", "Venice could not answer just now. Try again in a few minutes."


def _wait(retry_after: float | None) -> str:
    """`in 30 s`, `in 2 min`; `in a minute` when Venice did not say."""
    if retry_after is None or not math.isfinite(retry_after) or retry_after <= 0:
        return "in a minute"
    seconds = math.ceil(retry_after)
    if seconds < 90:
        return f"in {seconds} s"
    return f"in {math.ceil(seconds / 60)} min"


def _shorter(invocation: Invocation) -> str | None:
    """The same command over half the period (at least a day); None when it cannot be shorter."""
    period = invocation.period
    if period is None or period.days <= 1:
        return None
    return f"{invocation.command} {max(1, period.days // 2)}d"


def _safe_detail(detail: str | None) -> str:
    """Venice's field text, on one line, clipped, and dropped if it looks like a credential."""
    if not detail:
        return ""
    text = " ".join("".join(ch if ch.isprintable() else " " for ch in detail).split())
    if _SECRET_LIKE.search(text):
        return ""
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 1] + "…"


def _sentence(text: str) -> str:
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _data(name: str, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"error": name, "status": None, "retry_after": None}
    data.update(extra)
    return data


def no_workspace_card(summary: str, **data: Any) -> Card:
    """A workspace command run without a workspace (`venice-bot ask` with VENICE_API_KEY)."""
    return Card(
        title="No workspace", kind="help", summary=summary, data={"workspace_id": None, **data}
    )
