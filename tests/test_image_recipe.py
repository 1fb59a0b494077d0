"""The container recipe's rules (scripts/image_recipe.py) hold for the Dockerfile, compose.yaml and
.env.example, and catch the mistakes they exist for. `make check-image` builds and runs it."""

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
    sys.modules["image_recipe"] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


recipe = _load()
DOCKERFILE = (ROOT / "Dockerfile").read_text()
INSTALL = (ROOT / "scripts/install_app.sh").read_text()


def compose() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return doc


def test_the_dockerfile_keeps_every_rule():
    assert recipe.dockerfile_problems(DOCKERFILE, INSTALL) == []


def test_the_compose_file_keeps_every_rule():
    assert recipe.compose_problems(compose()) == []


def test_env_example_names_every_setting_and_no_secret_value():
    names = [str(f.validation_alias) for f in Settings.model_fields.values()]
    assert recipe.env_example_problems((ROOT / ".env.example").read_text(), names) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("USER 10001:10001\n", ""), "non-root USER"),
        (("USER 10001:10001\n", "USER root\n"), "non-root USER"),
        (("HEALTHCHECK", "# HEALTHCHECK"), "no HEALTHCHECK"),
        (("FROM python:3.12-slim-bookworm AS build", "FROM python AS build"), "not pinned"),
        (("FROM python:3.12-slim-bookworm\n", "FROM python:latest\n"), "not pinned"),
        (("COPY bot bot", "ADD https://example.invalid/bot.tgz bot"), "ADD of a URL"),
        (('CMD ["serve"]', "CMD venice-bot serve"), 'CMD must be ["serve"]'),
        (("PATH=/opt/venice-bot/bin:$PATH", "PATH=$PATH"), "not on ENV PATH"),
    ],
)
def test_a_broken_dockerfile_is_named(change: tuple[str, str], expected: str):
    old, new = change
    assert old in DOCKERFILE
    problems = recipe.dockerfile_problems(DOCKERFILE.replace(old, new, 1), INSTALL)
    assert any(expected in p for p in problems), problems


def test_a_user_switched_after_the_entrypoint_is_named():
    moved = DOCKERFILE.replace("USER 10001:10001\n", "") + "USER 10001:10001\n"
    problems = recipe.dockerfile_problems(moved, INSTALL)
    assert any("after ENTRYPOINT" in p for p in problems), problems


def test_one_stage_and_a_cached_pip_are_named():
    single = "\n".join(line for line in DOCKERFILE.splitlines() if "AS build" not in line)
    assert any("multi-stage" in p for p in recipe.dockerfile_problems(single, INSTALL))
    cached = INSTALL.replace("--no-cache-dir", "")
    problems = recipe.dockerfile_problems(DOCKERFILE, cached)
    assert sum("--no-cache-dir" in p for p in problems) == 2, problems


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
    assert any(key in p for p in recipe.compose_problems(doc))


def test_a_password_written_into_a_url_is_refused():
    doc = compose()
    doc["services"]["bot"]["environment"]["DATABASE_URL"] = "postgresql://venice:" + "pw@db/venice"
    assert any("literal password" in p for p in recipe.compose_problems(doc))


def test_the_bot_waits_for_healthy_services_and_the_migration():
    doc = compose()
    doc["services"]["bot"]["depends_on"]["postgres"] = {"condition": "service_started"}
    del doc["services"]["redis"]["healthcheck"]
    problems = recipe.compose_problems(doc)
    assert any("postgres with condition service_healthy" in p for p in problems), problems
    assert any("redis has no healthcheck" in p for p in problems), problems


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
