"""Benchmark: `/venice balance` through `venice-bot serve` against a bare Bolt app.

Prints, in one run:
(a) signed `/venice balance` requests with a warm cache through the real `venice-bot serve`
    process (uvicorn + Starlette + the bot's AsyncApp, single-workspace mode, Slack's Web API at
    a local fake, Venice at the simulator), against a bare Bolt AsyncApp answering a fixed text
    on the same stack (uvicorn + Starlette + AsyncSlackRequestHandler): p50 and p99 of each over
    REQUESTS requests from this client process, and their ratio (goal: within 1.3x of bare).
    The bot runs its listeners inline (process_before_response); Bolt's default polls for the
    ack every 10 ms, so a third line shows the bare app run inline too: the bot's own cost;
(b) the acknowledgement time of uncached commands with Venice slowed to 10 s (goal: under 1 s),
    and when the answer then reached the response_url.
Run with `make bench-slack`.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
# Run as a script, this folder comes first on sys.path, where `import slack` (slack-sdk's legacy
# package) would find this very file.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

import httpx  # noqa: E402
from pydantic import SecretStr  # noqa: E402
from slack_sdk.signature import SignatureVerifier  # noqa: E402

from bot.runtime import Runtime  # noqa: E402
from bot.secrets import generate_master_key  # noqa: E402
from bot.settings import Settings  # noqa: E402
from tests.adapters.slack.fake_slack import RESPONSE_METHOD, TEAM_ID, FakeSlack  # noqa: E402
from tests.services import free_port  # noqa: E402
from venice_simulator import Simulator  # noqa: E402
from venice_simulator.server import start_in_thread  # noqa: E402

REQUESTS = 2000
ROUNDS = 10  # the two servers take turns, so drift on this machine hits both alike
WARMUP = 100
SLOW_VENICE = 10.0
SLOW_COMMANDS = ("top-models 30d 7", "usage 60d", "top-keys 45d 4")
SIGNING_SECRET = "bench-" + "signing-" + secrets.token_hex(8)
BOT_TOKEN = "xoxb-" + "0000-" + "bench-" + secrets.token_hex(6)
FIXED_TEXT = "Venice balance: 242.50 DIEM left today"
OURS = "venice-bot serve"
BARE = "bare Bolt app"  # Bolt's defaults: the listener runs as a task, its ack polled every 10 ms
BARE_INLINE = "bare, inline"  # process_before_response=True, as venice-bot runs its listeners


# -- the bare Bolt app (run in its own process by `--bare PORT`) --------------------------


def serve_bare(port: int, inline: bool) -> None:
    """A bare AsyncApp answering FIXED_TEXT, on the same server stack as `venice-bot serve`.
    INLINE runs its listener inline as the bot does (process_before_response)."""
    import uvicorn
    from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    token = os.environ.pop("SLACK_BOT_TOKEN")  # popped: Bolt would read it and warn
    client = AsyncWebClient(token=token, base_url=os.environ["SLACK_API_URL"])
    app = AsyncApp(
        name="bare",
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        client=client,
        process_before_response=inline,
    )

    @app.command("/venice")
    async def venice(ack):  # type: ignore[no-untyped-def]
        await ack(response_type="ephemeral", text=FIXED_TEXT)

    handler = AsyncSlackRequestHandler(app)

    async def events(request: Request) -> Response:
        return await handler.handle(request)

    asgi = Starlette(routes=[Route("/slack/events", events, methods=["POST"])])
    config = uvicorn.Config(
        asgi, host="127.0.0.1", port=port, lifespan="off", log_config=None, access_log=False
    )
    uvicorn.Server(config).run()


# -- the client ---------------------------------------------------------------------------


def signed(text: str, response_url: str) -> tuple[bytes, dict[str, str]]:
    body = urlencode(
        {"command": "/venice", "text": text, "team_id": TEAM_ID, "team_domain": "bench",
         "channel_id": "C0BENCH", "user_id": "U0BENCH", "user_name": "bench",
         "response_url": response_url, "trigger_id": "t." + secrets.token_hex(4),
         "api_app_id": "A0BENCH"}
    )  # fmt: skip
    stamp = str(int(time.time()))
    signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=stamp, body=body)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature,
    }
    return body.encode(), headers


def timed(client: httpx.Client, url: str, text: str, response_url: str) -> tuple[float, dict]:
    body, headers = signed(text, response_url)
    started = time.perf_counter()
    response = client.post(url, content=body, headers=headers)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}: {response.text[:200]}")
    return elapsed, response.json()


def wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{url} exited with {process.returncode}")
        try:
            httpx.post(url, content=b"", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not start")


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def seed_key(settings: Settings) -> None:
    async def store() -> None:
        runtime = Runtime.build(settings)
        try:
            opened = await runtime.open_store()
            await opened.store.save_credential(
                f"slack:{TEAM_ID}",
                SecretStr("sim-admin-team-bench"),
                key_type="admin",
                set_by="bench",
                verified_at=datetime.now(UTC),
            )
        finally:
            await runtime.aclose()

    asyncio.run(store())


def main() -> None:
    fake = FakeSlack().start()
    frozen = datetime.now(UTC)
    simulator = start_in_thread(Simulator(clock=lambda: frozen))
    folder = tempfile.TemporaryDirectory(prefix="bench-slack-")
    ours_port, bare_port, inline_port = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VENICE_", "SLACK_", "LOG_"))}
    env |= {
        "DATABASE_URL": f"sqlite+aiosqlite:///{Path(folder.name) / 'bot.db'}",
        "VENICE_BOT_MASTER_KEYS": generate_master_key("bench").encoded(),
        "VENICE_API_BASE": simulator.base_url,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": fake.api_url,
        "VENICE_BOT_HOST": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(HERE.parent),
    }
    env.pop("REDIS_URL", None)
    env.pop("DATABASE_URL_", None)
    seed_key(Settings.model_validate(env))
    ours = subprocess.Popen(
        [sys.executable, "-m", "adapters.cli", "serve"], env=env | {"PORT": str(ours_port)}
    )
    bares = {
        mode: subprocess.Popen(  # noqa: S603 (this very script)
            [sys.executable, str(Path(__file__)), "--bare", str(port), mode], env=env
        )
        for mode, port in (("default", bare_port), ("inline", inline_port))
    }
    urls = {
        OURS: f"http://127.0.0.1:{ours_port}/slack/events",
        BARE: f"http://127.0.0.1:{bare_port}/slack/events",
        BARE_INLINE: f"http://127.0.0.1:{inline_port}/slack/events",
    }
    processes = {OURS: ours, BARE: bares["default"], BARE_INLINE: bares["inline"]}
    try:
        for name, process in processes.items():
            wait_until_up(urls[name], process)
        run(urls, fake, simulator.base_url)
    finally:
        for process in processes.values():
            process.terminate()
            process.wait(timeout=30)
        simulator.stop()
        fake.stop()
        folder.cleanup()


def run(urls: dict[str, str], fake: FakeSlack, venice: str) -> None:
    samples: dict[str, list[float]] = {name: [] for name in urls}
    with httpx.Client(timeout=30) as client:
        for name, url in urls.items():
            for _ in range(WARMUP):  # fills the cache, users.info and auth.test, JIT-free but warm
                _, reply = timed(client, url, "balance", fake.response_url())
            if "DIEM left today" not in reply.get("text", ""):  # the fixed text says so too
                raise SystemExit(f"{name} did not answer the balance: {reply}")
        per_round = REQUESTS // ROUNDS
        for _ in range(ROUNDS):
            for name, url in urls.items():
                for _ in range(per_round):
                    elapsed, _ = timed(client, url, "balance", fake.response_url())
                    samples[name].append(elapsed)
        print(f"(a) signed /venice balance, warm cache, {REQUESTS} requests each, one client")
        figures = {}
        for name, values in samples.items():
            p50, p99 = percentile(values, 0.50), percentile(values, 0.99)
            figures[name] = (p50, p99)
            print(
                f"    {name:17} p50 {p50 * 1000:6.2f} ms   p99 {p99 * 1000:6.2f} ms   "
                f"mean {statistics.fmean(values) * 1000:6.2f} ms"
            )
        for baseline in (BARE, BARE_INLINE):
            ratio50 = figures[OURS][0] / figures[baseline][0]
            ratio99 = figures[OURS][1] / figures[baseline][1]
            verdict = "met" if max(ratio50, ratio99) <= 1.3 else "NOT met"
            print(
                f"    ours / {baseline:13}: p50 {ratio50:.2f}x  p99 {ratio99:.2f}x"
                + (f"  (goal <= 1.3x: {verdict})" if baseline == BARE else "")
            )

        root = venice.removesuffix("/api/v1")
        httpx.post(f"{root}/_sim/faults", json={"latency": SLOW_VENICE}).raise_for_status()
        print(f"(b) Venice slowed to {SLOW_VENICE:g} s; uncached commands")
        fake.clear()
        acks = []
        sent = time.perf_counter()
        for text in SLOW_COMMANDS:
            rid = "Rslow" + secrets.token_hex(3)
            elapsed, reply = timed(client, urls[OURS], text, fake.response_url(rid))
            acks.append(elapsed)
            print(f"    {text:17} ack {elapsed * 1000:6.0f} ms: {reply.get('text', '')[:60]!r}")
        fake.wait_for(RESPONSE_METHOD, count=len(SLOW_COMMANDS), timeout=SLOW_VENICE * 3)
        delivered = time.perf_counter() - sent
        verdict = "met" if max(acks) < 1.0 else "NOT met"
        print(f"    slowest ack {max(acks) * 1000:.0f} ms (goal < 1 s: {verdict}); all answers "
              f"at their response_url {delivered:.1f} s after the first command")  # fmt: skip
        httpx.delete(f"{root}/_sim/faults").raise_for_status()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--bare":
        serve_bare(int(sys.argv[2]), inline=sys.argv[3] == "inline")
    else:
        main()
