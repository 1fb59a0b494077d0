"""The container recipe's own rules (scripts/image_recipe.py, the ones hadolint cannot know) hold
for the Dockerfile, compose.yaml and .env.example, and catch the mistakes they exist for.
`make check-image` runs hadolint, these rules, and the installed image."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from bot.settings import Settings
from tests.services import free_port

ROOT = Path(__file__).resolve().parents[1]


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("image_recipe", ROOT / "scripts/image_recipe.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


recipe = _load()
DOCKERFILE = (ROOT / "Dockerfile").read_text()
DOCKERIGNORE = (ROOT / ".dockerignore").read_text()
SETTINGS = [str(f.validation_alias) for f in Settings.model_fields.values()]


def compose() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return doc


def test_the_dockerfile_keeps_every_rule():
    assert recipe.dockerfile_problems(DOCKERFILE) == []
    assert recipe.copy_problems(DOCKERFILE, ROOT, DOCKERIGNORE) == []


def test_the_compose_file_keeps_every_rule():
    assert recipe.compose_problems(compose(), SETTINGS) == []


def test_env_example_names_every_setting_and_no_secret_value():
    assert recipe.env_example_problems((ROOT / ".env.example").read_text(), SETTINGS) == []


def test_the_image_runs_the_installed_bot_and_the_replay_finds_both_install_steps():
    assert recipe.image_command(DOCKERFILE) == ["venice-bot", "serve"]
    stages = recipe.stages(DOCKERFILE)
    assert [recipe.stage_name(s, n) for n, s in enumerate(stages)] == ["build", "1"]
    assert recipe.install_calls(stages[0]) == [["scripts/install_app.sh", "wheel", "/dist"]]
    assert recipe.install_calls(stages[1])[0][1:3] == ["install", "/opt/venice-bot"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # hadolint passes an image with no USER at all: it runs as root.
        (("USER 10001:10001\n", ""), "non-root USER"),
        (("USER 10001:10001\n", "USER 0\n"), "non-root USER"),
        (("HEALTHCHECK", "# HEALTHCHECK"), "no HEALTHCHECK"),
        (("/healthz'", "/readyz'"), "does not ask /healthz"),
        (('ENTRYPOINT ["venice-bot"]', 'ENTRYPOINT ["python", "-m", "bot"]'), "ENTRYPOINT"),
        (("PATH=/opt/venice-bot/bin:$PATH", "PATH=$PATH"), "not on ENV PATH"),
        (("sh scripts/install_app.sh wheel /dist", "pip wheel -w /dist ."), "wheel DIST"),
        (("sh /tmp/install/scripts/install_app.sh install", "pip install"), "install PREFIX"),
    ],
)
def test_a_broken_dockerfile_is_named(change: tuple[str, str], expected: str):
    old, new = change
    assert old in DOCKERFILE
    problems = recipe.dockerfile_problems(DOCKERFILE.replace(old, new, 1))
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("COPY adapters adapters", "COPY adaptors adapters"), "COPY adaptors: no such path"),
        (("COPY adapters adapters", "COPY tests tests"), "COPY tests: .dockerignore drops it"),
    ],
)
def test_a_copy_the_build_would_not_find_is_named(change: tuple[str, str], expected: str):
    old, new = change
    assert old in DOCKERFILE
    problems = recipe.copy_problems(DOCKERFILE.replace(old, new, 1), ROOT, DOCKERIGNORE)
    assert any(expected in p for p in problems), problems


def test_dockerignore_patterns_match_as_docker_matches_them():
    skip = recipe.ignored_by("# comment\n.git\n**/__pycache__\n*.db\nsecrets/\n")
    for dropped in (
        ".git",
        ".git/HEAD",
        "bot/__pycache__/x.pyc",
        "__pycache__",
        "a.db",
        "secrets/k",
    ):
        assert skip.match(dropped), dropped
    for kept in ("bot/core.py", "bot/a.db", ".github", "secretsx"):
        assert not skip.match(kept), kept


def test_a_misspelt_setting_in_compose_is_named():
    doc = compose()
    doc["services"]["bot"]["environment"]["REDIS_URI"] = "redis://redis:6379/0"
    assert any("REDIS_URI is not a setting" in p for p in recipe.compose_problems(doc, SETTINGS))


@pytest.mark.parametrize(
    ("service", "key", "value"),
    [
        ("bot", "SLACK_BOT_TOKEN", "xoxb-" + "1-2-" + "abc"),
        ("bot", "DISCORD_TOKEN", "plain-" + "value"),
        ("postgres", "POSTGRES_PASSWORD", "hunter" + "2"),
        ("bot", "VENICE_BOT_MASTER_KEYS", "k1:" + "A" * 44),
    ],
)
def test_an_inline_secret_is_refused(service: str, key: str, value: str):
    doc = compose()
    doc["services"][service].setdefault("environment", {})[key] = value
    assert any(key in p and "literal" in p for p in recipe.compose_problems(doc, SETTINGS))


def test_a_password_written_into_a_url_is_refused():
    doc = compose()
    doc["services"]["bot"]["environment"]["DATABASE_URL"] = "postgresql://venice:" + "pw@db/venice"
    assert any("literal password" in p for p in recipe.compose_problems(doc, SETTINGS))


def test_the_bot_waits_for_healthy_services_and_the_migration():
    doc = compose()
    doc["services"]["bot"]["depends_on"]["postgres"] = {"condition": "service_started"}
    del doc["services"]["bot"]["depends_on"]["migrate"]
    problems = recipe.compose_problems(doc, SETTINGS)
    assert any("postgres with condition service_healthy" in p for p in problems), problems
    assert any("migrate with condition service_completed" in p for p in problems), problems


class _Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/healthz" else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def alive() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def run_healthcheck(port: int) -> int:
    command = recipe.healthcheck_command(DOCKERFILE)
    command = [sys.executable if word == "python" else word for word in command]
    env = {**os.environ, "PORT": str(port)}
    return subprocess.run(command, env=env, capture_output=True, timeout=20).returncode


def test_the_image_healthcheck_passes_on_an_answering_healthz_and_fails_without(alive: int):
    assert run_healthcheck(alive) == 0
    assert run_healthcheck(free_port()) != 0
