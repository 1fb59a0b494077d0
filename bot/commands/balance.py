"""`balance`: DIEM left today, the share of the epoch allocation used, USD, and the runway."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bot.cards import Card, Field, Meter, Tone
from bot.command_spec import CommandContext, CommandSpec
from bot.errors import VeniceError
from bot.invocation import Invocation
from bot.money import format_amount, format_diem, format_fraction, format_usd
from bot.reports.fetching import fetch_alongside
from bot.reports.footer import report_footer, short_reason
from bot.reports.runway import (
    BURN_DAYS,
    CANNOT_CONSUME,
    Burn,
    BurnWindow,
    DiemRunway,
    UsdRunway,
    allocation_meter,
    average_burn,
    countdown,
    diem_runway,
    next_reset,
    usd_runway,
)
from bot.venice.models import Balance, UsageAnalytics
from bot.venice.source import Fetched

CHARGED_NEXT = {
    "DIEM": "DIEM",
    "EARNED_CREDITS": "earned credits",
    "BUNDLED_CREDITS": "bundled credits",
    "USD": "USD",
}


def burn_note(burn: Burn) -> str:
    """The footer line that names the burn's window."""
    return f"Burn: the average of {burn.window.describe()}."


async def handle(invocation: Invocation, ctx: CommandContext) -> Card:
    """Fetch the balance and the last 7 full UTC days' usage at once; the runway is optional."""
    source = ctx.billing()
    window = BurnWindow.before(ctx.now.date())
    fetched, recent = await fetch_alongside(
        source.balance(ctx.deadline), source.usage(window.query(), ctx.deadline)
    )
    return balance_card(fetched, recent, ctx)


def balance_card(
    fetched: Fetched[Balance],
    recent: Fetched[UsageAnalytics] | VeniceError | None,
    ctx: CommandContext,
) -> Card:
    """The balance card; RECENT is the usage of the burn's days, or why it is missing."""
    balance = fetched.value
    diem = balance.balances.diem
    allocation = balance.diem_epoch_allocation
    reset = next_reset(ctx.now)
    # An account that stakes no DIEM reads of USD only; the summary says "No DIEM staked".
    fields = (
        [
            Field("DIEM left today", format_diem(diem) if diem is not None else "none"),
            Field(
                "Epoch allocation",
                format_diem(allocation) if allocation > 0 else "none (no DIEM staked)",
            ),
            Field("Epoch resets", f"in {countdown(ctx.now, reset)} (00:00 UTC)"),
        ]
        if allocation > 0 or diem
        else []
    )
    fields.append(Field("USD balance", _usd_or_none(balance.balances.usd)))
    if balance.balances.bundled_credits is not None:
        fields.append(Field("Bundled credits", _credits(balance.balances.bundled_credits)))
    if balance.balances.earned_credits is not None:
        fields.append(Field("Earned credits", _credits(balance.balances.earned_credits)))
    fields.append(Field("Charged next", _charged_next(balance.consumption_currency)))

    notes: list[str] = []
    if not balance.can_consume:
        notes.append(CANNOT_CONSUME)
    # The DIEM runway only means something while staking.
    diem_left = diem if diem is not None and allocation > 0 else None
    runway_data: dict[str, Any] | None = None
    diem_run: DiemRunway | None = None
    usd_run: UsdRunway | None = None
    burn: Burn | None = None
    footer_others: list[Fetched[Any]] = []
    if isinstance(recent, VeniceError):
        notes.append(f"Runway unavailable: {short_reason(recent)}.")
    elif recent is not None:
        footer_others.append(recent)
        burn = average_burn(recent.value.by_date, ctx.now.date())
        # One currency per line: a DIEM figure never sits beside a `$`.
        if diem_left is not None or burn.diem_per_day:
            fields.append(Field("DIEM burn", burn.diem_text()))
        if diem_left is not None:
            diem_run = diem_runway(diem_left, burn.diem_per_day, ctx.now)
            fields.append(Field("DIEM runway", diem_run.describe()))
        usd_run = usd_runway(balance, burn, ctx.now.date())
        # Nothing to spend and nothing spent in USD: a DIEM-only account reads of DIEM only.
        if usd_run.balance > 0 or burn.usd_per_day:
            fields.append(Field("USD burn", burn.usd_text()))
            fields.append(Field("USD runway", usd_run.describe()))
        runway_data = runway_data_of(burn, diem_run, usd_run)

    meter = allocation_meter(diem, allocation)
    return Card(
        title="Venice balance",
        tone=_tone(balance, diem_run, usd_run, runway_known=runway_data is not None),
        summary=_summary(diem, meter, balance.balances.usd),
        fields=tuple(fields),
        meter=meter,
        notes=tuple(notes),
        footer=report_footer(fetched, *footer_others, note=burn_note(burn) if burn else None),
        data={
            "can_consume": balance.can_consume,
            "consumption_currency": balance.consumption_currency,
            "diem": {
                "left": diem,
                "allocation": allocation,
                "used_fraction": meter.fraction if meter else None,
            },
            "usd": balance.balances.usd,
            "bundled_credits": balance.balances.bundled_credits,
            "earned_credits": balance.balances.earned_credits,
            "epoch_resets_at": reset,
            "runway": runway_data,
            "runway_error": short_reason(recent) if isinstance(recent, VeniceError) else None,
        },
    )


def _summary(diem: Decimal | None, meter: Meter | None, usd: Decimal | None) -> str:
    parts = []
    if diem is not None:
        # The meter's own fraction: the summary and every drawn bar say the same percentage.
        used = f" ({format_fraction(meter.fraction)} of the allocation used)" if meter else ""
        parts.append(f"{format_diem(diem)} left today{used}")
    else:
        parts.append("No DIEM staked")
    parts.append(f"USD balance {format_usd(usd)}" if usd is not None else "no USD balance")
    return " · ".join(parts)


def _tone(
    balance: Balance,
    diem_run: DiemRunway | None,
    usd_run: UsdRunway | None,
    *,
    runway_known: bool,
) -> Tone:
    if not balance.can_consume:
        return Tone.DANGER
    if (diem_run is not None and not diem_run.lasts_until_reset) or (
        usd_run is not None and usd_run.short
    ):
        return Tone.WARNING
    return Tone.GOOD if runway_known else Tone.INFO


def runway_data_of(
    burn: Burn, diem_run: DiemRunway | None, usd_run: UsdRunway | None
) -> dict[str, Any]:
    """The burn and runway for machines (`--format json`), the same in `balance` and digests."""
    places = Decimal("0.000001")
    return {
        "burn_window": {
            "start": burn.window.start,
            "end": burn.window.end,
            "full_utc_days": BURN_DAYS,
        },
        "burn_per_day": {
            "usd": burn.usd_per_day.quantize(places),
            "diem": burn.diem_per_day.quantize(places),
        },
        "diem_lasts_until_reset": diem_run.lasts_until_reset if diem_run else None,
        "diem_runs_out_at": diem_run.runs_out_at if diem_run else None,
        "usd_funds": (
            [{"name": fund.name, "amount": fund.amount} for fund in usd_run.funds]
            if usd_run
            else None
        ),
        "usd_days": usd_run.days if usd_run else None,
        "usd_until": usd_run.until if usd_run else None,
    }


def _usd_or_none(amount: Decimal | None) -> str:
    return format_usd(amount) if amount is not None else "none"


def _credits(amount: Decimal) -> str:
    return format_amount(amount, "credits")


def _charged_next(currency: str | None) -> str:
    if currency is None:
        return "nothing: no funds"
    return CHARGED_NEXT.get(currency, currency)


SPEC = CommandSpec(
    name="balance",
    summary="DIEM left today, share of the allocation used, USD balance and the runway",
    usage="balance",
    examples=("balance",),
    arguments=(),
    handler=handle,
    details=(
        "Shows the DIEM left in today's epoch (it resets at 00:00 UTC, with no rollover), the "
        "share of the epoch allocation already used, the USD balance and any credits, and which "
        "currency Venice charges next (DIEM first, then credits, then USD). The burn is the "
        "average spend per day of the last 7 full UTC days (today is not over, so it is left "
        "out); the runway says whether today's DIEM lasts until the reset, and how many days the "
        "credits Venice charges before USD, then the USD balance, last at the USD burn."
    ),
    shareable=True,
)
