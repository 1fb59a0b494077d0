"""The usage-history ledger: cursor paging, its rules, CSV, and agreement with the analytics."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest

ROUTE = "/billing/usage-history"
ADMIN = {"Authorization": "Bearer sim-admin-team"}
WINDOW = {"startTimestamp": "2026-11-20T00:00:00.000Z", "endTimestamp": "2026-11-23T00:00:00Z"}


def get(client, params, headers=ADMIN):
    response = client.get(ROUTE, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response


def walk(client, first):
    pages = [json.loads(get(client, first).text, parse_float=Decimal)]
    while pages[-1]["nextCursor"]:
        pages.append(
            json.loads(get(client, {"cursor": pages[-1]["nextCursor"]}).text, parse_float=Decimal)
        )
        assert len(pages) < 50
    return pages


def test_walk_visits_every_entry_once_in_time_order(sim_http):
    pages = walk(sim_http, {**WINDOW, "pageSize": "500"})
    entries = [entry for page in pages for entry in page["data"]]
    assert len(pages) > 2
    assert all(len(page["data"]) == 500 for page in pages[:-1])
    identities = [json.dumps(e, sort_keys=True, default=str) for e in entries]
    assert len(set(identities)) == len(identities)
    stamps = [e["timestamp"] for e in entries]
    assert stamps == sorted(stamps)
    assert stamps[0] >= "2026-11-20T00:00:00.000Z"
    assert stamps[-1] <= "2026-11-22T14:03:00.000Z"  # nothing after the simulator's now
    cursors = [page["nextCursor"] for page in pages[:-1]]
    assert len(set(cursors)) == len(cursors)


def test_ledger_debits_add_up_to_the_usage_analytics(sim_http):
    entries = [e for page in walk(sim_http, WINDOW) for e in page["data"]]
    usage = json.loads(
        sim_http.get("/billing/usage-analytics", params={"lookback": "3d"}, headers=ADMIN).text,
        parse_float=Decimal,
    )
    for currency in ("USD", "DIEM"):
        debits = -sum(e["amount"] for e in entries if e["currency"] == currency)
        assert debits == sum(row[currency] for row in usage["byDate"])
    assert all(e["amount"] < 0 for e in entries)


def test_entries_have_the_documented_fields(sim_http):
    entries = json.loads(get(sim_http, {**WINDOW, "pageSize": "100"}).text)["data"]
    assert {tuple(sorted(e)) for e in entries} == {
        tuple(
            sorted(
                [
                    "timestamp",
                    "sku",
                    "units",
                    "pricePerUnitUsd",
                    "amount",
                    "currency",
                    "notes",
                    "inferenceDetails",
                ]
            )
        )
    }
    llm = [e for e in entries if e["sku"].endswith("-mtoken")]
    assert llm
    assert all(e["inferenceDetails"]["promptTokens"] > 0 for e in llm)


def test_currency_filter(sim_http):
    entries = json.loads(get(sim_http, {**WINDOW, "currency": "DIEM"}).text)["data"]
    assert entries
    assert {e["currency"] for e in entries} == {"DIEM"}


@pytest.mark.parametrize(
    "extra",
    [
        {"pageSize": "10"},
        {"currency": "USD"},
        {"startTimestamp": "2026-11-20T00:00:00Z"},
    ],
)
def test_cursor_with_anything_else_is_400(sim_http, extra):
    cursor = json.loads(get(sim_http, {**WINDOW, "pageSize": "10"}).text)["nextCursor"]
    response = sim_http.get(ROUTE, params={"cursor": cursor, **extra}, headers=ADMIN)
    assert response.status_code == 400
    assert response.json()["details"][next(iter(extra))]["_errors"]


@pytest.mark.parametrize(
    "params",
    [
        {"pageSize": "9"},
        {"pageSize": "1001"},
        {"pageSize": "ten"},
        {"currency": "EUR"},
        {"startTimestamp": "yesterday"},
        {"cursor": "not-a-cursor"},
        {"startTimestamp": "2026-11-21T00:00:00Z", "endTimestamp": "2026-11-20T00:00:00Z"},
    ],
)
def test_bad_first_page_parameters_are_400(sim_http, params):
    response = sim_http.get(ROUTE, params=params, headers=ADMIN)
    assert response.status_code == 400
    assert response.json()["error"] == "Invalid request parameters"


def test_cursor_of_another_account_is_refused(sim_http):
    cursor = json.loads(get(sim_http, {**WINDOW, "pageSize": "10"}).text)["nextCursor"]
    other = {"Authorization": "Bearer sim-admin-usd"}
    assert sim_http.get(ROUTE, params={"cursor": cursor}, headers=other).status_code == 400


def test_csv_pages_carry_the_next_cursor_in_a_header(sim_http):
    csv_headers = {**ADMIN, "Accept": "text/csv"}
    first = get(sim_http, {**WINDOW, "pageSize": "10"}, headers=csv_headers)
    assert first.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(first.text)))
    assert len(rows) == 10
    assert rows[0]["timestamp"].startswith("2026-11-20T")
    assert Decimal(rows[0]["amount"]) < 0
    as_json = json.loads(get(sim_http, {**WINDOW, "pageSize": "10"}).text, parse_float=Decimal)
    assert [Decimal(r["amount"]) for r in rows] == [e["amount"] for e in as_json["data"]]
    cursor = first.headers["x-next-cursor"]
    second = get(sim_http, {"cursor": cursor}, headers=csv_headers)
    assert next(iter(csv.DictReader(io.StringIO(second.text)))) != rows[0]
