"""Benchmark: Discord embeds of each command on a 90-day payload (50 models, 50 keys).

Two figures per command: the render alone (`card_embed(card)` + `to_dict()`, on an answer made
once), and the whole reply (`answer()` + render). Venice is a StaticBillingSource over the
payload bench/core.py builds, so no network time is counted. Run with `make bench-discord`.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Run as a script, this file's own folder comes first on sys.path, where `import discord` would
# find this very file instead of discord.py.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

from adapters.discord.render import card_embed  # noqa: E402
from bench.core import NOW, build_source  # noqa: E402
from bench.support import answered, percentile, print_header, sample  # noqa: E402
from bot.cards import Card  # noqa: E402

COMMANDS = ("balance", "usage 90d", "top-keys 90d 50", "top-models 90d 50", "help")


async def main() -> None:
    source = build_source()
    print_header("Discord render")
    print(f"{'command':<20}{'render p50':>12}{'p99 ms':>9}{'answer+render p50':>19}{'p99 ms':>9}")
    for text in COMMANDS:
        card = (await answered(text, source, NOW)).card

        async def render_only(card: Card = card) -> object:
            return card_embed(card).to_dict()

        async def whole(text: str = text) -> object:
            return card_embed((await answered(text, source, NOW)).card).to_dict()

        render = await sample(render_only)
        total = await sample(whole)
        print(
            f"{text:<20}{percentile(render, 0.5):>12.3f}{percentile(render, 0.99):>9.3f}"
            f"{percentile(total, 0.5):>19.3f}{percentile(total, 0.99):>9.3f}"
            f"   (embed {len(card_embed(card))} chars, mean render "
            f"{statistics.fmean(render):.3f} ms)"
        )


if __name__ == "__main__":
    asyncio.run(main())
