"""Which currency Venice's daily series carry, read once for every shape its sources describe,
and checked against the exact sums of the body they came in."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.venice.daily_series import key_splits, model_splits
from bot.venice.models import UsageAnalytics
from tests.venice.ledger_bodies import ALL_USD_GLM_DAY, WEEK, body, ms, tricky_week

D = Decimal


def exact_totals(answer: dict, family: str, name_field: str) -> dict[str, tuple[D, D]]:
    return {row[name_field]: (D(row["totalUsd"]), D(row["totalDiem"])) for row in answer[family]}


def split_sums(split) -> dict[str, D]:
    sums: dict[str, D] = {}
    for values in split.days.values():
        for name, amount in values.items():
            sums[name] = sums.get(name, D(0)) + amount
    return sums


@pytest.mark.parametrize(
    ("shape", "usd_source", "diem_source"),
    [
        ("docs", "byModelDailyUsd", "byModelDaily"),
        ("combined+usd", "byModelDailyUsd", "byModelDaily less byModelDailyUsd"),
        ("combined", None, None),  # USD + DIEM with no USD array: neither can be told apart
        ("none", None, None),
    ],
)
def test_each_shape_gives_the_currencies_it_can_prove(shape, usd_source, diem_source):
    answer = body(tricky_week(), shape=shape)
    splits = model_splits(UsageAnalytics.model_validate(answer))
    assert (splits.usd.source if splits.usd else None) == usd_source
    assert (splits.diem.source if splits.diem else None) == diem_source
    totals = exact_totals(answer, "byModel", "modelName")
    for index, split in ((0, splits.usd), (1, splits.diem)):
        if split is None:
            continue
        # Every listed model's days add up to its byModel total in that currency, to the unit.
        for name, amount in split_sums(split).items():
            assert amount == totals[name][index], (split.currency, name)


def test_the_issue_figures_wan_video_usd_and_a_diem_only_model():
    splits = model_splits(UsageAnalytics.model_validate(body(tricky_week())))
    assert splits.usd is not None
    assert splits.diem is not None
    usd = split_sums(splits.usd)
    assert usd["Wan 2.2 Video"] == D("6.50")  # byModel's figure, not a share of byDate
    assert usd["Venice Small"] == 0  # it spent DIEM only
    assert split_sums(splits.diem)["Venice Small"] == D("34.060")
    glm_day = splits.usd.of_day(ALL_USD_GLM_DAY)
    assert [name for name, amount in glm_day.items() if amount] == ["GLM 5.1"]


def test_keys_are_read_the_same_way_names_right_to_left_and_emoji_kept():
    answer = body(tricky_week())
    splits = key_splits(UsageAnalytics.model_validate(answer))
    assert splits.usd is not None
    assert splits.diem is not None
    totals = exact_totals(answer, "byKey", "description")
    assert split_sums(splits.usd) == {name: usd for name, (usd, _) in totals.items()}
    assert split_sums(splits.diem) == {name: diem for name, (_, diem) in totals.items()}


def test_combined_series_of_a_usd_only_account_are_its_usd_split():
    ledger = {(day, "GLM 5.1", "k"): ("1.25", "0") for day in WEEK}
    splits = model_splits(UsageAnalytics.model_validate(body(ledger, shape="combined")))
    assert splits.usd is not None
    assert splits.usd.source == "byModelDaily"
    assert split_sums(splits.usd) == {"GLM 5.1": D("8.75")}
    # Under the docs' reading the same numbers would be DIEM the account never spent.
    assert splits.diem is None


def test_the_docs_reading_wins_when_both_fit():
    # Nothing was spent in USD: the values are DIEM under either reading.
    ledger = {(day, "GLM 5.1", "k"): ("0", "2") for day in WEEK}
    splits = model_splits(UsageAnalytics.model_validate(body(ledger, shape="combined")))
    assert splits.diem is not None
    assert splits.diem.source == "byModelDaily"


def test_the_top_eight_and_an_other_series_leave_the_rest_unlisted():
    answer = body(tricky_week())
    for row in answer["byModelDaily"]:
        row["Other"] = D("0.01")  # Venice's remainder series is not checked against a model
    splits = model_splits(UsageAnalytics.model_validate(answer))
    assert splits.diem is not None
    assert len(split_sums(splits.diem)) == 9  # 8 models and Other


@pytest.mark.parametrize(
    "spoil",
    [
        lambda a: a["byModelDailyUsd"][0].update({"GLM 5.1": D(50)}),  # more than the day spent
        lambda a: a["byModelDailyUsd"][1].update({"Kimi K2.6": D("0.75")}),  # off its total
        lambda a: a["byModelDailyUsd"][2].update({"Someone else": D(1)}),  # a name nobody has
        lambda a: a["byModelDailyUsd"].append({"date": ms(WEEK[0]) - 86_400_000, "GLM 5.1": 1}),
    ],
    ids=["exceeds-the-day", "off-the-model-total", "unknown-name", "a-day-outside"],
)
def test_a_series_that_does_not_add_up_is_no_split(spoil):
    answer = body(tricky_week())
    spoil(answer)
    splits = model_splits(UsageAnalytics.model_validate(answer))
    assert splits.usd is None
    assert splits.diem is not None  # the DIEM series still adds up


def test_rounded_daily_values_within_half_a_cent_still_count():
    answer = body(tricky_week())
    for row in answer["byModelDailyUsd"]:
        for name, value in row.items():
            if name != "date":
                row[name] = D(value).quantize(D("0.01"))
    assert model_splits(UsageAnalytics.model_validate(answer)).usd is not None


def test_lenient_rows_text_numbers_and_odd_values():
    answer = body({(WEEK[0], "A", "k"): ("2", "1")})
    answer["byModelDaily"] = [
        {"date": "2026-11-16", "A": "1", "B": None, "C": True, "D": "n/a", "E": -1},
        {"date": "not a date", "A": 5},
    ]
    answer.pop("byModelDailyUsd")
    splits = model_splits(UsageAnalytics.model_validate(answer))
    assert splits.diem is not None
    assert dict(splits.diem.of_day(WEEK[0])) == {"A": D(1)}
