"""PNG charts of daily spend, stacked by model: readable at chat size, labelled axes and currency,
a colour-blind-safe palette (Okabe-Ito), alt text for screen readers. Identical input gives
identical bytes. Drawn with Pillow; `render_chart_async` runs it off the event loop."""

from __future__ import annotations

import asyncio

from bot.cards import Chart
from bot.ports import ChartImage


def alt_text(chart: Chart) -> str:
    """What a screen reader says instead of the image: the period, currency, total, busiest day
    and the largest models, in one or two sentences."""
    raise NotImplementedError


def render_chart(chart: Chart) -> ChartImage:
    """The PNG of CHART (CPU work: call render_chart_async from the event loop)."""
    raise NotImplementedError


async def render_chart_async(chart: Chart) -> ChartImage:
    """render_chart in a worker thread, so the event loop keeps answering meanwhile."""
    return await asyncio.to_thread(render_chart, chart)
