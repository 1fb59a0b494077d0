"""The digest Card: figures against the real simulator, goldens of its Slack and Discord renders,
and the rules people notice (UTC day, the average, the anomaly line, the chart's totals).

Regenerate the goldens after an intended change with
`UPDATE_GOLDEN=1 pytest tests/digest/test_content.py` and review the diff.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from pydantic import SecretStr

from adapters.discord.render import card_embed
from adapters.slack.render import render_card
from bot.charts import render_chart
from bot.command_spec import CommandContext
from bot.deadline import Deadline
from bot.digest.content import Digest, build_digest
from bot.errors import VeniceFailing
from bot.registry import COMMANDS
from bot.venice.client import VeniceAccount, VeniceClient
from bot.venice.models import ApiKeys, Balance, UsageAnalytics
from bot.venice.source import BillingSource, Fetched, UsageQuery
from tests.adapters.discord.test_render_limits import embed_problems, embed_texts, live_markup
from tests.adapters.slack.test_render_limits import assert_within_limits
from tests.asking import answer_text
from tests.commands.builders import DOLLAR_DIEM, balance, card_strings, day, key, model, source
from venice_simulator import EMPTY_KEY, TEAM_KEY, USD_KEY, Simulator
from venice_simulator.server import RunningSimulator, start_in_thread

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "digest"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
YESTERDAY = date(2026, 11, 29)
FETCHED_AT = datetime(2026, 11, 30, 8, 58, 30, tzinfo=UTC)
LATE = "Posted late: the bot was down at 09:00 (Europe/Madrid)."


@dataclass
class Pinned:
    """The real Venice source, its answers stamped at FETCHED_AT so that goldens do not drift."""

    inner: BillingSource

    async def balance(self, deadline: Deadline) -> Fetched[Balance]:
        return replace(await self.inner.balance(deadline), fetched_at=FETCHED_AT)

    async def usage(self, query: UsageQuery, deadline: Deadline) -> Fetched[UsageAnalytics]:
        return replace(await self.inner.usage(query, deadline), fetched_at=FETCHED_AT)

    async def api_keys(self, deadline: Deadline) -> Fetched[ApiKeys]:
        return replace(await self.inner.api_keys(deadline), fetched_at=FETCHED_AT)


@pytest.fixture(scope="module")
def venice() -> Iterator[RunningSimulator]:
    with start_in_thread(Simulator(seed=7, clock=lambda: NOW)) as running:
        yield running


@pytest.fixture
async def account(venice: RunningSimulator) -> AsyncIterator[Any]:
    async with httpx.AsyncClient() as http:
        client = VeniceClient(http, venice.base_url)
        yield lambda key: Pinned(VeniceAccount(client, SecretStr(key)))


async def digest_of(src: BillingSource, late_note: str | None = None) -> Digest:
    return await build_digest(src, now=NOW, deadline=Deadline.after(10), late_note=late_note)


def check_golden(name: str, rendered: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rendered, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run with UPDATE_GOLDEN=1 and review it"
    assert rendered == path.read_text(encoding="utf-8")


def dump(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def quiet_week_then(yesterday_usd: str, *, days: int = 14) -> UsageAnalytics:
    """14 days of $2.00 and 3 DIEM a day, then YESTERDAY_USD and 3 DIEM yesterday."""
    rows = [day(YESTERDAY - timedelta(days=back), "2.00", "3") for back in range(1, days)]
    rows.append(day(YESTERDAY, yesterday_usd, "3"))
    return UsageAnalytics.model_validate(
        {
            "byDate": rows,
            "byModel": [model("GLM 5.1", yesterday_usd, "3")],
            "byKey": [key("k1", "ci-runner", yesterday_usd, "3")],
        }
    )


def static(usage: UsageAnalytics, funds: Balance | None = None) -> Any:
    src = source(balance_answer=funds or balance(), usage_answer=usage)
    src.fetched_at = FETCHED_AT
    return src


async def golden_digests(account: Any) -> dict[str, Digest]:
    return {
        "team_late": await digest_of(account(TEAM_KEY), LATE),
        "usd_only": await digest_of(account(USD_KEY)),
        "empty": await digest_of(account(EMPTY_KEY)),
        "anomaly": await digest_of(static(quiet_week_then("9.50"))),
    }


@pytest.mark.parametrize("name", ["team_late", "usd_only", "empty", "anomaly"])
async def test_golden_card_slack_and_discord(account: Any, name: str):
    digest = (await golden_digests(account))[name]
    card = digest.card
    document = {"empty": digest.empty, "card": card.to_dict()}
    if card.chart is not None:
        document["chart_alt_text"] = render_chart(card.chart).alt_text
    check_golden(f"{name}.card.json", dump(document))

    slack = render_card(card)
    assert_within_limits(slack)
    check_golden(f"{name}.slack.json", dump(slack))

    embed = card_embed(card)
    assert embed_problems(embed) == []
    for shown in embed_texts(embed):
        assert live_markup(shown) == [], shown
    check_golden(f"{name}.discord.json", dump(embed.to_dict()))


def test_every_golden_file_has_a_case():
    names = {"team_late", "usd_only", "empty", "anomaly"}
    kinds = {"card", "slack", "discord"}
    expected = {f"{name}.{kind}.json" for name in names for kind in kinds}
    assert {path.name for path in GOLDEN.glob("*.json")} == expected


async def test_chart_panels_are_exact_sums_of_the_14_days(account: Any):
    src = account(TEAM_KEY)
    card = (await digest_of(src)).card
    assert card.chart is not None
    query = UsageQuery(None, "2026-11-16", "2026-11-29")
    usage = (await src.usage(query, Deadline.after(10))).value
    by_date = {row.day: row for row in usage.by_date}
    by_model = {row.model_name: row for row in usage.by_model}
    assert card.chart.days == tuple(YESTERDAY - timedelta(days=back) for back in range(13, -1, -1))
    assert [panel.currency for panel in card.chart.panels] == ["USD", "DIEM"]
    for panel in card.chart.panels:
        assert panel.by_model
        assert [stack.name for stack in panel.stacks][-1] == "Other"
        assert len(panel.stacks) == 5
        usd = panel.currency == "USD"
        for index, when in enumerate(card.chart.days):
            total = sum((stack.values[index] for stack in panel.stacks), Decimal(0))
            assert total == (by_date[when].usd if usd else by_date[when].diem)
        for stack in panel.stacks[:-1]:
            model = by_model[stack.name]
            assert sum(stack.values, Decimal(0)) == (model.total_usd if usd else model.total_diem)


@pytest.mark.parametrize("minute", [datetime(2026, 11, 30, 0, 5, tzinfo=UTC), NOW])
async def test_balance_and_the_digest_give_one_burn_and_one_runway(account: Any, minute):
    """The same minute, the same account: one burn of the 7 full UTC days, one runway (early in
    the UTC day too, when a window that counted today's start would make the burn look low)."""
    src = account(TEAM_KEY)
    digest = (await build_digest(src, now=minute, deadline=Deadline.after(10))).card
    reply = await answer_text(
        "balance",
        CommandContext(commands=COMMANDS, now=minute, deadline=Deadline.after(10), source=src),
    )
    fields = {field.label: field.value for field in reply.card.fields}
    shown = {field.label: field.value for field in digest.fields}
    assert shown["USD burn"] == fields["USD burn"]
    assert shown["USD runway"] == fields["USD runway"]
    assert fields["USD burn"].endswith("/day over the last 7 full UTC days")
    burn = reply.card.data["runway"]["burn_per_day"]["usd"]
    assert digest.data["usd_runway"]["burn_per_day"] == burn
    # The exact sum of the 7 days before today, from Venice's own daily rows.
    query = UsageQuery(None, "2026-11-16", "2026-11-29")
    rows = (await src.usage(query, Deadline.after(10))).value.by_date
    week = sum((row.usd for row in rows if row.day >= date(2026, 11, 23)), Decimal(0))
    assert burn == (week / 7).quantize(Decimal("0.000001"))


async def test_it_asks_for_the_balance_the_14_days_and_yesterday_all_at_once():
    started = asyncio.Barrier(3)
    asked: list[Any] = []

    class Waiting:
        async def balance(self, deadline: Deadline) -> Fetched[Balance]:
            asked.append("balance")
            await asyncio.wait_for(started.wait(), 2)
            return Fetched(balance(), FETCHED_AT)

        async def usage(self, query: UsageQuery, deadline: Deadline) -> Fetched[UsageAnalytics]:
            asked.append(query)
            await asyncio.wait_for(started.wait(), 2)
            return Fetched(quiet_week_then("2.00"), FETCHED_AT)

    await digest_of(Waiting())  # type: ignore[arg-type]
    assert sorted(map(str, asked)) == sorted(
        [
            "balance",
            str(UsageQuery(None, "2026-11-16", "2026-11-29")),
            str(UsageQuery(None, "2026-11-29", "2026-11-29")),
        ]
    )


async def test_yesterday_is_the_utc_day_wherever_the_channel_is():
    src = static(quiet_week_then("2.00"))
    # 09:00 in Kiritimati (UTC+14) is still 19:00 of the day before in UTC.
    kiritimati = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Pacific/Kiritimati"))
    digest = await build_digest(src, now=kiritimati, deadline=Deadline.after(10))
    assert digest.card.title == "Venice daily digest · Sun 29 Nov"
    assert "the UTC day 2026-11-29" in (digest.card.summary or "")


async def test_summary_compares_both_currencies_with_the_7_days_before():
    card = (await digest_of(static(quiet_week_then("3.00")))).card
    assert card.summary == (
        "Yesterday (the UTC day 2026-11-29): $3.00 (+50.0% vs $2.00, the average of the 7 days "
        "before) and 3.00 DIEM (0.0% vs 3.00 DIEM, the average of the 7 days before)."
    )
    assert card.data["usd"]["change"] == "+50.0%"
    assert card.to_dict()["data"]["usd"]["spent"] == "3.00"


async def test_a_jump_above_twice_the_median_warns_after_the_late_note():
    digest = await digest_of(static(quiet_week_then("4.01")), late_note=LATE)
    assert digest.card.tone == "warning"
    assert digest.card.notes[0] == LATE
    assert digest.card.notes[1].startswith("Unusual spend: yesterday's $4.01 is more than twice")
    assert digest.card.data["usd"]["anomaly"] is True
    assert digest.card.data["diem"]["anomaly"] is False


async def test_exactly_twice_the_median_is_not_unusual():
    card = (await digest_of(static(quiet_week_then("4.00")))).card
    assert not any(note.startswith("Unusual") for note in card.notes)
    assert card.tone == "info"


async def test_no_spend_yesterday_is_empty_but_still_reports_the_balance():
    usage = quiet_week_then("0")
    rows = [row for row in usage.by_date if row.day != YESTERDAY]
    quiet = usage.model_copy(update={"by_date": rows, "by_model": [], "by_key": []})
    digest = await digest_of(static(quiet))
    assert digest.empty
    assert digest.card.summary == "Yesterday (the UTC day 2026-11-29): no spend."
    assert digest.card.chart is not None  # the days before still had spend
    assert next(field.label for field in digest.card.fields) == "USD balance"


async def test_fourteen_days_of_nothing_has_no_chart():
    digest = await digest_of(static(UsageAnalytics()))
    assert digest.empty
    assert digest.card.chart is None
    assert digest.card.trend is None


async def test_diem_is_never_shown_with_a_dollar(account: Any):
    for key_name in (TEAM_KEY, USD_KEY):
        card = (await digest_of(account(key_name))).card
        for text in card_strings(card):
            assert not re.search(DOLLAR_DIEM, text), text


async def test_a_venice_failure_is_raised_as_itself_for_the_runner_to_retry():
    failing = VeniceFailing("Venice is failing (HTTP 503). Try again in a minute.", status=503)
    with pytest.raises(VeniceFailing):
        await digest_of(source(balance_answer=balance(), usage_answer=failing))
