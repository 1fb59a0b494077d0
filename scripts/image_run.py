"""The installed image, run: what `make check-image` asks of the venice-bot that the Dockerfile's
steps installed into a virtual environment (scripts/check_image.py builds it). Each step runs the
installed console script, never the source tree, so a wheel missing a package, its migrations or
an extra fails here. The migration runs compose.yaml's `migrate` command and serve runs the
image's own ENTRYPOINT and CMD, so those are checked by running them."""

# ruff: noqa: S603 (it runs the venice-bot it installed, by design)
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import httpx
import image_recipe as recipe
import yaml

from bot import __version__
from bot.secrets.keyring import generate_master_key
from tests.adapters.slack.fake_slack import RESPONSE_METHOD, TEAM_ID, FakeSlack
from tests.services import free_port

CLEARED = ("VENICE_", "SLACK_", "DISCORD_", "LOG_", "DATABASE_URL", "REDIS_URL", "PORT", "PYTHON")
SIGNING_SECRET = "signing-" + "secret-" + os.urandom(8).hex()
BOT_TOKEN = "xoxb-" + "1234-" + "5678-" + os.urandom(6).hex()


def environment(scratch: Path, **values: str) -> dict[str, str]:
    """This machine's environment without the bot's settings, .env.example's lines, then VALUES."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(CLEARED)}
    for line in (recipe.ROOT / ".env.example").read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.startswith("#"):
            env[key.strip()] = value.strip()  # empty: what a fresh .env holds
    keys = scratch / "master-keys"
    if not keys.exists():
        keys.write_text(generate_master_key("k1").encoded() + "\n")
    return env | {
        "DATABASE_URL": f"sqlite+aiosqlite:///{scratch / 'bot.db'}",
        "VENICE_BOT_MASTER_KEYS_FILE": str(keys),
        "HOME": str(scratch),
        **values,
    }


def run(bin_dir: Path, args: list[str], env: dict[str, str], stdin: str = "") -> str:
    """Run the installed venice-bot; its standard output, or SystemExit with what went wrong."""
    done = subprocess.run(
        [bin_dir / "venice-bot", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"venice-bot {' '.join(args)} exited {done.returncode}: {done.stderr}")
    return done.stdout


@contextmanager
def process(bin_dir: Path, args: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    """The installed venice-bot running ARGS in the background; killed if still running after."""
    child = subprocess.Popen(
        [bin_dir / "venice-bot", *args],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        yield child
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()


def wait_for(url: str, child: subprocess.Popen[str], headers: dict[str, str] | None = None) -> None:
    """Until URL answers 200 (30 s at most, and only while CHILD runs)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if child.poll() is not None:
            args = " ".join(str(a) for a in child.args)  # type: ignore[union-attr]
            raise SystemExit(f"{args} exited {child.returncode}: {child.communicate()[1]}")
        try:
            if httpx.get(url, headers=headers, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{url} did not answer within 30 s")


def run_installed(bin_dir: Path, scratch: Path) -> list[str]:
    """Every step in turn; the problems found (the first failure ends the run)."""
    env = environment(scratch)
    version = run(bin_dir, ["--version"], env).strip()
    if version != f"venice-bot {__version__}":
        return [f"--version says {version!r}, the sources say {__version__}"]
    compose = yaml.safe_load((recipe.ROOT / "compose.yaml").read_text())
    migrate = [str(word) for word in compose["services"]["migrate"]["command"]]
    run(bin_dir, migrate, env)
    print(f"check-image: {version}; compose's migrate ({' '.join(migrate)}) ok", flush=True)
    payload = json.loads(run(bin_dir, ["discord", "commands"], env))  # needs discord.py
    if not payload or payload[0].get("name") != "venice":
        return [f"discord commands printed no /venice group: {payload!r:.200}"]
    sim_port = free_port()
    sim = f"http://127.0.0.1:{sim_port}/api/v1"
    command = ["simulate", "--host", "127.0.0.1", "--port", str(sim_port)]
    with process(bin_dir, command, env) as simulator:
        admin = {"Authorization": "Bearer sim-admin"}
        wait_for(f"{sim}/billing/balance", simulator, headers=admin)
        env["VENICE_API_BASE"] = sim
        slack_reply = json.loads(
            run(
                bin_dir,
                ["ask", "balance", "--format", "slack"],
                env | {"VENICE_API_KEY": "sim-admin"},
            )
        )
        if "blocks" not in slack_reply:
            return [f"ask --format slack printed no blocks: {slack_reply!r:.200}"]
        print("check-image: simulate, ask --format slack, discord commands ok", flush=True)
        problems = digest_with_chart(bin_dir, env)
        problems += serve(bin_dir, env)
    return problems


def digest_with_chart(bin_dir: Path, env: dict[str, str]) -> list[str]:
    """A console workspace's digest, posted by `digest run-due`, with its chart (Pillow)."""
    run(bin_dir, ["keys", "set", "console:local"], env, stdin="sim-admin\n")
    run(
        bin_dir,
        ["digest", "set", "console:local", "--channel", "general", "--at", "09:00", "--tz", "UTC"],
        env,
    )
    tomorrow = time.strftime("%Y-%m-%dT09:01:00Z", time.gmtime(time.time() + 86_400))
    posted = run(bin_dir, ["digest", "run-due", "--now", tomorrow], env)
    if "[chart:" not in posted:
        return [f"digest run-due posted no chart: {posted[-400:]}"]
    print("check-image: digest with chart ok", flush=True)
    return []


def serve(bin_dir: Path, env: dict[str, str]) -> list[str]:
    """The image's command (ENTRYPOINT and CMD: serve) answers /healthz, /readyz and a signed
    /venice balance; the Dockerfile's HEALTHCHECK passes while it runs and fails once it is gone;
    SIGTERM stops it with exit 0."""
    from slack_sdk.signature import SignatureVerifier

    port = str(free_port())
    fake = FakeSlack()
    fake.start()
    values = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.api_url,
        "PORT": port,
        "VENICE_BOT_HOST": "127.0.0.1",
    }
    env = env | values
    run(bin_dir, ["keys", "set", f"slack:{TEAM_ID}"], env, stdin="sim-admin\n")
    dockerfile = (recipe.ROOT / "Dockerfile").read_text()
    health = recipe.healthcheck_command(dockerfile)
    health = [str(bin_dir / "python") if w == "python" else w for w in health]
    command = recipe.image_command(dockerfile)[1:]  # [0] is venice-bot: the rules say so
    url = f"http://127.0.0.1:{port}"
    try:
        with process(bin_dir, command, env) as child:
            wait_for(f"{url}/healthz", child)
            problems = []
            if subprocess.run(health, env=env, capture_output=True, check=False).returncode:
                problems.append("the Dockerfile's HEALTHCHECK fails against a running serve")
            if httpx.get(f"{url}/readyz", timeout=5).status_code != 200:
                problems.append("/readyz is not 200 with the database up")
            body = urlencode(
                {
                    "command": "/venice",
                    "text": "balance",
                    "team_id": TEAM_ID,
                    "user_id": "U1",
                    "user_name": "ada",
                    "channel_id": "C1",
                    "response_url": fake.response_url("R1"),
                    "trigger_id": "t.1",
                }
            )
            stamp = str(int(time.time()))
            signature = SignatureVerifier(SIGNING_SECRET).generate_signature(
                timestamp=stamp, body=body
            )
            headers = {
                "X-Slack-Request-Timestamp": stamp,
                "X-Slack-Signature": str(signature),
                "Content-Type": "application/x-www-form-urlencoded",
            }
            reply = httpx.post(f"{url}/slack/events", content=body, headers=headers, timeout=15)
            answer = reply.text
            if "DIEM left today" not in answer:  # answered late: through the response_url
                answer = json.dumps([c.params for c in fake.wait_for(RESPONSE_METHOD, timeout=15)])
            if "DIEM left today" not in answer:
                problems.append(f"a signed /venice balance got {reply.status_code}: {answer[:300]}")
            child.send_signal(signal.SIGTERM)
            out, err = child.communicate(timeout=30)
            if child.returncode != 0:
                problems.append(f"serve exited {child.returncode} on SIGTERM: {err[-400:]}")
            if any(s in out + err for s in (BOT_TOKEN, SIGNING_SECRET)):
                problems.append("serve's output holds a secret")
        if subprocess.run(health, env=env, capture_output=True, check=False).returncode == 0:
            problems.append("the Dockerfile's HEALTHCHECK passes with serve stopped")
    finally:
        fake.stop()
    print(
        f"check-image: serve, /healthz, /readyz, HEALTHCHECK, SIGTERM: {len(problems)} problem(s)"
    )
    return problems


if __name__ == "__main__":
    sys.exit("run scripts/check_image.py run")
