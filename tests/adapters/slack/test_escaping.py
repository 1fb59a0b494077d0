"""Names from Venice cannot ping anyone: a key described `<!channel> <@U123>` reaches Slack
escaped, end to end (the simulator answers with that description, the served bot replies)."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.adapters.slack.fake_slack import RESPONSE_METHOD, FakeSlack
from tests.adapters.slack.served import ADMIN, ServedBot, admin_key, seed_key
from venice_simulator.server import RunningSimulator

HOSTILE_KEY = "<!channel> <@U123> & *friends*"
HOSTILE_MODEL = "<https://evil.example|click> <!here>"


def hostile_usage(sim: RunningSimulator) -> dict:
    """A real usage-analytics answer of the simulator with hostile key and model names."""
    response = httpx.get(
        f"{sim.base_url}/billing/usage-analytics",
        params={"lookback": "7d"},
        headers={"Authorization": "Bearer sim-admin"},
    )
    response.raise_for_status()
    text = response.text
    body = json.loads(text)
    key_name = body["byKey"][0]["description"]
    model_name = body["byModel"][0]["modelName"]
    # Every place the names appear (rows, daily series, top lists) gets the hostile one.
    text = text.replace(json.dumps(key_name), json.dumps(HOSTILE_KEY))
    text = text.replace(json.dumps(model_name), json.dumps(HOSTILE_MODEL))
    hostile: dict = json.loads(text)
    return hostile


@pytest.mark.parametrize(
    ("command", "escaped"),
    [
        ("top-keys 7d 5", ("&lt;!channel&gt;", "&lt;@U123&gt;", "&amp;")),
        ("top-models 7d 5", ("&lt;https://evil.example|click&gt;", "&lt;!here&gt;")),
        ("usage 7d", ("&lt;!here&gt;",)),
    ],
)
def test_hostile_key_and_model_names_are_escaped_in_the_reply(
    served: ServedBot, fake_slack: FakeSlack, sim: RunningSimulator, command: str, escaped
):
    fake_slack.admins.add(ADMIN)
    seed_key(served.settings, admin_key())
    # The next billing call is answered with the hostile body (status 200, see faults.py).
    sim.simulator.faults.fail_next(200, body=hostile_usage(sim))
    reply = served.command(command).ack
    if "Fetching" in json.dumps(reply):
        reply = fake_slack.wait_for(RESPONSE_METHOD)[0].params
    shown = json.dumps(reply, ensure_ascii=False)
    for inert in escaped:
        assert inert in shown
    for raw in ("<!channel>", "<@U123>", "<!here>", "<https://evil"):
        assert raw not in shown
