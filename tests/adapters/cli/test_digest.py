"""`venice-bot digest set|list|remove|run-due` as an operator runs them: real processes, a real
SQLite file, the simulator as Venice, the console as the platform that is posted to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.cli.posting import parse_instant
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


def test_set_list_remove_and_their_errors(env: dict[str, str]):
    scheduled = run(
        "digest", "set", "slack:T0123", "--channel", "C0456", "--at", "9:00",
        "--tz", "europe/madrid", "--days", "mon-fri", env=env,
    )  # fmt: skip
    assert scheduled.returncode == 0, scheduled.stderr
    line = scheduled.stdout.strip()
    assert line.startswith(
        "Scheduled the daily digest of slack:T0123 in C0456: 09:00 Europe/Madrid, Mon–Fri; "
        "next run "
    )
    assert line.endswith(" UTC).")
    other = run("digest", "set", "discord:42", "--channel", "77", "--at", "18:30", "--tz", "UTC",
                "--skip-empty", env=env)  # fmt: skip
    assert other.returncode == 0, other.stderr

    listed = run("digest", "list", env=env)
    assert listed.returncode == 0, listed.stderr
    header, *rows = listed.stdout.strip().splitlines()
    assert header.split() == ["WORKSPACE", "CHANNEL", "TIME", "ZONE", "DAYS", "NEXT", "RUN",
                              "(UTC)", "STATE"]  # fmt: skip
    assert [row.split()[:5] for row in rows] == [
        ["discord:42", "77", "18:30", "UTC", "daily"],
        ["slack:T0123", "C0456", "09:00", "Europe/Madrid", "mon-fri"],
    ]
    assert rows[0].endswith("on, skip-empty")

    for bad, said in [
        (("--at", "25:00", "--tz", "UTC"), "is not a time of day"),
        (("--at", "09:00", "--tz", "Mars/Olympus"), "is not a time zone"),
        (("--at", "09:00", "--tz", "UTC", "--days", "someday"), "is not a list of weekdays"),
    ]:
        refused = run("digest", "set", "slack:T0123", "--channel", "C1", *bad, env=env)
        assert refused.returncode == 2
        assert said in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1
    wrong_workspace = run("digest", "set", "nonsense", "--channel", "C1", "--at", "9",
                          "--tz", "UTC", env=env)  # fmt: skip
    assert wrong_workspace.returncode == 2

    removed = run("digest", "remove", "slack:T0123", "--channel", "C0456", env=env)
    assert (removed.returncode, removed.stdout.strip()) == (
        0,
        "Removed 1 digest schedule(s) of slack:T0123 in C0456.",
    )
    nothing = run("digest", "remove", "slack:T0123", env=env)
    assert nothing.returncode == 1
    assert "nothing removed" in nothing.stderr
    assert "slack:T0123" not in run("digest", "list", env=env).stdout


def test_run_due_posts_what_is_due_once_and_then_nothing(env: dict[str, str]):
    stored = run("keys", "set", "console:local", env=env, stdin="sim-admin-team-" + "0042")
    assert stored.returncode == 0, stored.stderr
    # Due two minutes from now (UTC), so the simulator has yesterday's usage for it.
    due = (datetime.now(UTC) + timedelta(minutes=2)).replace(second=0, microsecond=0)
    scheduled = run("digest", "set", "console:local", "--channel", "costs",
                    "--at", f"{due:%H:%M}", "--tz", "UTC", env=env)  # fmt: skip
    assert scheduled.returncode == 0, scheduled.stderr

    early = run("digest", "run-due", env=env)
    assert early.returncode == 0, early.stderr
    assert early.stdout.strip().endswith(": nothing was due.")

    at = (due + timedelta(seconds=20)).strftime("%Y-%m-%dT%H:%M:%S")  # naive: taken as UTC
    posted = run("digest", "run-due", "--now", at, env=env)
    assert posted.returncode == 0, posted.stderr
    assert "── console:local #costs ──" in posted.stdout  # the console poster's digest
    summary = posted.stdout.strip().splitlines()[-1]
    assert summary == f"Digests at {at.replace('T', ' ')} UTC: 1 posted."

    again = run("digest", "run-due", "--now", at + "+00:00", env=env)
    assert again.returncode == 0, again.stderr
    assert "#costs" not in again.stdout
    assert again.stdout.strip().endswith(": nothing was due.")


def test_run_due_refuses_an_unreadable_instant(env: dict[str, str]):
    refused = run("digest", "run-due", "--now", "tomorrow-ish", env=env)
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        "venice-bot: --now takes an ISO-8601 instant, like 2026-12-01T08:00:00Z."
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01T08:00:00Z", datetime(2026, 12, 1, 8, tzinfo=UTC)),
        ("2026-12-01T09:00:00+01:00", datetime(2026, 12, 1, 8, tzinfo=UTC)),
        ("2026-12-01T08:00", datetime(2026, 12, 1, 8, tzinfo=UTC)),
        ("2026-12-01", datetime(2026, 12, 1, tzinfo=UTC)),
        ("08:00", None),
        ("", None),
    ],
)
def test_instants_are_read_in_utc_unless_they_say_otherwise(text, expected):
    assert parse_instant(text) == expected
