"""`venice-bot keys ...`, `db upgrade` and `ask --workspace` as an operator runs them: a real
process, a real SQLite file (or PostgreSQL database), the simulator as Venice, and a canary key
that must appear nowhere: not on disk, not in any output at LOG_LEVEL=DEBUG, not in Redis."""

from __future__ import annotations

import io
import logging
import os
import secrets
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis

from adapters.cli.main import main
from bot.secrets import generate_master_key
from tests.services import PrivateRedis, postgres_database
from venice_simulator import Simulator
from venice_simulator.server import RunningSimulator, start_in_thread

ROOT = Path(__file__).resolve().parents[3]
# Settings the tests set themselves; the developer's own must not leak in.
OWN_VARIABLES = ("VENICE_", "LOG_", "DATABASE_URL", "REDIS_URL", "XDG_STATE_HOME")


@pytest.fixture(scope="module")
def simulator() -> Iterator[RunningSimulator]:
    frozen = datetime.now(UTC)
    with start_in_thread(Simulator(clock=lambda: frozen)) as running:
        yield running


def clean_environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(OWN_VARIABLES)}


def run(
    *args: str, env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "adapters.cli", *args],
        cwd=ROOT,
        env=clean_environment() | env,
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result


def redis_contents(url: str) -> str:
    """Every key and value in a Redis of the test's own, as text."""
    client = redis.Redis.from_url(url)
    try:
        parts: list[bytes] = []
        for key in client.scan_iter():
            parts.append(key)
            kind = client.type(key)
            if kind == b"string":
                parts.append(client.get(key) or b"")
            elif kind == b"hash":
                for field, value in client.hgetall(key).items():
                    parts += [field, value]
            elif kind == b"list":
                parts += client.lrange(key, 0, -1)
            elif kind == b"set":
                parts += list(client.smembers(key))
            elif kind == b"zset":
                parts += client.zrange(key, 0, -1)
        return b"\n".join(parts).decode("utf-8", "replace")
    finally:
        client.close()


def test_a_canary_key_goes_through_set_ask_list_rotate_remove_and_leaks_nowhere(
    tmp_path: Path, simulator: RunningSimulator, private_redis: PrivateRedis
):
    canary = "sim-admin-team-" + secrets.token_hex(12)
    k1, k2 = generate_master_key("k1").encoded(), generate_master_key("k2").encoded()
    base = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        "VENICE_API_BASE": simulator.base_url,
        "LOG_LEVEL": "DEBUG",
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "REDIS_URL": private_redis.url,
    }
    outputs: list[str] = []

    def cli(*args: str, keyring: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        result = run(*args, env=base | {"VENICE_BOT_MASTER_KEYS": keyring}, stdin=stdin)
        outputs.append(result.stdout + result.stderr)
        return result

    stored = cli("keys", "set", "slack:T1", keyring=k1, stdin=f"  {canary}\n")
    assert stored.returncode == 0, stored.stderr
    assert f"…{canary[-4:]}" in stored.stdout
    asked = cli("ask", "balance", "--workspace", "slack:T1", keyring=k1)
    assert asked.returncode == 0, asked.stderr
    assert "DIEM" in asked.stdout
    listed = cli("keys", "list", keyring=k1)
    assert "slack:T1" in listed.stdout
    assert f"…{canary[-4:]}" in listed.stdout

    # A new master key first: rotate moves the secret under it, and a re-run has nothing to do.
    rotated = cli("keys", "rotate", keyring=f"{k2},{k1}")
    assert rotated.returncode == 0, rotated.stderr
    assert "Re-encrypted 1 " in rotated.stdout
    again = cli("keys", "rotate", keyring=f"{k2},{k1}")
    assert "Re-encrypted 0 " in again.stdout
    # The old key dropped: still works. Only the old key: start-up names the missing one.
    assert cli("ask", "usage 7d", "--workspace", "slack:T1", keyring=k2).returncode == 0
    lost = cli("ask", "balance", "--workspace", "slack:T1", keyring=k1)
    assert lost.returncode == 1
    assert "master key 'k2'" in lost.stderr

    removed = cli("keys", "remove", "slack:T1", keyring=k2)
    assert removed.returncode == 0, removed.stderr
    assert "Removed" in removed.stdout

    # Nowhere: the database files, any output (DEBUG logs included), Redis.
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert any(path.name == "bot.db" for path in files)
    for path in files:
        assert canary.encode() not in path.read_bytes(), path
    assert all(canary not in output for output in outputs)
    cached = redis_contents(private_redis.url)
    assert "venice-bot" in cached  # the cache was used, so the check below means something
    assert canary not in cached


def test_the_local_keyring_is_created_once_and_said_where(
    tmp_path: Path, simulator: RunningSimulator
):
    env = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        "VENICE_API_BASE": simulator.base_url,
        "XDG_STATE_HOME": str(tmp_path),
    }
    keyring = tmp_path / "venice-bot" / "master-keys"
    first = run("keys", "set", "console:local", env=env, stdin="sim-admin-team-" + "0001")
    assert first.returncode == 0, first.stderr
    assert f"created a local master key at {keyring}" in first.stderr
    assert stat.S_IMODE(keyring.stat().st_mode) == 0o600
    second = run("ask", "status", "--workspace", "console:local", env=env)
    assert second.returncode == 0, second.stderr
    assert "…0001" in second.stdout
    assert "created" not in second.stderr


@pytest.fixture
def fresh_postgres_database(postgres_url: str) -> Iterator[str]:
    """A PostgreSQL database of this test's own (created here, dropped here)."""
    with postgres_database(postgres_url, "vb_cli") as url:
        yield url


# In-process runs of the CLI for answers that need no separate process.


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """A clean environment pointing into tmp_path; the root logger restored afterwards."""
    for name in list(os.environ):
        if name.startswith(OWN_VARIABLES):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        yield tmp_path
    finally:
        root.handlers[:], root.level = handlers, level


def test_ask_without_a_workspace_never_opens_the_database(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
):
    assert main(["ask", "help"]) == 0
    assert not (cli_env / "bot.db").exists()
    assert not (cli_env / "state").exists()  # nor creates a keyring


def test_postgresql_without_a_keyring_is_refused_naming_the_variable(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://bot:hunter2pass@127.0.0.1:1/bot")
    assert main(["keys", "list"]) == 1
    err = capsys.readouterr().err
    assert "VENICE_BOT_MASTER_KEYS" in err
    assert "hunter2pass" not in err


@pytest.mark.parametrize(
    "argv",
    [
        ["ask", "balance", "--workspace", "teams:T1"],
        ["ask", "balance", "--workspace", "slack:"],
        ["keys", "set", "slack"],
        ["keys", "remove", "slack:T1 T2"],
    ],
)
def test_a_bad_workspace_id_is_invalid_input(
    cli_env: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
):
    assert main(argv) == 2
    assert "Workspace ids look like" in capsys.readouterr().err
    assert not (cli_env / "bot.db").exists()


def test_a_key_given_as_an_argument_is_refused_and_not_echoed(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
):
    key = "VENICE_" + "ADMIN_KEY_" + secrets.token_hex(8)
    assert main(["keys", "set", "slack:T1", key]) == 2
    captured = capsys.readouterr()
    assert key not in captured.out + captured.err
    assert "standard input" in captured.err


def test_keys_set_with_nothing_on_stdin_is_invalid_input(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setattr(sys, "stdin", io.StringIO("  \n"))
    assert main(["keys", "set", "slack:T1"]) == 2
    assert "no key on standard input" in capsys.readouterr().err


def test_new_master_prints_a_key_the_keyring_accepts(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    assert main(["keys", "new-master", "--id", "k7"]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed.startswith("k7:")
    monkeypatch.setenv("VENICE_BOT_MASTER_KEYS", printed)
    assert main(["keys", "list"]) == 0
    assert "No workspaces yet" in capsys.readouterr().out
    assert not (cli_env / "state").exists()  # the configured keyring: no local one made


def test_inference_and_unknown_keys_are_refused_and_not_stored(
    cli_env: Path,
    simulator: RunningSimulator,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    monkeypatch.setenv("VENICE_API_BASE", simulator.base_url)
    monkeypatch.setenv("VENICE_BOT_MASTER_KEYS", generate_master_key("k1").encoded())
    for key, says in (("sim-inference-" + "f00d", "INFERENCE"),
                      ("no-such-key-" + "beef", "Venice rejected the key")):  # fmt: skip
        monkeypatch.setattr(sys, "stdin", io.StringIO(key + "\n"))
        assert main(["keys", "set", "slack:T1"]) == 1
        err = capsys.readouterr().err
        assert says in err
        assert key not in err
    assert main(["keys", "list"]) == 0
    assert "No workspaces yet" in capsys.readouterr().out


def test_postgresql_must_be_upgraded_before_use(
    cli_env: Path,
    fresh_postgres_database: str,
    simulator: RunningSimulator,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    monkeypatch.setenv("DATABASE_URL", fresh_postgres_database)
    monkeypatch.setenv("VENICE_API_BASE", simulator.base_url)
    monkeypatch.setenv("VENICE_BOT_MASTER_KEYS", generate_master_key("k1").encoded())
    assert main(["ask", "balance", "--workspace", "slack:T1"]) == 1
    assert "venice-bot db upgrade" in capsys.readouterr().err
    assert main(["db", "upgrade"]) == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("sim-admin-team-" + "pg01"))
    assert main(["keys", "set", "slack:T1"]) == 0
    assert main(["ask", "balance", "--workspace", "slack:T1"]) == 0
    assert "…pg01" in capsys.readouterr().out
