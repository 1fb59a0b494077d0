"""What the digest scheduler says besides the digest: the late note, the one "could not fetch"
notice, and the sentences that tell the admins a channel's digest was turned off, or that the
channel refused its chart."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.cards import Card, Tone
from bot.errors import (
    AdminKeyRequired,
    BadKey,
    BotError,
    KeyUnreadable,
    NoVeniceKey,
    PaymentRequired,
    VeniceError,
    VeniceUnavailable,
)
from bot.schedule import DigestTime, format_time

# What `status` records about the key when Venice refused it (as bot.workspace_context does).
KEY_PROBLEMS: dict[type[VeniceError], str] = {
    BadKey: "Venice rejected the key (revoked, mistyped or expired).",
    AdminKeyRequired: "Venice says this is an inference key; billing needs an admin key.",
    PaymentRequired: "No key reached Venice.",
}
_REASON_LENGTH = 120


def due_phrase(when: DigestTime, instant: datetime) -> str:
    """`09:00 Europe/Madrid (07:00 UTC)`, or `09:00 UTC`."""
    local = instant.astimezone(ZoneInfo(when.time_zone))
    if when.time_zone == "UTC":
        return f"{format_time(local.time())} UTC"
    return f"{format_time(local.time())} {when.time_zone} ({instant:%H:%M} UTC)"


def next_phrase(when: DigestTime, instant: datetime) -> str:
    """`09:00 Europe/Madrid on Tue 1 Dec`."""
    local = instant.astimezone(ZoneInfo(when.time_zone))
    return f"{format_time(local.time())} {when.time_zone} on {local:%a} {local.day} {local:%b}"


def late_note(when: DigestTime, due_at: datetime, *, retried: bool) -> str:
    """The line a late digest carries: when it was due, and why it is late."""
    why = "Venice did not answer in time" if retried else "the bot was not running then"
    return f"This digest is late: it was due at {due_phrase(when, due_at)}; {why}."


def is_retryable(error: BaseException) -> bool:
    """Venice may answer later (429, 5xx, timeouts, the connection)."""
    return isinstance(error, VeniceUnavailable)


def key_problem(error: BaseException) -> str | None:
    """What `status` should record about the key when Venice refused it, else None."""
    return next((text for kind, text in KEY_PROBLEMS.items() if isinstance(error, kind)), None)


def reason_of(error: BotError) -> str:
    """A few words on why the digest could not be fetched: never a key, never a header."""
    if isinstance(error, KeyUnreadable):
        return "the stored Venice key can no longer be read"
    if isinstance(error, NoVeniceKey):
        return "no Venice key is connected"
    if (problem := key_problem(error)) is not None:
        return problem.rstrip(".")
    if isinstance(error, VeniceError):
        text = error.message.strip().rstrip(".") or type(error).__name__
        return text if len(text) <= _REASON_LENGTH else text[: _REASON_LENGTH - 1] + "…"
    return type(error).__name__


def fetch_notice(error: BotError, when: DigestTime, next_due: datetime) -> Card:
    """The one short card posted instead of a digest that could not be fetched."""
    next_one = f"The next one is due {next_phrase(when, next_due)}"
    if isinstance(error, NoVeniceKey) and not isinstance(error, KeyUnreadable):
        advice = "an admin can connect one with `/venice connect`."
    elif isinstance(error, KeyUnreadable) or key_problem(error) is not None:
        advice = "an admin can connect a working admin key with `/venice connect`."
    else:
        advice = "`/venice usage` works meanwhile."
    return Card(
        title="Venice digest unavailable",
        kind="error",
        tone=Tone.WARNING,
        summary=f"Could not fetch today's Venice digest ({reason_of(error)}). {next_one}; {advice}",
        data={"error": type(error).__name__, "next_run": next_due},
    )


def disabled_text(channel_id: str, why: str) -> str:
    """What the admins are told, once, when a channel's digest is turned off."""
    fix = why.strip() or ("Invite the bot to the channel and run `/venice digest on` there again.")
    return f"I turned off the daily Venice digest in <#{channel_id}>: I cannot post there. {fix}"


def disabled_reason(why: str) -> str:
    """The reason `digest status` shows for a schedule turned off by the scheduler."""
    fix = why.strip() or "Invite the bot to the channel and run `/venice digest on` again."
    return f"the bot cannot post in this channel. {fix}"


def chart_problem_text(channel_id: str, advice: str) -> str:
    """What the admins are told, once, when a channel takes the digest but refuses its chart."""
    fix = advice.strip() or "Invite the bot to the channel."
    return (
        f"The daily Venice digest went into <#{channel_id}>, but its chart did not. {fix} "
        "The next digests come with it once that is done."
    )
