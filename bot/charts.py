"""PNG charts of daily spend, one panel per currency, stacked by model: readable at chat size,
labelled axes and currency, a colour-blind-safe palette (Okabe-Ito), alt text for screen readers.
Identical input gives identical bytes. Drawn with Pillow; `render_chart_async` runs it off the
event loop."""

from __future__ import annotations

import asyncio
import io
from datetime import date
from decimal import ROUND_CEILING, Decimal
from functools import cache, lru_cache

from PIL import Image, ImageDraw, ImageFont

from bot.cards import Chart, ChartPanel
from bot.money import ZERO, format_amount
from bot.ports import ChartImage

# Slack and Discord show images about 400 px wide: at 1000 px, 20 px text stays legible.
WIDTH = 1000
TITLE_HEIGHT = 40
PANEL_HEIGHT = 460  # one panel: a 1000 x 500 image
TITLE_SIZE, TEXT_SIZE = 26, 20
MARGIN = 16
PLOT_LEFT, PLOT_RIGHT = 110, WIDTH - 24
PLOT_BELOW = 44  # the x-axis labels, under each panel's plot
HEADING_TOP = 6  # the panel's heading, from the panel's top
LEGEND_TOP = 38
LEGEND_SWATCH = 18
MAX_LEGEND_NAME = 26
MAX_HEADING = 80
ALT_MODELS = 3
# One palette index per colour: a "P" image is a third the bytes of RGB to draw and compress.
BACKGROUND, INK, GRID, AXIS, OTHER = 0, 1, 2, 3, 4
SERIES_START = 5
# Text is drawn on white only: its antialiased edges are 3 blends of ink and white, so the
# image stays a palette image and each label is rendered once per process (TEXT_CACHE).
SHADES_START = 11
SHADE_LEVELS = 4
TEXT_CACHE = 2048
# Okabe-Ito without black (used for text) and yellow (unreadable on white as a thin band).
OKABE_ITO = (
    (0x00, 0x72, 0xB2),  # blue
    (0xE6, 0x9F, 0x00),  # orange
    (0x00, 0x9E, 0x73),  # bluish green
    (0xD5, 0x5E, 0x00),  # vermillion
    (0xCC, 0x79, 0xA7),  # reddish purple
    (0x56, 0xB4, 0xE9),  # sky blue
)
BASE_COLOURS = (
    (0xFF, 0xFF, 0xFF),  # background
    (0x22, 0x22, 0x22),  # text
    (0xE4, 0xE4, 0xE4),  # grid lines
    (0x88, 0x88, 0x88),  # axis
    (0x9A, 0x9A, 0x9A),  # "Other": grey, so it reads as the remainder, not a model
)
OTHER_NAME = "Other"
NICE_STEPS = (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10))
TARGET_TICKS = 4


def image_height(chart: Chart) -> int:
    """The title and a panel per currency (at least one, however empty)."""
    return TITLE_HEIGHT + PANEL_HEIGHT * max(1, len(chart.panels))


def panel_heading(panel: ChartPanel) -> str:
    """`USD per day, by model`; `DIEM per day, all models (...)` without a per-model split."""
    if panel.by_model:
        return f"{panel.currency} per day, by model"
    return f"{panel.currency} per day, all models (Venice gave no per-model split)"


def alt_text(chart: Chart) -> str:
    """What a screen reader says instead of the image: the period, then for each currency its
    total, busiest day and largest models, a sentence or two each."""
    if not chart.days:
        return f"{chart.title}: no days to show."
    period = f"{_day_label(chart.days[0], year=False)} to {_day_label(chart.days[-1], year=True)}"
    if not chart.panels:
        return f"Daily spend, {period} (UTC): nothing was spent."
    kinds = " and ".join(panel.currency for panel in chart.panels)
    sentences = [f"Daily spend in {kinds}, {period} (UTC)."]
    sentences.extend(_panel_alt(chart, panel) for panel in chart.panels)
    return " ".join(sentences)


def _panel_alt(chart: Chart, panel: ChartPanel) -> str:
    totals = _day_totals(chart, panel)
    total = sum(totals, ZERO)
    currency = panel.currency
    first = f"{currency}: {format_amount(total, currency)} in total"
    if not panel.by_model:
        first += " (no per-model split from Venice)"
    if total == 0:
        return first + ", nothing spent."
    busiest = max(range(len(totals)), key=lambda index: (totals[index], -index))
    first += (
        f", busiest on {_day_label(chart.days[busiest], year=False)} "
        f"({format_amount(totals[busiest], currency)})"
    )
    sums = [(sum(stack.values, ZERO), stack.name) for stack in panel.stacks]
    models = [(amount, name) for amount, name in sums if name != OTHER_NAME and amount > 0]
    if not panel.by_model or not models:
        return first + "."
    named = ", ".join(
        f"{name} {format_amount(amount, currency)}" for amount, name in models[:ALT_MODELS]
    )
    return f"{first}; largest models: {named}."


def render_chart(chart: Chart) -> ChartImage:
    """The PNG of CHART (CPU work: call render_chart_async from the event loop)."""
    image = Image.new("P", (WIDTH, image_height(chart)), BACKGROUND)
    image.putpalette(_palette())
    draw = ImageDraw.Draw(image)
    _text(image, (MARGIN, MARGIN - 6), _clip(chart.title, 70), TITLE_SIZE)
    colours = model_colours(chart)
    for index, panel in enumerate(chart.panels):
        _draw_panel(image, draw, chart, panel, colours, TITLE_HEIGHT + index * PANEL_HEIGHT)
    out = io.BytesIO()
    # Level 1: flat colours compress almost as well as at level 6, in a fraction of the time.
    image.save(out, format="PNG", compress_level=1)
    return ChartImage(png=out.getvalue(), alt_text=alt_text(chart))


def _draw_panel(
    image: Image.Image,
    draw: ImageDraw.ImageDraw,
    chart: Chart,
    panel: ChartPanel,
    colours: dict[str, int],
    top: int,
) -> None:
    _text(image, (MARGIN, top + HEADING_TOP), _clip(panel_heading(panel), MAX_HEADING), TEXT_SIZE)
    plot_top = _draw_legend(image, draw, panel, colours, top + LEGEND_TOP)
    plot_bottom = top + PANEL_HEIGHT - PLOT_BELOW
    totals = _day_totals(chart, panel)
    ticks = nice_ticks(max(totals, default=ZERO))
    _draw_y_axis(image, draw, panel.currency, ticks, plot_top, plot_bottom)
    _draw_bars(draw, chart, panel, colours, ticks[-1], plot_top, plot_bottom)
    _draw_x_axis(image, draw, chart, plot_bottom)


async def render_chart_async(chart: Chart) -> ChartImage:
    """render_chart in a worker thread, so the event loop keeps answering meanwhile."""
    return await asyncio.to_thread(render_chart, chart)


def nice_ticks(largest: Decimal) -> list[Decimal]:
    """Round y-axis ticks from 0 to at least LARGEST: steps of 1, 2, 2.5 or 5 times 10^k."""
    if largest <= 0:
        return [ZERO, Decimal(1)]
    rough = largest / TARGET_TICKS
    power = Decimal(10) ** rough.adjusted()
    step = next(power * nice for nice in NICE_STEPS if power * nice >= rough)
    count = int((largest / step).to_integral_value(rounding=ROUND_CEILING))
    return [step * index for index in range(count + 1)]


def tick_label(value: Decimal, step: Decimal, currency: str) -> str:
    """`$1,500`, `$2.50`, `0.25` (DIEM ticks carry no symbol: the axis title names DIEM)."""
    places = max(0, -step.normalize().as_tuple().exponent)  # type: ignore[operator]
    places = 2 if places == 1 else places  # `$2.50`, not `$2.5`
    number = f"{value:,.{places}f}"
    return f"${number}" if currency == "USD" else number


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


@cache
def _palette() -> list[int]:
    ink, paper = BASE_COLOURS[INK], BASE_COLOURS[BACKGROUND]
    shades = tuple(
        tuple(
            (i * level + p * (SHADE_LEVELS - level)) // SHADE_LEVELS
            for i, p in zip(ink, paper, strict=True)
        )
        for level in range(1, SHADE_LEVELS)
    )
    colours = BASE_COLOURS + OKABE_ITO + shades
    return [channel for colour in colours for channel in colour]


@lru_cache(maxsize=TEXT_CACHE)
def _text_tile(text: str, size: int, anchor: str) -> tuple[Image.Image, int, int]:
    """TEXT as a palette tile of ink shades on white, and its offset from the anchor point."""
    font = _font(size)
    left, top, right, bottom = (int(edge) for edge in font.getbbox(text, anchor=anchor))
    mask = Image.new("L", (max(1, right - left), max(1, bottom - top)), 0)
    ImageDraw.Draw(mask).text((-left, -top), text, fill=255, font=font, anchor=anchor)
    levels = [round(value * SHADE_LEVELS / 255) for value in range(256)]
    lut = [
        BACKGROUND if level == 0 else INK if level == SHADE_LEVELS else SHADES_START + level - 1
        for level in levels
    ]
    tile = Image.frombytes("P", mask.size, mask.point(lut).tobytes())
    return tile, left, top


def _text(
    image: Image.Image, xy: tuple[int, int], text: str, size: int, anchor: str = "la"
) -> None:
    tile, left, top = _text_tile(text, size, anchor)
    image.paste(tile, (xy[0] + left, xy[1] + top))


def model_colours(chart: Chart) -> dict[str, int]:
    """A palette index per stack name, the same in every panel (a model keeps its colour from
    the USD panel to the DIEM one), in order of first appearance; "Other" is grey."""
    colours: dict[str, int] = {}
    for panel in chart.panels:
        for stack in panel.stacks:
            if stack.name not in colours:
                named = sum(1 for name in colours if name != OTHER_NAME)
                colours[stack.name] = (
                    OTHER if stack.name == OTHER_NAME else SERIES_START + named % len(OKABE_ITO)
                )
    return colours


def _day_totals(chart: Chart, panel: ChartPanel) -> list[Decimal]:
    return [
        sum((stack.values[index] for stack in panel.stacks), ZERO)
        for index in range(len(chart.days))
    ]


def _draw_legend(
    image: Image.Image,
    draw: ImageDraw.ImageDraw,
    panel: ChartPanel,
    colours: dict[str, int],
    top: int,
) -> int:
    """Legend entries in rows under the heading; returns where the plot can start."""
    if not panel.by_model:
        return top + TEXT_SIZE // 2  # one stack of totals: the heading says what it is
    x, y = MARGIN, top
    for stack in panel.stacks:
        label = _clip(stack.name, MAX_LEGEND_NAME)
        width = LEGEND_SWATCH + 8 + _text_tile(label, TEXT_SIZE, "la")[0].width + 24
        if x + width > WIDTH - MARGIN and x > MARGIN:
            x, y = MARGIN, y + TEXT_SIZE + 10
        swatch = (x, y + 2, x + LEGEND_SWATCH, y + 2 + LEGEND_SWATCH)
        draw.rectangle(swatch, fill=colours[stack.name])
        _text(image, (x + LEGEND_SWATCH + 8, y), label, TEXT_SIZE)
        x += width
    return y + TEXT_SIZE + 22


def _draw_y_axis(
    image: Image.Image,
    draw: ImageDraw.ImageDraw,
    currency: str,
    ticks: list[Decimal],
    plot_top: int,
    plot_bottom: int,
) -> None:
    step = ticks[1] - ticks[0]
    scale = (plot_bottom - plot_top) / float(ticks[-1])
    for tick in ticks:
        y = round(plot_bottom - float(tick) * scale)
        draw.line((PLOT_LEFT, y, PLOT_RIGHT, y), fill=AXIS if tick == 0 else GRID)
        label = tick_label(tick, step, currency)
        _text(image, (PLOT_LEFT - 10, y), label, TEXT_SIZE, "rm")


def _draw_bars(
    draw: ImageDraw.ImageDraw,
    chart: Chart,
    panel: ChartPanel,
    colours: dict[str, int],
    top: Decimal,
    plot_top: int,
    plot_bottom: int,
) -> None:
    if not chart.days:
        return
    slot = (PLOT_RIGHT - PLOT_LEFT) / len(chart.days)
    gap = max(2.0, slot * 0.2)
    scale = (plot_bottom - plot_top) / float(top)
    for day in range(len(chart.days)):
        left = round(PLOT_LEFT + day * slot + gap / 2)
        right = round(PLOT_LEFT + (day + 1) * slot - gap / 2) - 1
        # Cumulative heights, rounded once each, so segments meet without gaps or overlaps.
        running = ZERO
        bottom = plot_bottom
        for stack in panel.stacks:
            value = stack.values[day]
            if value <= 0:
                continue
            running += value
            upper = round(plot_bottom - float(running) * scale)
            if upper < bottom:
                draw.rectangle((left, upper, right, bottom - 1), fill=colours[stack.name])
            bottom = upper


def _draw_x_axis(
    image: Image.Image, draw: ImageDraw.ImageDraw, chart: Chart, plot_bottom: int
) -> None:
    if not chart.days:
        return
    slot = (PLOT_RIGHT - PLOT_LEFT) / len(chart.days)
    labels = [_day_label(day, year=False) for day in chart.days]
    widest = max(_text_tile(label, TEXT_SIZE, "ma")[0].width for label in labels)
    every = max(1, int((widest + 12) // slot) + (1 if (widest + 12) % slot else 0))
    last = len(chart.days) - 1
    for index, label in enumerate(labels):
        # Counted back from the last day, so the most recent day always has its label.
        if (last - index) % every:
            continue
        x = round(PLOT_LEFT + (index + 0.5) * slot)
        draw.line((x, plot_bottom, x, plot_bottom + 5), fill=AXIS)
        _text(image, (x, plot_bottom + 8), label, TEXT_SIZE, "ma")


def _day_label(day: date, *, year: bool) -> str:
    text = f"{day:%b} {day.day}"
    return f"{text} {day.year}" if year else text


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
