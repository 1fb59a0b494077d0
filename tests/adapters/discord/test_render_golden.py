"""Golden Discord embeds (`Embed.to_dict()`) of every command on the text goldens' fixed data.

Regenerate after an intended change with
`UPDATE_GOLDEN=1 pytest tests/adapters/discord/test_render_golden.py` and review the diff.
A missing golden file fails: it is never written silently.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.discord.render import card_embed
from bot.cards import Card, Stale, Tone
from bot.deadline import Deadline
from bot.errors import VeniceFailing
from bot.venice.models import ApiKeys, Balance, UsageAnalytics
from bot.venice.source import Fetched, UsageQuery
from bot.venice.static_source import StaticBillingSource
from tests.adapters.discord.test_render_limits import embed_problems, embed_texts, live_markup
from tests.asking import answer_text
from tests.commands.builders import balance, context, key, model, part, source, usage
from tests.commands.test_golden import CASES, KEYS, MODELS, month_of_days, rich

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "discord"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
HOSTILE_NAME = "@everyone <@123> **bold** [x](https://evil)"


@dataclass
class StaleSource:
    """A source whose every answer comes from a cache entry kept past its freshness."""

    inner: StaticBillingSource
    stale: Stale

    async def balance(self, deadline: Deadline) -> Fetched[Balance]:
        return replace(await self.inner.balance(deadline), stale=self.stale)

    async def usage(self, query: UsageQuery, deadline: Deadline) -> Fetched[UsageAnalytics]:
        return replace(await self.inner.usage(query, deadline), stale=self.stale)

    async def api_keys(self, deadline: Deadline) -> Fetched[ApiKeys]:
        return replace(await self.inner.api_keys(deadline), stale=self.stale)


def stale() -> StaticBillingSource:
    since = datetime(2026, 11, 22, 13, 40, tzinfo=UTC)
    inner = rich()
    inner.fetched_at = since
    return StaleSource(inner, Stale(since, "Venice is failing (HTTP 503)"))  # type: ignore[return-value]


def hostile() -> StaticBillingSource:
    keys = [
        key("k1", HOSTILE_NAME, "5.00", "1.00", "1000"),
        key("k2", "<@&456> <#789> ``` `tick` ||spoiler|| \u202eevil", "2.00", "0", "10"),
        *KEYS,
    ]
    models = [model(HOSTILE_NAME, "3.00", "0", "10"), *MODELS]
    return source(usage_answer=usage(month_of_days(30), models, keys, lookback="30d"))


def fifty() -> StaticBillingSource:
    """50 keys with long names and 50 models with four token types each."""
    keys = [
        key(f"{i:032x}", f"service-{i:02d} production worker pool (eu-west)", f"{100 - i}.25")
        for i in range(50)
    ]
    models = [
        model(
            f"Venice Model {i:02d} Instruct",
            f"{60 - i}.10",
            f"{i}.5",
            "1000000",
            breakdown=[
                part(kind, "1.00", "0.10", "250000")
                for kind in ("Input", "Output", "Cache Read", "Cache Write")
            ],
        )
        for i in range(50)
    ]
    return source(
        balance_answer=balance(),
        usage_answer=usage(month_of_days(30), models, keys, lookback="30d"),
    )


def failing() -> StaticBillingSource:
    error = VeniceFailing("Venice is failing (HTTP 503). Try again in a minute.", status=503)
    return source(balance_answer=error, usage_answer=error)


def nothing() -> StaticBillingSource:
    return source()


EXTRA: list[tuple[str, str, Callable[[], StaticBillingSource]]] = [
    ("help", "help", nothing),
    ("help_usage", "help usage", nothing),
    ("status_no_workspace", "status", nothing),
    ("error_invalid_period", "usage 99d", nothing),
    ("error_venice_failing", "balance", failing),
    ("stale_usage_30d", "usage 30d", stale),
    ("hostile_top_keys", "top-keys 30d 8", hostile),
    ("hostile_top_models", "top-models 30d 5", hostile),
    ("top_keys_50", "top-keys 30d 50", fifty),
    ("top_models_50", "top-models 30d 50", fifty),
    ("usage_90d_fifty", "usage 90d", fifty),
]
ALL = [*CASES, *EXTRA]


@pytest.mark.parametrize(("name", "text", "make_source"), ALL, ids=[case[0] for case in ALL])
async def test_golden(name: str, text: str, make_source: Callable[[], StaticBillingSource]):
    result = await answer_text(text, context(make_source()))
    embed = card_embed(result.card)
    assert embed_problems(embed) == []
    for shown in embed_texts(embed):
        assert live_markup(shown) == [], shown
    rendered = json.dumps(embed.to_dict(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    path = GOLDEN / f"{name}.json"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rendered, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run with UPDATE_GOLDEN=1 and review it"
    assert rendered == path.read_text(encoding="utf-8")


async def test_the_stale_footer_says_since_when_and_why():
    embed = card_embed((await answer_text("usage 30d", context(stale()))).card)
    assert embed.footer.text is not None
    assert embed.footer.text.startswith("⚠ Stale: data from 13:40 UTC — Venice is failing")
    assert "As of 2026-11-22 13:40 UTC" in embed.footer.text  # with its date, as everywhere
    assert embed.timestamp == datetime(2026, 11, 22, 13, 40, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "marker"), [("top-keys 30d 50", "service-"), ("top-models 30d 50", "Venice Model")]
)
async def test_fifty_rows_show_what_fits_and_say_how_many_more(text: str, marker: str):
    embed = card_embed((await answer_text(text, context(fifty()))).card)
    description = embed.description or ""
    shown = [line for line in description.splitlines() if marker in line]
    assert len(shown) >= 10
    more = re.search(r"… and (\d+) more", description)
    # Fifty key rows fit in a description; fifty models with four token types each do not.
    assert len(shown) + (int(more.group(1)) if more else 0) == 50
    assert (more is not None) == text.startswith("top-models")
    assert embed_problems(embed) == []


@pytest.mark.parametrize(
    ("tone", "colour"),
    [
        (Tone.INFO, 0x5865F2),
        (Tone.GOOD, 0x57F287),
        (Tone.WARNING, 0xF0B232),
        (Tone.DANGER, 0xED4245),
    ],
)
def test_tones_are_colours(tone: Tone, colour: int):
    assert card_embed(Card("t", tone=tone)).to_dict()["color"] == colour


async def test_commands_keep_their_tone():
    good = card_embed((await answer_text("balance", context(rich()))).card).to_dict()
    invalid = card_embed((await answer_text("usage 99d", context(nothing()))).card).to_dict()
    assert good["color"] == 0x57F287
    assert invalid["color"] == 0xF0B232
