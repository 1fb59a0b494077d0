"""`ask` against a Venice it was not written against: a plain stdlib server with hand-written
answers in the other shapes NOTES.md reports (descending rows, ISO dates, `VCU`, extra fields,
nulls, a misordered byKey). The figures must be exact sums and the rankings by spend."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

BALANCE = """{"canConsume": true, "consumptionCurrency": "VCU",
 "balances": {"diem": 12.345678, "usd": 0.1, "bundledCredits": 5, "earnedCredits": null},
 "diemEpochAllocation": 40, "newField": {"x": 1}}"""

USAGE = """{"lookback": "7d",
 "byDate": [
  {"date": "2026-11-22T00:00:00.000Z", "USD": 0.1, "DIEM": 0.2},
  {"date": "2026-11-21T00:00:00.000Z", "USD": 0.2, "DIEM": null},
  {"date": "2026-11-19", "USD": 0.7, "DIEM": 1.000001},
  {"date": "2026-11-16T00:00:00.000Z", "USD": 0, "DIEM": 3.3}
 ],
 "byModel": [
  {"modelName": "Small", "unitType": "tokens", "modelType": "LLM", "totalUsd": 0.1,
   "totalDiem": 0.0, "totalUnits": 1000},
  {"modelName": "Big", "unitType": "tokens", "modelType": "LLM", "totalUsd": 0.9,
   "totalDiem": 4.500001, "totalUnits": 50000,
   "breakdown": [{"type": "Output", "usd": 0.6, "diem": 4, "units": 30000},
                 {"type": "Input", "usd": 0.3, "diem": 0.500001, "units": 20000}]},
  {"modelName": "Pictures", "unitType": "images", "modelType": null, "totalUsd": 0,
   "totalDiem": null, "totalUnits": 3}
 ],
 "byModelDaily": [{"date": 1763769600000, "Big": 4.2}], "topModels": ["Big"],
 "byModelDailyUsd": [{"date": 1763769600000, "Big": 0.9}],
 "byKey": [
  {"apiKeyId": "k1", "description": "Cheap key", "totalUsd": 0.01, "totalDiem": 0,
   "totalUnits": 10},
  {"apiKeyId": null, "description": "Web App", "totalUsd": 0.2, "totalDiem": 0.5,
   "totalUnits": 700},
  {"apiKeyId": "k2", "description": "Expensive key", "totalUsd": 0.79, "totalDiem": 4.000001,
   "totalUnits": 50290}
 ],
 "byKeyDaily": [], "topKeyNames": ["Expensive key", "Web App"], "futureThing": true}"""


class ForeignVenice(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.headers.get("Authorization") != "Bearer foreign-admin-key":
            self._send(401, '{"error": "Authentication failed"}')
        elif self.path.startswith("/v1/billing/balance"):
            self._send(200, BALANCE)
        elif self.path.startswith("/v1/billing/usage-analytics"):
            self._send(200, USAGE)
        else:
            self._send(404, '{"error": "Not found"}')

    def _send(self, status: int, body: str) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def foreign_base() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), ForeignVenice)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()
    thread.join()


def ask(base: str, text: str) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VENICE_", "LOG_"))}
    env |= {"VENICE_API_BASE": base, "VENICE_API_KEY": "foreign-admin-key"}
    result = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "ask", text, "--format", "json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    card: dict[str, object] = json.loads(result.stdout)
    return card


def test_usage_totals_are_the_exact_sums_of_the_daily_rows(foreign_base: str):
    data = ask(foreign_base, "usage 7d")["data"]
    assert isinstance(data, dict)
    assert Decimal(data["total"]["usd"]) == Decimal("1.0")
    assert Decimal(data["total"]["diem"]) == Decimal("4.500001")


def test_keys_are_ranked_by_spend_not_by_venice_order(foreign_base: str):
    card = ask(foreign_base, "top-keys 7d")
    rows = [row["cells"] for row in card["tables"][0]["rows"]]  # type: ignore[index]
    names = [
        next(cell for cell in cells if "key" in cell.lower() or "web" in cell.lower())
        for cells in rows
    ]
    assert names[0] == "Expensive key"
    assert "Web App" in names[1]
    assert names[2] == "Cheap key"


def test_models_are_ranked_by_spend_with_their_breakdown(foreign_base: str):
    card = ask(foreign_base, "top-models 7d")
    table = card["tables"][0]  # type: ignore[index]
    top_level = [row["cells"] for row in table["rows"] if row["level"] == 0]
    details = [row["cells"] for row in table["rows"] if row["level"] == 1]
    assert "Big" in top_level[0]
    assert any("Output" in cell for cells in details for cell in cells)


def test_balance_reads_the_old_currency_name_and_extra_fields(foreign_base: str):
    card = ask(foreign_base, "balance")
    text = json.dumps(card)
    assert "VCU" not in text
    assert "12.35 DIEM" in text
    assert "$12" not in text
