"""Benchmark: WORKSPACES daily digests due in the same minute, posted by one `run_due` tick.

Prints, in one run, for 2,000 workspaces (`--workspaces N` for a quick run):
- digests posted, counted at the fake Slack Web API (chat.postMessage into the digest channels,
  and the chart files shared by files.completeUploadExternal), and what the runner reported;
- wall seconds from the tick's start until it returned with every digest posted (goal: within
  5 minutes on 2 cores), and when the last post reached Slack;
- CPU milliseconds per digest including its chart, measured in the bot process only (goal:
  under 25 ms), and one chart rendered alone;
- the bot process's peak memory (max RSS).

Set-up: a temporary SQLite database under a generated master key; N workspaces `slack:TB00001..`
each with its own stored Venice admin key (distinct keys, so no two share a cache entry or a
Venice answer) over two simulator accounts (`sim-admin-team-...` with DIEM and USD,
`sim-admin-usd-...` USD only), and a digest schedule per workspace in five time zones, all due at
the same instant. The Venice simulator (50 ms added to every request) and the fake Slack API run
in processes of their own, so their CPU is not counted as the bot's; the bot runs `run_due` in a
fresh process of its own too (Slack in single-workspace mode, SLACK_BOT_TOKEN). The machine's
cores are shared by all three. Run with `make bench-digest`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # `tests.` (the fake Slack) when run as a script

import httpx  # noqa: E402
from pydantic import SecretStr  # noqa: E402

from bot.schedule import DigestTime  # noqa: E402
from bot.secrets import generate_master_key  # noqa: E402
from bot.settings import Settings  # noqa: E402
from tests.services import free_port, postgres_database  # noqa: E402

WORKSPACES = 2000
LATENCY = 0.05  # seconds the simulator adds to every Venice request
ZONES = ("UTC", "Europe/Madrid", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe")
ACCOUNTS = ("sim-admin-team", "sim-admin-usd")  # the simulator's accounts with usage
BOT_TOKEN = "xoxb-" + "0000-" + "bench-" + secrets.token_hex(6)
CHANNEL_PREFIX = "CDIGEST"
GOAL_CPU_MS = 25.0
GOAL_WALL_S = 300.0
CHART_RENDERS = 20
COUNTS_METHOD = "bench.counts"  # a method only this bench's fake Slack answers
POSTGRES_URL = os.environ.get(
    "VENICE_BOT_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


def workspace_id(number: int) -> str:
    return f"slack:TB{number:05d}"


def channel_id(number: int) -> str:
    return f"{CHANNEL_PREFIX}{number:05d}"


# -- the fake Slack Web API (its own process: `--fake-slack`) ----------------------------------


def serve_fake_slack() -> None:
    """The tests' fake Slack, plus COUNTS_METHOD: how many digests and charts reached it."""
    from tests.adapters.slack.fake_slack import UPLOAD_METHOD, Call, FakeSlack

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
            "uploads": len(fake.calls_to(UPLOAD_METHOD)),
            "shared": len(fake.shared_files()),
            "other_posts": len(fake.calls_to("chat.postMessage")) - len(posts),
            "last_post": max((call.at for call in posts), default=None),  # CLOCK_MONOTONIC
        }

    fake.on(COUNTS_METHOD, counts)
    fake.start()
    print(fake.api_url, flush=True)
    sys.stdin.read()  # until the bench closes our stdin (or dies)
    fake.stop()


# -- the bot (its own process: `--bot`) --------------------------------------------------------


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


async def run_bot() -> dict[str, Any]:
    """One `run_due` tick at the current time, with the process's own CPU, wall and memory."""
    from adapters.posters import build_posters, close_posters
    from bot.charts import render_chart
    from bot.runtime import Runtime
    from bot.startup import settled_heap

    settings = Settings()
    runtime = Runtime.build(settings)
    try:
        opened = await runtime.open_store()
        runtime.posters.update(build_posters(settings, opened))
        runner = await runtime.digest_runner()
        rss_before = max_rss_mb()
        cpu_started, wall_started = time.process_time(), time.perf_counter()
        monotonic_started = time.monotonic()
        try:
            with settled_heap():  # as `digest run-due` and `serve` do once started
                report = await runner.run_due(datetime.now(UTC))
        finally:
            cpu = time.process_time() - cpu_started
            wall = time.perf_counter() - wall_started
            rss_peak = max_rss_mb()
            await close_posters(runtime.posters)
        # One chart alone, for comparison with the whole digest's CPU (not in the figures above).
        card = await runner.preview(workspace_id(1), datetime.now(UTC))
        chart_ms = None
        if card.chart is not None:
            render_chart(card.chart)
            started = time.process_time()
            for _ in range(CHART_RENDERS):
                render_chart(card.chart)
            chart_ms = (time.process_time() - started) / CHART_RENDERS * 1000
    finally:
        await runtime.aclose()
    counts = {name: value for name, value in asdict(report).items() if name != "lines"}
    trouble = [line for line in report.lines if "posted" not in line][:5]
    return {
        "cpu": cpu,
        "wall": wall,
        "started": monotonic_started,
        "rss_before": rss_before,
        "rss_peak": rss_peak,
        "report": counts,
        "trouble": trouble,
        "chart_ms": chart_ms,
    }


# -- the bench ---------------------------------------------------------------------------------


async def seed(settings: Settings, count: int, due: datetime) -> None:
    """COUNT workspaces, each with its own key and a digest schedule due at DUE."""
    from bot.runtime import Runtime
    from bot.startup import open_database
    from bot.store.digests import DigestStore

    await (await open_database(settings, upgrade=True)).aclose()
    runtime = Runtime.build(settings)
    try:
        opened = await runtime.open_store()
        digests = DigestStore(opened.database)
        for number in range(1, count + 1):
            workspace = workspace_id(number)
            account = ACCOUNTS[number % len(ACCOUNTS)]
            await opened.store.save_credential(
                workspace,
                SecretStr(f"{account}-bench-{number:05d}-{secrets.token_hex(4)}"),
                key_type="admin",
                set_by="bench",
                verified_at=due,
            )
            zone = ZONES[number % len(ZONES)]
            local = due.astimezone(ZoneInfo(zone))
            when = DigestTime(local.time().replace(second=0, microsecond=0), zone)
            schedule = await digests.upsert(
                workspace, channel_id(number), when, skip_empty=False, by="bench", by_id=None,
                now=due - timedelta(minutes=1),
            )  # fmt: skip
            if schedule.due_at != due:
                raise SystemExit(f"{workspace} is due at {schedule.due_at}, not {due}")
    finally:
        await runtime.aclose()


@contextlib.contextmanager
def temporary_database(postgres: bool) -> Iterator[str]:
    """The DATABASE_URL of a new, empty database: a SQLite file, or a PostgreSQL database
    created on POSTGRES_URL's server and dropped afterwards."""
    if not postgres:
        with tempfile.TemporaryDirectory(prefix="bench-digest-") as folder:
            yield f"sqlite+aiosqlite:///{Path(folder) / 'bot.db'}"
        return
    with postgres_database(POSTGRES_URL, "bench_digest") as url:
        yield url


def start_simulator(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
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
            return process, root
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise SystemExit("the simulator did not start") from None
            time.sleep(0.1)


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


def run_bot_process(env: dict[str, str], profile: str | None) -> dict[str, Any]:
    profiler = ["-m", "cProfile", "-o", profile] if profile else []
    done = subprocess.run(  # noqa: S603 (this very script)
        [sys.executable, *profiler, str(Path(__file__)), "--bot"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"the bot process exited with {done.returncode}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(count: int, postgres: bool, profile: str | None) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VENICE_", "SLACK_", "LOG_"))}
    for name in ("REDIS_URL", "DISCORD_TOKEN", "DATABASE_URL"):
        env.pop(name, None)  # the in-process cache; Slack only; the temporary database
    env |= {"PYTHONPATH": str(HERE.parent), "LOG_LEVEL": "WARNING"}
    simulator, simulator_root = start_simulator(env)
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
        due = datetime.now(UTC).replace(second=0, microsecond=0)
        seeding = time.perf_counter()
        asyncio.run(seed(Settings.model_validate(env), count, due))
        seeded = time.perf_counter() - seeding
        httpx.delete(f"{simulator_root}/_sim/calls").raise_for_status()
        print(
            f"venice-bot digest benchmark: {count} workspaces due at {due:%Y-%m-%d %H:%M} UTC "
            f"in {len(ZONES)} time zones, one run_due tick; {count} distinct Venice keys over "
            f"{len(ACCOUNTS)} simulator accounts (team, usd); Venice simulator +{LATENCY * 1000:g}"
            f" ms per request; fake Slack Web API; each in its own process; "
            f"{'PostgreSQL' if postgres else 'SQLite'}; {os.cpu_count()} CPUs; "
            f"Python {sys.version.split()[0]} (set-up took {seeded:.0f} s)"
        )
        result = run_bot_process(env, profile)
        counts = httpx.post(api_url + COUNTS_METHOD).json()
        venice_calls = len(httpx.get(f"{simulator_root}/_sim/calls").json())
    finally:
        assert fake.stdin is not None
        fake.stdin.close()
        fake.wait(timeout=30)
        simulator.terminate()
        simulator.wait(timeout=30)
        stack.close()
    report(count, result, counts, venice_calls)


def report(count: int, result: dict[str, Any], counts: dict[str, Any], venice: int) -> None:
    posted = counts["posts"]
    said = ", ".join(f"{name} {value}" for name, value in result["report"].items() if value)
    print(
        f"  posted, as the fake Slack saw it: {posted} digests in {counts['channels']} channels, "
        f"{counts['shared']} charts shared ({counts['uploads']} uploads); other messages "
        f"{counts['other_posts']}; the runner said: {said or 'nothing'}"
    )
    for line in result["trouble"]:
        print(f"    {line}")
    print(f"  Venice requests: {venice} ({venice / max(posted, 1):.1f} per digest)")
    wall = result["wall"]
    last = counts["last_post"]
    landed = f"; the last post reached Slack at {last - result['started']:.1f} s" if last else ""
    verdict = "met" if posted == count and wall <= GOAL_WALL_S else "NOT met"
    print(f"  wall time until all posted: {wall:.1f} s{landed} (goal: all {count} within "
          f"{GOAL_WALL_S:.0f} s: {verdict})")  # fmt: skip
    per_digest = result["cpu"] * 1000 / max(posted, 1)
    verdict = "met" if per_digest < GOAL_CPU_MS else "NOT met"
    print(
        f"  CPU in the bot process: {result['cpu']:.1f} s, {per_digest:.1f} ms per digest "
        f"including its chart (goal < {GOAL_CPU_MS:g} ms: {verdict})"
    )
    if result["chart_ms"] is not None:
        print(f"    one digest chart rendered alone: {result['chart_ms']:.1f} ms CPU")
    print(
        f"  peak memory of the bot process: {result['rss_peak']:.0f} MB max RSS "
        f"({result['rss_before']:.0f} MB before the tick)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspaces", type=int, default=WORKSPACES, metavar="N")
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="a temporary database on VENICE_BOT_TEST_DATABASE_URL's server instead of SQLite",
    )
    parser.add_argument(
        "--profile", metavar="FILE", help="cProfile the bot process into FILE (slows it down)"
    )
    parser.add_argument("--fake-slack", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--bot", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fake_slack:
        serve_fake_slack()
    elif args.bot:
        print(json.dumps(asyncio.run(run_bot())))
    else:
        main(args.workspaces, args.postgres, args.profile)
