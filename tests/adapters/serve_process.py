"""`venice-bot serve` as an operator runs it: a real process, its own environment, its log read
as it is written, and stopped with a signal as a process manager (or Ctrl-C) stops it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from tests.adapters.slack.fake_slack import FakeSlack
from tests.adapters.slack.served import MASTER_KEYS, SlackRequests
from tests.services import free_port

ROOT = Path(__file__).resolve().parents[2]
# Variables of the test's own environment that would change what serve does.
CLEARED = ("VENICE_", "SLACK_", "DISCORD_", "LOG_", "DATABASE_URL", "REDIS_URL", "PORT", "DIGEST_")


def environment(**values: str) -> dict[str, str]:
    """The test's environment without any bot setting, plus VALUES."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(CLEARED)}
    env |= values
    return env


def base_env(tmp_path: Path, **values: str) -> dict[str, str]:
    """A SQLite file in TMP_PATH, a keyring, a free port on 127.0.0.1, and VALUES (which may
    replace any of them)."""
    defaults = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        "VENICE_BOT_MASTER_KEYS": MASTER_KEYS,
        "VENICE_BOT_HOST": "127.0.0.1",
        "PORT": str(free_port()),
    }
    return environment(**(defaults | values))


class ServeProcess(SlackRequests):
    """`python -m adapters.cli serve` with ENV. `start()` waits for /healthz (or for the process to
    end, for start-up failures); `log` is everything it wrote so far (stdout and stderr)."""

    def __init__(self, env: dict[str, str], fake: FakeSlack | None = None) -> None:
        self.env = env
        self.url = f"http://127.0.0.1:{env['PORT']}"
        if fake is not None:
            self.fake = fake
        self.process: subprocess.Popen[str] | None = None
        self._lines: list[str] = []
        self._reader: threading.Thread | None = None

    @property
    def log(self) -> str:
        return "".join(self._lines)

    def launch(self) -> ServeProcess:
        """Start the process without waiting for it to serve."""
        self.process = subprocess.Popen(
            [sys.executable, "-m", "adapters.cli", "serve"],
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        return self

    def start(self, timeout: float = 30) -> ServeProcess:
        """Start it and wait until /healthz answers; AssertionError (with its log) otherwise."""
        self.launch()
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"serve did not start:\n{self.log}")
            time.sleep(0.05)

    def wait_for_log(self, text: str, timeout: float = 15) -> None:
        """Block until TEXT appears in the log; AssertionError after TIMEOUT seconds."""
        deadline = time.monotonic() + timeout
        while text not in self.log:
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never logged:\n{self.log}")
            time.sleep(0.05)

    def wait(self, timeout: float = 30) -> int:
        """Wait for the process to end (killing it after TIMEOUT); its exit code."""
        assert self.process is not None
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        self._close()
        return code

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 30) -> tuple[int, float]:
        """Send SIG and wait for the process to end: its exit code and how long it took."""
        assert self.process is not None
        sent = time.monotonic()
        self.process.send_signal(sig)
        code = self.wait(timeout)
        return code, time.monotonic() - sent

    def kill(self) -> None:
        """Kill it if it still runs (a test's `finally`)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self._close()

    def _close(self) -> None:
        if self._reader is not None:
            self._reader.join(5)
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()

    def _read(self) -> None:
        assert self.process is not None
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.append(line)
