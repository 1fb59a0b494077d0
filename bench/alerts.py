"""Benchmark: one alert sweep of WORKSPACES workspaces with 3 rules each (`venice-bot alert check`).

Prints, in one run, for 10,000 workspaces (`--workspaces N` for a quick run):
- the rules and workspaces swept, and the alerts posted, counted at the fake Slack Web API
  (chat.postMessage into the alert channels) and as the sweep reported them;
- Venice requests per workspace, as the simulator saw them (goal: at most 2);
- wall seconds of the whole `venice-bot alert check` process, start-up included (goal: under
  2 minutes on 2 cores);
- CPU milliseconds per workspace in the bot process only (goal: under 3 ms), start-up included;
- the bot process's peak memory (max RSS).

Set-up: a temporary SQLite database (`--database postgresql`: a temporary database on the
PostgreSQL server of VENICE_BOT_TEST_DATABASE_URL) under a generated master key; N workspaces
`slack:TA00001..`, each with its own stored Venice admin key (distinct keys, so no two share a
cache entry or a Venice answer) over three simulator accounts (`sim-admin-team-...`,
`sim-admin-usd-...`, `sim-admin-draining-...`), and three rules in its own channel (RULES: each
needs the balance or the usage analytics, so two Venice calls a workspace at most; on each
account some of them are crossed, so the sweep posts). The Venice simulator (50 ms added to
every request; its clock pinned to AT, as is the sweep's) and the fake Slack API run in
processes of their own, so their CPU is not counted as the bot's; the sweep is `venice-bot alert
check --now AT` in a fresh process of its own (Slack in single-workspace mode), whose CPU and
memory are its own rusage (os.wait4). The machine's cores are shared by all three. Run with
`make bench-alerts`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # `tests.` (the fake Slack) when run as a script

import httpx  # noqa: E402
from pydantic import SecretStr  # noqa: E402

from bot.secrets import generate_master_key  # noqa: E402
from bot.settings import Settings  # noqa: E402
from tests.services import free_port, postgres_database  # noqa: E402

WORKSPACES = 10_000
LATENCY = 0.05  # seconds the simulator adds to every Venice request
CROSSING = 0.1  # the share of workspaces whose rules are crossed (`--crossing`)
# The simulator's accounts with usage: the team (DIEM and USD, ~$1,800, ~70 days of runway),
# USD only (~$80, ~11 days) and draining (~$80 falling all day, less than a day of runway).
# Each workspace's 3 rules need the balance and the usage analytics, nothing else.
# Crossed: `usd below 100` on usd and draining, `runway below 7d` on draining, `spend above 150`
# on team and draining (1, 1 and 3 alerts).
CROSSING_ACCOUNTS = ("sim-admin-team", "sim-admin-usd", "sim-admin-draining")
CROSSING_RULES = ("usd below 100", "runway below 7d", "spend above 150")
# Crossed on neither team nor usd.
QUIET_ACCOUNTS = ("sim-admin-team", "sim-admin-usd")
QUIET_RULES = ("usd below 10", "runway below 3d", "spend above 1000")
BOT_TOKEN = "xoxb-" + "0000-" + "bench-" + secrets.token_hex(6)
CHANNEL_PREFIX = "CALERT"
GOAL_WALL_S = 120.0
GOAL_CPU_MS = 3.0
GOAL_CALLS = 2.0
COUNTS_METHOD = "bench.counts"  # a method only this bench's fake Slack answers
POSTGRES_URL = os.environ.get(
    "VENICE_BOT_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
SUMMARY = re.compile(r"^Alerts at .*?: (?P<said>.*)\.$")


def workspace_id(number: int) -> str:
    return f"slack:TA{number:05d}"


def channel_id(number: int) -> str:
    return f"{CHANNEL_PREFIX}{number:05d}"


def sweep_instant() -> datetime:
    """The instant swept (and the simulator's clock): 18:00 UTC yesterday, so the day's spend
    is mostly in and the figures are the same on every run of the same day."""
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    return datetime(yesterday.year, yesterday.month, yesterday.day, 18, tzinfo=UTC)


# -- the fake Slack Web API (its own process: `--fake-slack`) ----------------------------------


def serve_fake_slack() -> None:
    """The tests' fake Slack, plus COUNTS_METHOD: how many alerts reached it."""
    from tests.adapters.slack.fake_slack import Call, FakeSlack

    fake = FakeSlack()

    def counts(_: Call) -> dict[str, Any]:
        posts = [
            call
            for call in fake.calls
            if call.method == "chat.postMessage"
            and str(call.params.get("channel", "")).startswith(CHANNEL_PREFIX)
        ]
        return {
            "ok": True,
            "posts": len(posts),
            "channels": len({call.params.get("channel") for call in posts}),
            "other_calls": len(fake.calls) - len(posts),
        }

    fake.on(COUNTS_METHOD, counts)
    fake.start()
    print(fake.api_url, flush=True)
    sys.stdin.read()  # until the bench closes our stdin (or dies)
    fake.stop()


# -- the set-up --------------------------------------------------------------------------------


def workspace_rules(number: int, crossing: float) -> tuple[str, tuple[str, ...]]:
    """The simulator account and the rules of workspace NUMBER: CROSSING of the workspaces (every
    n-th) have CROSSING_RULES over the three accounts (1, 1 and 3 posts), the others
    QUIET_RULES over team and usd (nothing crosses)."""
    every = max(1, round(1 / crossing)) if crossing > 0 else 0
    if every and number % every == 0:
        return CROSSING_ACCOUNTS[(number // every) % len(CROSSING_ACCOUNTS)], CROSSING_RULES
    return QUIET_ACCOUNTS[number % len(QUIET_ACCOUNTS)], QUIET_RULES


async def seed(settings: Settings, count: int, crossing: float, at: datetime) -> None:
    """COUNT workspaces, each with its own sealed key and its rules (`workspace_rules`) in its
    own channel. The first through the store, as `keys set` and `alert add` write them; the
    others as the same rows in bulk (one by one would take minutes)."""
    from sqlalchemy import insert

    from bot.alerts.rules import parse_rule
    from bot.runtime import Runtime
    from bot.startup import open_database
    from bot.store.alerts import AlertStore
    from bot.store.credentials import fingerprint_of, venice_key_context
    from bot.store.tables import alert_rule_ids, alert_rules, venice_credentials, workspaces

    await (await open_database(settings, upgrade=True)).aclose()
    runtime = Runtime.build(settings)

    def key_of(number: int) -> str:
        account, _ = workspace_rules(number, crossing)
        return f"{account}-bench-{number:05d}-{secrets.token_hex(4)}"

    try:
        opened = await runtime.open_store()
        alerts = AlertStore(opened.database)
        first = workspace_id(1)
        await opened.store.save_credential(
            first, SecretStr(key_of(1)), key_type="admin", set_by="bench", verified_at=at
        )
        for text in workspace_rules(1, crossing)[1]:
            rule = parse_rule(tuple(text.split()))
            await alerts.add(first, channel_id(1), rule, by="bench", now=at)
        box = opened.store.box
        rows: dict[str, list[dict[str, Any]]] = {"w": [], "k": [], "r": [], "i": []}
        for number in range(2, count + 1):
            workspace = workspace_id(number)
            platform, _, external = workspace.partition(":")
            rows["w"].append(
                {
                    "id": workspace,
                    "platform": platform,
                    "external_id": external,
                    "read_policy": "everyone",
                    "created_at": at,
                    "updated_at": at,
                }
            )
            key = key_of(number)
            rows["k"].append(
                {
                    "workspace_id": workspace,
                    "ciphertext": box.seal(key, context=venice_key_context(workspace)),
                    "key_id": box.keyring.newest.id,
                    "fingerprint": fingerprint_of(key),
                    "key_type": "admin",
                    "set_by": "bench",
                    "set_at": at,
                    "last_verified_at": at,
                }
            )
            texts = workspace_rules(number, crossing)[1]
            for rule_id, text in enumerate(texts, start=1):
                rule = parse_rule(tuple(text.split()))
                threshold = None if rule.threshold is None else f"{rule.threshold:f}"
                rows["r"].append(
                    {
                        "workspace_id": workspace,
                        "id": rule_id,
                        "channel_id": channel_id(number),
                        "rule_text": rule.text,
                        "kind": rule.kind,
                        "threshold": threshold,
                        "state": "armed",
                        "crossings": 0,
                        "reminders": 0,
                        "created_by": "bench",
                        "created_at": at,
                        "updated_at": at,
                        "version": 1,
                    }
                )
            rows["i"].append({"workspace_id": workspace, "last_id": len(texts)})
        async with opened.database.transaction() as connection:
            for table, name in (
                (workspaces, "w"),
                (venice_credentials, "k"),
                (alert_rules, "r"),
                (alert_rule_ids, "i"),
            ):
                if rows[name]:
                    await connection.execute(insert(table), rows[name])
    finally:
        await runtime.aclose()  # fmt: skip


@contextlib.contextmanager
def temporary_database(postgres: bool) -> Iterator[str]:
    """The DATABASE_URL of a new, empty database: a SQLite file, or a PostgreSQL database
    created on POSTGRES_URL's server and dropped afterwards."""
    if not postgres:
        with tempfile.TemporaryDirectory(prefix="bench-alerts-") as folder:
            yield f"sqlite+aiosqlite:///{Path(folder) / 'bot.db'}"
        return
    with postgres_database(POSTGRES_URL, "bench_alerts") as url:
        yield url


def start_simulator(env: dict[str, str], at: datetime) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 (the bot's own CLI)
        [sys.executable, "-m", "adapters.cli", "simulate", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    root = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise SystemExit(f"the simulator exited with {process.returncode}")
        try:
            httpx.post(f"{root}/_sim/faults", json={"latency": LATENCY}).raise_for_status()
            break
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise SystemExit("the simulator did not start") from None
            time.sleep(0.1)
    httpx.post(f"{root}/_sim/clock", json={"now": at.isoformat()}).raise_for_status()
    return process, root


def start_fake_slack(env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(  # noqa: S603 (this very script)
        [sys.executable, str(Path(__file__)), "--fake-slack"],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    api_url = process.stdout.readline().strip()
    if not api_url.startswith("http"):
        raise SystemExit("the fake Slack API did not start")
    return process, api_url


# -- the sweep (its own process: `venice-bot alert check`) -------------------------------------


@dataclass(frozen=True)
class Swept:
    """What the bot process did and used."""

    returncode: int
    wall: float
    cpu: float  # user + system seconds
    max_rss_mb: float
    said: str  # the summary `alert check` printed
    trouble: list[str]  # its first lines that are not posts


def run_sweep(env: dict[str, str], at: datetime, profile: str | None) -> Swept:
    """`venice-bot alert check --now AT` in a process of its own, measured by its rusage."""
    profiler = ["-m", "cProfile", "-o", profile] if profile else []
    command = [sys.executable, *profiler, "-m", "adapters.cli", "alert", "check"]
    with tempfile.TemporaryFile("w+") as output:
        started = time.perf_counter()
        process = subprocess.Popen(  # noqa: S603 (the bot's own CLI)
            [*command, "--now", at.isoformat()], env=env, stdout=output, stderr=subprocess.STDOUT
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped: Popen must not wait
        output.seek(0)
        lines = output.read().splitlines()
    summary = next((m["said"] for line in lines if (m := SUMMARY.match(line))), "no summary")
    trouble = [
        line
        for line in lines
        if not line.startswith(("fired ", "reminded ", "recovered ", "Alerts at "))
    ]
    return Swept(
        returncode=process.returncode,
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        max_rss_mb=usage.ru_maxrss / 1024,  # KiB on Linux
        said=summary,
        trouble=trouble[:5],
    )


# -- the bench ---------------------------------------------------------------------------------


def main(count: int, crossing: float, postgres: bool, profile: str | None) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VENICE_", "SLACK_", "LOG_"))}
    for name in ("REDIS_URL", "DISCORD_TOKEN", "DATABASE_URL"):
        env.pop(name, None)  # the in-process cache; Slack only; the temporary database
    env |= {"PYTHONPATH": str(HERE.parent), "LOG_LEVEL": "WARNING"}
    at = sweep_instant()
    simulator, simulator_root = start_simulator(env, at)
    fake, api_url = start_fake_slack(env)
    stack = contextlib.ExitStack()
    try:
        database_url = stack.enter_context(temporary_database(postgres))
        env |= {
            "DATABASE_URL": database_url,
            "VENICE_BOT_MASTER_KEYS": generate_master_key("bench").encoded(),
            "VENICE_API_BASE": f"{simulator_root}/api/v1",
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_API_URL": api_url,
            "DIGEST_SCHEDULER": "off",
        }
        seeding = time.perf_counter()
        asyncio.run(seed(Settings.model_validate(env), count, crossing, at))
        seeded = time.perf_counter() - seeding
        httpx.delete(f"{simulator_root}/_sim/calls").raise_for_status()
        print(
            f"venice-bot alert benchmark: {count} workspaces x 3 rules, {crossing:.0%} of the "
            f"workspaces crossed ({', '.join(CROSSING_RULES)} over team, usd, draining), the "
            f"others not ({', '.join(QUIET_RULES)} over team, usd); one `alert check` at "
            f"{at:%Y-%m-%d %H:%M} UTC; {count} distinct Venice keys;"
            f" Venice simulator +{LATENCY * 1000:g} ms per request; fake Slack Web API; each in "
            f"its own process; {'PostgreSQL' if postgres else 'SQLite'}; {os.cpu_count()} CPUs; "
            f"Python {sys.version.split()[0]} (set-up took {seeded:.0f} s)"
        )
        helpers_before = cpu_seconds(simulator.pid) + cpu_seconds(fake.pid)
        swept = run_sweep(env, at, profile)
        helpers = cpu_seconds(simulator.pid) + cpu_seconds(fake.pid) - helpers_before
        counts = httpx.post(api_url + COUNTS_METHOD).json()
        calls = httpx.get(f"{simulator_root}/_sim/calls").json()
    finally:
        assert fake.stdin is not None
        fake.stdin.close()
        fake.wait(timeout=30)
        simulator.terminate()
        simulator.wait(timeout=30)
        stack.close()
    report(count, swept, counts, calls, helpers)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process PID so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def report(
    count: int, swept: Swept, counts: dict[str, Any], calls: list[dict[str, Any]], helpers: float
) -> None:
    print(f"  the sweep said: {swept.said} (exit {swept.returncode})")
    for line in swept.trouble:
        print(f"    {line}")
    print(
        f"  posted, as the fake Slack saw it: {counts['posts']} alerts in {counts['channels']} "
        f"channels; other Slack calls {counts['other_calls']}"
    )
    paths: dict[str, int] = {}
    for call in calls:
        paths[call["path"]] = paths.get(call["path"], 0) + 1
    per_workspace = len(calls) / max(count, 1)
    verdict = "met" if per_workspace <= GOAL_CALLS else "NOT met"
    said = ", ".join(f"{path} {n}" for path, n in sorted(paths.items()))
    print(
        f"  Venice requests: {len(calls)} ({said}), {per_workspace:.2f} per workspace "
        f"(goal <= {GOAL_CALLS:g}: {verdict})"
    )
    verdict = "met" if swept.returncode == 0 and swept.wall < GOAL_WALL_S else "NOT met"
    print(
        f"  wall time of `alert check`, start-up included: {swept.wall:.1f} s "
        f"(goal < {GOAL_WALL_S:.0f} s: {verdict})"
    )
    per_workspace_ms = swept.cpu * 1000 / max(count, 1)
    verdict = "met" if per_workspace_ms < GOAL_CPU_MS else "NOT met"
    print(
        f"  CPU in the bot process: {swept.cpu:.1f} s, {per_workspace_ms:.2f} ms per workspace "
        f"(goal < {GOAL_CPU_MS:g} ms: {verdict})"
    )
    print(f"  peak memory of the bot process: {swept.max_rss_mb:.0f} MB max RSS")
    print(f"  CPU of the simulator and the fake Slack meanwhile: {helpers:.1f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspaces", type=int, default=WORKSPACES, metavar="N")
    parser.add_argument(
        "--crossing",
        type=float,
        default=CROSSING,
        metavar="SHARE",
        help=f"the share of workspaces whose rules are crossed (0 to 1; default {CROSSING})",
    )
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="postgresql: a temporary database on VENICE_BOT_TEST_DATABASE_URL's server",
    )
    parser.add_argument(
        "--profile", metavar="FILE", help="cProfile the bot process into FILE (slows it down)"
    )
    parser.add_argument("--fake-slack", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fake_slack:
        serve_fake_slack()
    else:
        main(args.workspaces, args.crossing, args.database == "postgresql", args.profile)
