"""Golden Slack messages for every command's reply on fixed data, as `/venice` would post them.

Regenerate after an intended change with `UPDATE_GOLDEN=1 pytest tests/adapters/slack` and review
the diff. A missing golden file fails: it is never written silently.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from adapters.slack.messages import CONTROLS_BLOCK_ID, reply_message
from tests.adapters.slack.test_render_cases import CASES, HOSTILE, ask
from tests.adapters.slack.test_render_limits import assert_within_limits

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "slack"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def dump(message: dict[str, Any]) -> str:
    return json.dumps(message, indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize(("name", "text", "make", "outcome"), CASES, ids=[c[0] for c in CASES])
async def test_golden(name, text, make, outcome):
    result = await ask(text, make)
    assert result.outcome == outcome
    message = reply_message(result, text, private=True)
    assert_within_limits(message)
    rendered = dump(message)
    path = GOLDEN / f"{name}.json"
    if UPDATE:
        path.write_text(rendered, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run with UPDATE_GOLDEN=1 and review it"
    assert rendered == path.read_text(encoding="utf-8")


def test_every_golden_file_has_a_case():
    names = {case[0] for case in CASES}
    assert {path.stem for path in GOLDEN.glob("*.json")} == names


def blocks_text(message: dict[str, Any]) -> str:
    return json.dumps(message["blocks"], ensure_ascii=False)


async def test_stale_footer_says_since_when_and_why():
    message = reply_message(
        await ask("usage 30d", CASES_BY_NAME["usage_30d_stale"]), "", private=True
    )
    context = [block for block in message["blocks"] if block["type"] == "context"][-1]
    texts = [element["text"] for element in context["elements"]]
    # 20 hours before 14:01 UTC is the day before: the date is given.
    assert texts[0] == ":warning: Stale: data from 2026-11-21 18:01 UTC — Venice is not answering"
    assert texts[1].startswith("As of 2026-11-22 14:01 UTC")


async def test_fifty_keys_are_all_listed_then_the_rest_counted():
    result = await ask("top-keys 30d 50", CASES_BY_NAME["top_keys_50"])
    message = reply_message(result, "top-keys 30d 50", private=True)
    text = blocks_text(message)
    for rank in (1, 25, 50):
        assert f"\\n{rank:>2}  service-" in text
    assert "… and 10 more (" in text
    assert len(message["blocks"]) <= 50
    assert message["blocks"][-1]["block_id"] == CONTROLS_BLOCK_ID


async def test_hostile_key_name_is_shown_whole_but_inert():
    message = reply_message(
        await ask("top-keys 30d 5", CASES_BY_NAME["top_keys_hostile"]), "", private=True
    )
    text = blocks_text(message)
    assert "&lt;!channel&gt; &lt;@U123&gt; &amp;lt; *bold*" in text
    assert HOSTILE not in text


CASES_BY_NAME = {case[0]: case[2] for case in CASES}
