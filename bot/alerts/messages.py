"""What an alert says: the alert itself (what crossed, the value against the threshold, the runway
and what to do, with Snooze, Ack and Balance buttons), its reminder, and the short "recovered"
reply. Every figure is exact (bot/money.py); DIEM never gets a `$`; names from Venice (a key's
description) travel as data and each renderer escapes them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from bot.alerts.readings import NO_BURN, Readings
from bot.alerts.rules import AlertRule, format_threshold
from bot.alerts.states import (
    percent_rearm_level,
    runway_rearm_level,
    usd_rearm_level,
)
from bot.cards import Action, Card, Field, Footer, Tone
from bot.money import ZERO, format_diem, format_spend, format_usd
from bot.reports.runway import CANNOT_CONSUME, average_burn, usd_runway

PostKind = Literal["fire", "remind", "recover"]
SNOOZES = ("1h", "1d", "1w")
TOP_UP = "Top up in Venice (Settings → Billing) before requests start failing."
RAISE_CAP = (
    "Raise the key's limit in Venice (Settings → API Keys), or move its traffic to another key: "
    "past its limit Venice refuses that key while the account still has funds."
)
STAKE = (
    "Stake more DIEM for a bigger daily allocation, or keep USD topped up: once today's DIEM is "
    "gone, requests are charged in USD until 00:00 UTC."
)
# What a recovered reply's title names, per kind.
RECOVERED = {
    "usd_below": "the USD balance",
    "diem_used": "today's DIEM allocation",
    "runway_below": "the USD runway",
    "spend_above": "a new day's spend",
    "spike": "a new day's spend",
    "key_cap": "the API key's cap",
    "funds_out": "Venice can charge the account again",
}
LOOK = "Look at `top-keys today` and `top-models today` to see where it goes."


def alert_card(
    rule_id: int,
    rule: AlertRule,
    readings: Readings,
    *,
    post: PostKind = "fire",
    crossed_at: datetime | None = None,
) -> Card:
    """The alert RULE posts (or its reminder), with the live figures of READINGS."""
    if post == "recover":
        return recovered_card(rule_id, rule, readings)
    title, summary, advice = _what_crossed(rule, readings)
    fields = [Field("Alert", f"{rule_id}: `{rule.text}`")]
    if rule.kind == "key_cap" and readings.key_caps:
        fields.append(Field("API key", readings.key_caps[0].key_name))
    runway = _runway_text(readings)
    if runway is not None:
        fields.append(Field("USD runway", runway))
    if crossed_at is not None and post == "remind":
        fields.append(Field("Crossed", f"{crossed_at:%Y-%m-%d %H:%M} UTC"))
    notes = [advice]
    if post == "remind":
        title = f"Still: {title}"
        notes.append("A reminder, a day after the alert: Ack stops them.")
    return Card(
        title=title,
        tone=Tone.DANGER
        if rule.kind in ("funds_out", "usd_below", "runway_below")
        else Tone.WARNING,
        summary=summary,
        fields=tuple(fields),
        notes=tuple(notes),
        footer=Footer(as_of=readings.measured_at),
        data={"alert": rule_id, "rule": rule.text, "post": post},
        actions=alert_actions(rule_id),
    )


def alert_actions(rule_id: int) -> tuple[Action, ...]:
    """Snooze 1h / 1d / 1w, Ack, Balance: commands run as whoever clicks (admins for the first
    four; the core checks)."""
    snoozes = tuple(
        Action(f"Snooze {length}", f"alert snooze {rule_id} {length}") for length in SNOOZES
    )
    return (*snoozes, Action("Ack", f"alert ack {rule_id}"), Action("Balance", "balance"))


def recovered_card(rule_id: int, rule: AlertRule, readings: Readings) -> Card:
    """The short reply when RULE re-arms: the value is back past its margin, or a new period."""
    return Card(
        title=f"Recovered: {RECOVERED[rule.kind]}",
        tone=Tone.GOOD,
        summary=_recovery(rule, readings),
        notes=(f"Alert {rule_id} (`{rule.text}`) is armed again.",),
        footer=Footer(as_of=readings.measured_at),
        data={"alert": rule_id, "rule": rule.text, "post": "recover"},
    )


def _what_crossed(rule: AlertRule, readings: Readings) -> tuple[str, str, str]:
    """The title, the sentence with the value against the threshold, and what to do."""
    threshold = rule.threshold if rule.threshold is not None else ZERO
    match rule.kind:
        case "usd_below":
            usd = readings.usd if readings.usd is not None else ZERO
            return (
                f"USD balance below {format_usd(threshold)}",
                f"The USD balance is {format_usd(usd)}, under the {format_usd(threshold)} "
                "this alert watches for.",
                TOP_UP,
            )
        case "diem_used":
            used = readings.diem_used_percent or ZERO
            return (
                f"{format_threshold('percent', threshold)} of today's DIEM used",
                f"Today's DIEM allocation is {_percent(used)} used (this alert: "
                f"{format_threshold('percent', threshold)}); it resets at 00:00 UTC.",
                STAKE,
            )
        case "runway_below":
            days = int(threshold)
            left = readings.runway_days
            return (
                f"USD runway under {days} day{'' if days == 1 else 's'}",
                f"At the USD burn of the last 7 full UTC days, the USD funds last "
                f"{_days(left)}: under the {days} this alert watches for.",
                TOP_UP,
            )
        case "spend_above":
            usd, diem = _today(readings)
            return (
                f"Today's spend passed {_plain(threshold)}",
                f"Today's spend is {format_spend(usd, diem)} ({_plain(usd + diem)} together, "
                f"1 DIEM as $1), past the {_plain(threshold)} this alert watches for.",
                LOOK,
            )
        case "spike":
            unusual = [spike for spike in readings.spikes if spike.unusual]
            said = "; ".join(
                f"{_amount(spike.today, spike.currency)} against a median day of "
                f"{_amount(spike.median, spike.currency)}"
                for spike in unusual
            )
            return (
                "Unusual spend today",
                f"Today so far: {said or 'more than twice the 7-day median'} (the 7 full UTC days "
                "before today).",
                LOOK,
            )
        case "key_cap":
            caps = readings.key_caps or ()
            top = caps[0] if caps else None
            if top is None:
                return ("An API key near its cap", "A key reached its limit.", RAISE_CAP)
            period = {"EPOCH": "daily", "MONTH": "monthly", "LIFETIME": "lifetime"}.get(
                top.period, top.period.lower()
            )
            # The key's name comes from Venice: it travels as a field (each renderer escapes
            # it), never inside the card's own sentence.
            return (
                f"API key at {_percent(top.percent)} of its cap",
                f"The API key below has used {_amount(top.used, top.currency)} of its "
                f"{period} limit of {_amount(top.limit, top.currency)} "
                f"(this alert: {format_threshold('percent', threshold)}).",
                RAISE_CAP,
            )
        case "funds_out":
            return ("Venice cannot charge this account", CANNOT_CONSUME, TOP_UP)


def _recovery(rule: AlertRule, readings: Readings) -> str:
    threshold = rule.threshold if rule.threshold is not None else ZERO
    match rule.kind:
        case "usd_below":
            usd = readings.usd if readings.usd is not None else ZERO
            return (
                f"The USD balance is {format_usd(usd)} again (this alert re-arms at "
                f"{format_usd(usd_rearm_level(threshold))} or more)."
            )
        case "runway_below":
            return (
                f"The USD runway is {_days(readings.runway_days)} again (re-armed at "
                f"{_plain(runway_rearm_level(threshold))} days or more)."
            )
        case "diem_used" | "key_cap":
            return (
                "A new period began, or the share used fell under "
                f"{_percent(percent_rearm_level(threshold))}."
            )
        case "funds_out":
            return "Venice can charge the account again (canConsume is true)."
        case _:
            return "A new UTC day began."


def _runway_text(readings: Readings) -> str | None:
    if readings.balance is None or readings.usage is None:
        return None
    today = readings.measured_at.date()
    return usd_runway(
        readings.balance, average_burn(readings.usage.by_date, today), today
    ).describe()


def _today(readings: Readings) -> tuple[Decimal, Decimal]:
    if readings.usage is None:
        return ZERO, ZERO
    today = readings.measured_at.date()
    rows = [row for row in readings.usage.by_date if row.day == today]
    return sum((r.usd for r in rows), ZERO), sum((r.diem for r in rows), ZERO)


def _days(days: int | None) -> str:
    if days is None or Decimal(days) == NO_BURN:
        return "with no USD spend to run out"
    if days == 0:
        return "less than a day"
    return f"~{days} day{'' if days == 1 else 's'}"


def _percent(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.1')).normalize():f}%"


def _plain(value: Decimal) -> str:
    """An amount of USD and DIEM together: no currency sign (it is neither)."""
    return f"{value.quantize(Decimal('0.01')):,f}"


def _amount(value: Decimal, currency: str) -> str:
    return format_usd(value) if currency == "USD" else format_diem(value)


def shown_value(kind: str, stored: str | None) -> str:
    """A rule's last reading as `alert list` shows it: `$86.26`, `49.4%`, `5 days`, `yes`."""
    if stored is None:
        return "-"
    if stored in ("true", "false"):
        return "yes" if stored == "true" else "no"
    value = Decimal(stored)
    match kind:
        case "usd_below":
            return format_usd(value)
        case "diem_used" | "key_cap":
            return _percent(value)
        case "runway_below":
            return "no USD spend" if value == NO_BURN else f"{int(value)} days"
        case _:
            return _plain(value)
