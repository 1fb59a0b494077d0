"""App Home: opening the bot's Home tab publishes the workspace's dashboard (views.publish)."""

from __future__ import annotations

import time
from typing import Any

from tests.adapters.slack.fake_slack import FakeSlack
from tests.adapters.slack.served import ADMIN, MEMBER, ServedBot, action_ids, admin_key, seed_key


def open_home(bot: ServedBot, user: str, tab: str = "home") -> None:
    event = {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": tab,
             "event_ts": "1.0"}  # fmt: skip
    assert bot.event(event).status_code == 200


def published(fake: FakeSlack, user: str) -> dict[str, Any]:
    [call] = fake.wait_for("views.publish")
    assert call.params["user_id"] == user
    view: dict[str, Any] = call.params["view"]
    assert view["type"] == "home"
    assert len(view["blocks"]) <= 100
    return view


def texts(view: dict[str, Any]) -> str:
    import json

    return json.dumps(view["blocks"], ensure_ascii=False)


def test_a_connected_workspace_shows_the_dashboard_and_admin_buttons(
    served: ServedBot, fake_slack: FakeSlack
):
    fake_slack.admins.add(ADMIN)
    seed_key(served.settings, admin_key())
    open_home(served, ADMIN)
    view = published(fake_slack, ADMIN)
    shown = texts(view)
    for expected in ("Venice balance", "allocation used", "7 days", "GLM 5.1", "Production API",
                     "Daily digest"):  # fmt: skip
        assert expected in shown, expected
    # The alert rules and their states (none yet: how to add one).
    assert "No alerts in this workspace yet" in shown
    # The one burn and runway of `balance` and the digest: whole UTC days, named.
    assert "/day over the last 7 full UTC days" in shown
    assert set(action_ids(view)) == {"venice_home_connect", "venice_home_confirmed"}
    # Disconnect asks the command's own question, and a yes runs that command.
    [removal] = [b for block in view["blocks"] for b in block.get("elements", [])
                 if b.get("action_id") == "venice_home_confirmed"]  # fmt: skip
    assert removal["value"] == "disconnect"
    assert removal["confirm"]["title"]["text"] == "Delete this workspace's Venice key?"
    assert "revoke it there if it leaked" in removal["confirm"]["text"]["text"]
    assert removal["confirm"]["confirm"]["text"] == "Delete the key"


def test_a_member_sees_the_dashboard_without_admin_buttons(
    served: ServedBot, fake_slack: FakeSlack
):
    seed_key(served.settings, admin_key())
    open_home(served, MEMBER)
    view = published(fake_slack, MEMBER)
    assert "Venice balance" in texts(view)
    assert action_ids(view) == []


def test_a_workspace_without_a_key_explains_connect(served: ServedBot, fake_slack: FakeSlack):
    open_home(served, MEMBER)
    view = published(fake_slack, MEMBER)
    assert "No Venice key is connected" in texts(view)
    assert "/venice connect" in texts(view)


def test_home_connect_button_opens_the_modal(served: ServedBot, fake_slack: FakeSlack):
    fake_slack.admins.add(ADMIN)
    open_home(served, ADMIN)
    assert action_ids(published(fake_slack, ADMIN)) == ["venice_home_connect"]
    served.click("venice_home_connect", "")
    [opened] = fake_slack.wait_for("views.open")
    assert opened.params["view"]["callback_id"] == "venice_connect"


def test_home_disconnect_removes_the_key_and_publishes_again(
    served: ServedBot, fake_slack: FakeSlack
):
    fake_slack.admins.add(ADMIN)
    seed_key(served.settings, admin_key())
    served.click("venice_home_confirmed", "disconnect")
    [call] = fake_slack.wait_for("views.publish")
    shown = texts(call.params["view"])
    assert "Venice key disconnected" in shown
    assert "No Venice key is connected" in shown


def test_home_confirmed_by_someone_no_longer_an_admin_removes_nothing(
    served: ServedBot, fake_slack: FakeSlack
):
    seed_key(served.settings, admin_key())
    served.click("venice_home_confirmed", "disconnect", user=MEMBER)
    [call] = fake_slack.wait_for("views.publish")
    shown = texts(call.params["view"])
    assert "Venice key disconnected" not in shown
    assert "Venice balance" in shown  # the key is still there


def test_the_messages_tab_publishes_nothing(served: ServedBot, fake_slack: FakeSlack):
    open_home(served, MEMBER, tab="messages")
    open_home(served, MEMBER)
    fake_slack.wait_for("views.publish")
    time.sleep(0.3)
    assert len(fake_slack.calls_to("views.publish")) == 1
