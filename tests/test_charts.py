"""The spend chart PNG: readable size, deterministic bytes, honest labels and alt text."""

from __future__ import annotations

import io
import subprocess
import sys
import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
from PIL import Image

from bot.cards import Chart, ChartPanel, Stack
from bot.charts import (
    WIDTH,
    alt_text,
    model_colours,
    nice_ticks,
    render_chart,
    render_chart_async,
    tick_label,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DAYS = tuple(date(2026, 11, 16) + timedelta(days=index) for index in range(14))


def amounts(*values: str) -> tuple[Decimal, ...]:
    return tuple(Decimal(value) for value in values)


def stacks() -> tuple[Stack, ...]:
    big = [f"{(index * 37) % 11}.{(index * 13) % 100:02d}" for index in range(14)]
    small = [f"{(index * 7) % 5}.{(index * 29) % 100:02d}" for index in range(14)]
    return (
        Stack("GLM 5.1", amounts(*big)),
        Stack("Kimi K2.6", amounts(*small)),
        Stack("Other", amounts(*(["0.25"] * 14))),
    )


def one(title: str, currency: str, days: tuple[date, ...], *layers: Stack) -> Chart:
    return Chart(title, days, (ChartPanel(currency, layers),))


def chart(currency: str = "USD") -> Chart:
    return one("Daily spend · Mon 16 Nov to Sun 29 Nov (UTC)", currency, DAYS, *stacks())


def both() -> Chart:
    """USD stacked by model, DIEM with no per-model split from Venice."""
    diem = ChartPanel(
        "DIEM",
        (Stack("All models", amounts(*(["3"] * 14))),),
        by_model=False,
        note="Venice gave no per-model split of DIEM here: totals per day.",
    )
    return Chart("t", DAYS, (ChartPanel("USD", tuple(reversed(stacks()))), diem))


def test_png_of_chat_size_with_something_drawn():
    image = render_chart(chart())
    assert image.png.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(image.png)) as opened:
        assert opened.size == (WIDTH, 500)
        colours = opened.convert("RGB").getcolors(maxcolors=256)
    # Background, text, grid, and one colour per stack at the least.
    assert colours is not None
    assert len(colours) >= 6
    assert image.filename.endswith(".png")


def test_same_chart_same_bytes_even_in_another_process():
    first = render_chart(chart()).png
    assert render_chart(chart()).png == first
    script = (
        "import sys; from tests.test_charts import chart; from bot.charts import render_chart; "
        "sys.stdout.buffer.write(render_chart(chart()).png)"
    )
    fresh = subprocess.run([sys.executable, "-c", script], capture_output=True, check=True)
    assert fresh.stdout == first


def test_different_data_draws_a_different_image():
    other = one("t", "USD", DAYS, Stack("A", amounts(*(["1"] * 14))))
    assert render_chart(other).png != render_chart(chart()).png


async def test_rendered_off_the_event_loop_gives_the_same_image():
    assert (await render_chart_async(chart())).png == render_chart(chart()).png


def test_alt_text_names_period_currency_total_busiest_day_and_models():
    text = alt_text(chart())
    total = sum((sum(stack.values, Decimal(0)) for stack in stacks()), Decimal(0))
    assert f"${total:,.2f}" in text
    assert "USD" in text
    assert "Nov 16 to Nov 29 2026" in text
    assert "busiest on Nov 18 ($13.09)" in text
    assert "GLM 5.1" in text
    assert "Kimi K2.6" in text
    assert "Other" not in text  # the remainder is not a model
    assert text.count(". ") <= 1  # one or two sentences


def test_a_panel_per_currency_one_image_taller_colours_kept_per_model():
    image = render_chart(both())
    with Image.open(io.BytesIO(image.png)) as opened:
        assert opened.size == (WIDTH, 960)
    text = image.alt_text
    assert "USD and DIEM" in text
    assert "42.00 DIEM in total (no per-model split from Venice)" in text
    assert "$" not in text.split("DIEM:")[1]
    # One colour per model for the whole image: a model keeps it from one panel to the next.
    colours = model_colours(both())
    assert len({colours["Other"], colours["GLM 5.1"], colours["Kimi K2.6"]}) == 3
    assert colours["Other"] == model_colours(chart())["Other"]  # grey, whatever its place


def test_diem_chart_never_shows_a_dollar():
    diem = chart("DIEM")
    assert "$" not in alt_text(diem)
    assert "DIEM" in alt_text(diem)
    assert not any("$" in tick_label(tick, Decimal(5), "DIEM") for tick in nice_ticks(Decimal(20)))
    # The DIEM image differs from the USD one only by its labels.
    assert render_chart(diem).png != render_chart(chart()).png


@pytest.mark.parametrize(
    ("largest", "ticks"),
    [
        ("0", ["0", "1"]),
        ("9.8", ["0", "2.5", "5.0", "7.5", "10.0"]),
        ("10", ["0", "2.5", "5", "7.5", "10"]),
        ("23.1", ["0", "10", "20", "30"]),
        ("250", ["0", "100", "200", "300"]),
        ("0.003", ["0", "0.001", "0.002", "0.003"]),
        ("1234", ["0", "500", "1000", "1500"]),
    ],
)
def test_ticks_are_round_and_cover_the_tallest_day(largest, ticks):
    found = nice_ticks(Decimal(largest))
    assert [Decimal(tick) for tick in ticks] == found
    assert found[-1] >= Decimal(largest)


@pytest.mark.parametrize(
    ("value", "step", "currency", "label"),
    [
        ("1500", "500", "USD", "$1,500"),
        ("2.5", "2.5", "USD", "$2.50"),
        ("0.002", "0.001", "USD", "$0.002"),
        ("200", "100", "DIEM", "200"),
    ],
)
def test_tick_labels(value, step, currency, label):
    assert tick_label(Decimal(value), Decimal(step), currency) == label


def test_empty_and_all_zero_charts_still_render():
    nothing = Chart("t", DAYS, ())
    assert render_chart(nothing).png.startswith(PNG_SIGNATURE)
    assert "nothing was spent" in alt_text(nothing)
    zero = one("t", "USD", DAYS, Stack("A", amounts(*(["0"] * 14))))
    assert "nothing spent" in alt_text(zero)
    assert render_chart(zero).png.startswith(PNG_SIGNATURE)
    assert render_chart(Chart("t", (), ())).png.startswith(PNG_SIGNATURE)


def test_ninety_days_and_long_model_names_fit():
    days = tuple(date(2026, 9, 1) + timedelta(days=index) for index in range(90))
    layers = tuple(
        Stack(f"a very long model name number {index} instruct", amounts(*(["1.5"] * 90)))
        for index in range(5)
    )
    image = render_chart(one("t", "USD", days, *layers))
    with Image.open(io.BytesIO(image.png)) as opened:
        assert opened.size == (WIDTH, 500)


def test_render_is_fast_once_its_labels_are_known():
    render_chart(chart())
    started = time.process_time()
    for _ in range(20):
        render_chart(chart())
    per_render = (time.process_time() - started) / 20
    # The digest's whole budget is 25 ms of CPU; measured about 3-4 ms on the dev machine.
    assert per_render < 0.015
