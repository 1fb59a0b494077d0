"""A digest-like Card and a small PNG chart for the Poster tests of every platform."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from PIL import Image, ImageDraw

from bot.cards import Card, Chart, ChartPanel, Field, Footer, Stack, Tone
from bot.ports import ChartImage, Post

DAYS = tuple(date(2026, 11, 16) + timedelta(days=n) for n in range(14))
ALT_TEXT = "Daily spend in USD over 14 days: $42.00 in all, most on llama-3.3-70b."


def digest_card(title: str = "Daily digest: Venice spend") -> Card:
    """A card as a digest carries it: fields, a note, a footer, and chart data."""
    stacks = (
        Stack("llama-3.3-70b", tuple(Decimal(2) for _ in DAYS)),
        Stack("Other", tuple(Decimal(1) for _ in DAYS)),
    )
    chart = Chart(title="Spend per day (USD)", days=DAYS, panels=(ChartPanel("USD", stacks),))
    return Card(
        kind="report",
        title=title,
        summary="Yesterday (UTC): $3.00 and 120 DIEM, 5% above the 7-day average.",
        tone=Tone.INFO,
        fields=(Field("Yesterday", "$3.00"), Field("Balance", "$97.00")),
        chart=chart,
        notes=("Model names like <!channel> and @everyone stay plain text.",),
        footer=Footer(as_of=datetime(2026, 11, 30, 8, 0, tzinfo=UTC)),
    )


def chart_png(colour: str = "#0072B2") -> bytes:
    """A tiny, fixed PNG (identical bytes every time)."""
    image = Image.new("RGB", (64, 32), "white")
    ImageDraw.Draw(image).rectangle((8, 8, 56, 24), fill=colour)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def digest_post(*, chart: bool = True, delivery: str | None = None) -> Post:
    """A Post of digest_card(), with its chart image when CHART, marked with DELIVERY."""
    image = ChartImage(chart_png(), ALT_TEXT, "venice-spend.png") if chart else None
    return Post(digest_card(), image, delivery)


ALERT_AT = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)


def alert_sample_card() -> Card:
    """Alert 3 (`usd below 25`) as the sweep posts it, with its Snooze / Ack / Balance buttons."""
    # Imported here: the digest samples above need no alert code.
    from bot.alerts.messages import alert_card
    from bot.alerts.readings import Readings
    from bot.alerts.rules import AlertRule

    rule = AlertRule("usd_below", Decimal("25"))
    return alert_card(3, rule, Readings(measured_at=ALERT_AT, usd=Decimal("12.34")))


def alert_post(*, delivery: str | None = None) -> Post:
    """A Post of alert_sample_card(), with no chart."""
    return Post(alert_sample_card(), None, delivery)
