"""`venice-bot demo`: an interactive prompt against the built-in Venice simulator."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from pathlib import Path

from pydantic import SecretStr

from adapters.console.render import render_text
from bot.runtime import Runtime
from bot.settings import Settings
from bot.venice.simulator.server import start_in_thread

ACCOUNTS = {
    "team": ("sim-admin", "DIEM staking plus a USD balance"),
    "usd": ("sim-admin-usd", "USD only, no DIEM"),
    "empty": ("sim-admin-empty", "a new account with no usage and no funds"),
    "inference": ("sim-inference", "an INFERENCE key, to see the error a wrong key gives"),
}
PROMPT = "venice> "


def run_demo(settings: Settings) -> int:
    """Start the simulator in-process and answer commands typed at the prompt until EOF."""
    interactive = sys.stdin.isatty()
    history = _enable_history() if interactive else None
    with start_in_thread() as simulator:
        demo_settings = settings.model_copy(update={"venice_api_base": simulator.base_url})
        account = "team"
        _print_banner(simulator.base_url)
        with asyncio.Runner() as runner:
            runtime = Runtime.build(demo_settings)
            try:
                while (line := _read(PROMPT, interactive)) is not None:
                    text = line.strip()
                    if not text:
                        continue
                    if text.lower() in ("quit", "exit", ":q"):
                        break
                    if text.startswith(":"):
                        account = _meta(text, account)
                        continue
                    key = SecretStr(ACCOUNTS[account][0])
                    reply = runner.run(runtime.ask(text, key))
                    print(render_text(reply.card), end="\n\n", flush=True)
            finally:
                runner.run(runtime.aclose())
    if history is not None:
        _save_history(history)
    return 0


def _print_banner(base_url: str) -> None:
    print(
        "venice-bot demo: the built-in Venice simulator is answering at "
        f"{base_url}\n"
        "Try: balance · usage 30d · top-keys · top-models 7d 5 · help\n"
        "Switch accounts with :account team|usd|empty|inference. Leave with quit or Ctrl-D.\n",
        flush=True,
    )


def _meta(text: str, account: str) -> str:
    words = text[1:].split()
    if len(words) == 2 and words[0] == "account" and words[1] in ACCOUNTS:
        print(f"Now using the {words[1]} account: {ACCOUNTS[words[1]][1]}.\n", flush=True)
        return words[1]
    choices = "\n".join(f"  :account {name:<10} {what}" for name, (_, what) in ACCOUNTS.items())
    print(f"Demo commands:\n{choices}\n", flush=True)
    return account


def _read(prompt: str, interactive: bool) -> str | None:
    """One line from the user; None at end of input. Piped input is echoed for a readable log."""
    try:
        line = input(prompt) if interactive else sys.stdin.readline()
    except EOFError:
        print()
        return None
    except KeyboardInterrupt:  # like a shell: Ctrl-C abandons the line, Ctrl-D leaves
        print()
        return ""
    if not interactive:
        if line == "":
            return None
        print(f"{prompt}{line.rstrip()}", flush=True)
    return line


def _history_path() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "venice-bot" / "demo_history"


def _enable_history() -> Path | None:
    try:
        import readline
    except ImportError:  # Windows without pyreadline: the prompt still works, without history
        return None
    path = _history_path()
    readline.set_history_length(1000)
    if path.exists():
        with contextlib.suppress(OSError):
            readline.read_history_file(path)
    return path


def _save_history(path: Path) -> None:
    import readline

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        readline.write_history_file(path)
    except OSError:
        pass
