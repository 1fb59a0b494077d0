"""`venice-bot alert add|list|remove|check` as an operator runs them: real processes, a real
SQLite file, the simulator as Venice, the console as the platform that is posted to."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.secrets import generate_master_key
from tests.adapters.cli.test_keys import run, simulator  # noqa: F401 (the simulator fixture)
from venice_simulator.server import RunningSimulator


@pytest.fixture
def env(tmp_path: Path, simulator: RunningSimulator) -> dict[str, str]:  # noqa: F811
    return {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        "VENICE_API_BASE": simulator.base_url,
        "VENICE_BOT_MASTER_KEYS": generate_master_key("k1").encoded(),
    }


def test_add_prints_the_id_list_shows_the_rules_remove_deletes(env: dict[str, str]):
    first = run("alert", "add", "slack:T0123", "--channel", "C0456", "usd", "below", "$25", env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout == "1\n"  # the id alone: `ID=$(venice-bot alert add ...)`
    assert "the USD balance below $25.00" in first.stderr
    second = run("alert", "add", "slack:T0123", "--channel", "C0456", "key-cap 90", env=env)
    assert second.stdout == "2\n"
    duplicate = run("alert", "add", "slack:T0123", "--channel", "C0456", "usd below 25", env=env)
    assert duplicate.returncode == 1
    assert "already has the alert `usd below 25` (id 1)" in duplicate.stderr

    listed = run("alert", "list", env=env)
    assert listed.returncode == 0, listed.stderr
    header, *rows = listed.stdout.strip().splitlines()
    assert header.split()[:5] == ["WORKSPACE", "ID", "CHANNEL", "RULE", "STATE"]
    assert [row.split()[:2] for row in rows] == [["slack:T0123", "1"], ["slack:T0123", "2"]]
    assert "usd below 25" in rows[0]
    assert "armed" in rows[0]
    assert run("alert", "list", "discord:9", env=env).stdout.startswith("No alert rules yet.")

    removed = run("alert", "remove", "slack:T0123", "1", env=env)
    assert (removed.returncode, removed.stdout) == (0, "Removed alert 1 of slack:T0123.\n")
    again = run("alert", "remove", "slack:T0123", "1", env=env)
    assert again.returncode == 1
    assert "has no alert 1" in again.stderr


@pytest.mark.parametrize(
    ("rule", "said"),
    [
        ("usd abov 25", "not `abov`"),
        ("runway below 0d", "from 1 to 90"),
        ("diem used 180%", "from 1% to 100%"),
        ("sparkle", "Did you mean `spike`?"),
    ],
)
def test_add_refuses_a_rule_it_cannot_read_with_exit_2(env: dict[str, str], rule: str, said: str):
    refused = run("alert", "add", "slack:T0123", "--channel", "C1", *rule.split(), env=env)
    assert refused.returncode == 2
    assert refused.stdout == ""
    assert said in refused.stderr
    assert "For example: `venice-bot alert add" in refused.stderr


def test_check_posts_what_crossed_once_then_nothing(env: dict[str, str]):
    stored = run("keys", "set", "console:local", env=env, stdin="sim-admin-team-" + "0042")
    assert stored.returncode == 0, stored.stderr
    run("alert", "add", "console:local", "--channel", "costs", "usd below 1000000", env=env)
    run("alert", "add", "console:local", "--channel", "costs", "funds-out", env=env)
    posted = run("alert", "check", env=env)
    assert posted.returncode == 0, posted.stderr
    assert "── console:local #costs ──" in posted.stdout  # the console poster's alert
    assert "USD balance below $1,000,000.00" in posted.stdout
    assert "fired console:local #costs alert 1 `usd below 1000000`" in posted.stdout
    assert posted.stdout.rstrip().endswith("2 rules in 1 workspace: 1 fired.")
    again = run("alert", "check", env=env)
    assert again.stdout.rstrip().endswith("2 rules in 1 workspace: nothing crossed.")
    listed = run("alert", "list", env=env).stdout
    assert "firing" in listed
    assert "$" in listed  # the USD reading, as money


def test_check_refuses_an_unreadable_instant(env: dict[str, str]):
    refused = run("alert", "check", "--now", "tomorrow-ish", env=env)
    assert refused.returncode == 2
    assert "--now takes an ISO-8601 instant" in refused.stderr
