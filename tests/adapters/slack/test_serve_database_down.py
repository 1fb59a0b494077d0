"""`venice-bot serve` keeps answering while its database is down: a PostgreSQL of the test's own
is stopped under a running serve process and started again.

A workspace this process has read answers from that read (its key and read policy) and from the
cache and Venice; one it has never read is told the database is unavailable; changes (connect,
access) say nothing was changed; /readyz stays 200 with "degraded"; no traceback is logged; and
once the database is back, everything works again without a restart.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from pydantic import SecretStr

from bot.error_cards import STORE_UNAVAILABLE_READING, STORE_UNAVAILABLE_WRITING
from bot.runtime import Runtime
from bot.settings import Settings
from bot.store.workspaces import COMMAND_STATE_SECONDS
from tests.adapters.serve_process import ROOT, ServeProcess, base_env
from tests.adapters.slack.fake_slack import TEAM_ID, FakeSlack
from tests.adapters.slack.served import (
    ADMIN,
    BOT_TOKEN,
    MASTER_KEYS,
    SIGNING_SECRET,
    admin_key,
    message_text,
)
from tests.services import PrivatePostgres
from venice_simulator.server import RunningSimulator

OTHER_TEAM = "T0OTHER"  # connected too, but never asked before the database goes


def seed(database_url: str, *teams: str) -> None:
    """Migrate the database and store a Venice key for each of TEAMS, as an operator would."""
    env = base_env(Path("/nonexistent"), DATABASE_URL=database_url)
    migrated = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "db", "upgrade"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert migrated.returncode == 0, migrated.stderr

    async def store() -> None:
        settings = Settings(DATABASE_URL=database_url, VENICE_BOT_MASTER_KEYS=MASTER_KEYS)
        runtime = Runtime.build(settings)
        try:
            opened = await runtime.open_store()
            for team in teams:
                await opened.store.save_credential(
                    f"slack:{team}", SecretStr(admin_key()), key_type="admin", set_by="test",
                    verified_at=datetime.now(UTC),
                )  # fmt: skip
        finally:
            await runtime.aclose()

    asyncio.run(store())


def readiness(serve: ServeProcess) -> tuple[int, dict]:
    response = httpx.get(f"{serve.url}/readyz", timeout=10)
    return response.status_code, response.json()


def test_serve_answers_from_its_last_reads_while_the_database_is_down(
    tmp_path: Path,
    sim: RunningSimulator,
    fake_slack: FakeSlack,
    private_postgres: PrivatePostgres,
):
    fake_slack.admins.add(ADMIN)
    seed(private_postgres.url, TEAM_ID, OTHER_TEAM)
    env = base_env(
        tmp_path,
        DATABASE_URL=private_postgres.url,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake_slack.api_url,
        VENICE_API_BASE=sim.base_url,
        DIGEST_SCHEDULER="on",
    )
    serve = ServeProcess(env, fake_slack).start()
    try:
        assert "DIEM left today" in message_text(serve.command("balance").ack)
        read_at = time.monotonic()
        assert readiness(serve)[1]["status"] == "ready"
        serve.command("connect")  # an admin opens the connect dialog ...
        [opened] = fake_slack.calls_to("views.open")
        # Past the 5 s a process reuses a read of a workspace anyway: the next command would
        # read the database again.
        time.sleep(max(0.0, read_at + COMMAND_STATE_SECONDS + 0.6 - time.monotonic()))

        private_postgres.stop()

        # The workspace this process read: answered, from the cache and from Venice.
        assert "DIEM left today" in message_text(serve.command("balance").ack)
        usage = serve.command("usage 30d", response_id="RUSAGE")
        if "Fetching" in message_text(usage.ack):  # not cached: Venice is asked
            [answered] = fake_slack.wait_for("response_url", timeout=15)
            usage_text = message_text(answered.params)
        else:
            usage_text = message_text(usage.ack)
        assert "30 days" in usage_text
        assert "help" in message_text(serve.command("help").ack)
        # A workspace it never read: told plainly.
        other = serve.command("balance", team=OTHER_TEAM).ack
        assert message_text(other).count(STORE_UNAVAILABLE_READING) >= 1
        # Changes cannot be made.
        access = serve.command("access admins").ack
        assert STORE_UNAVAILABLE_WRITING in message_text(access)
        # ... and submits a key once the database has gone: refused inline, nothing stored.
        submitted = serve.submit_key(admin_key(), opened.params["view"]).json()
        assert submitted["response_action"] == "errors"
        assert STORE_UNAVAILABLE_WRITING in json.dumps(submitted["errors"])
        assert STORE_UNAVAILABLE_WRITING in message_text(serve.command("connect").ack)
        # Still in the load balancer, saying what is wrong.
        status, body = readiness(serve)
        assert status == 200
        assert body["status"] == "degraded"
        assert body["database"] == {"state": "unreachable"}
        assert body["digests"] == {"state": "paused"}

        private_postgres.start()

        # Back without a restart: the database is tried again within 5 s of the last failure.
        back = time.monotonic()
        while "DIEM left today" not in message_text(serve.command("balance", team=OTHER_TEAM).ack):
            assert time.monotonic() - back < 10, "the database was not used again"
            time.sleep(0.5)
        assert readiness(serve)[1]["status"] == "ready"
        code, _ = serve.stop(signal.SIGTERM)
    finally:
        serve.kill()
    log = serve.log
    assert code == 0, log
    assert "Traceback" not in log
    # Said once (a minute), not once a command.
    assert log.count("the database does not answer") <= 2
    assert "commands answer from this process's last read" in log
