"""`venice-bot demo`: an interactive prompt against the built-in Venice simulator.

It runs on the embedded defaults, like a first install: a local keyring (created when none is
configured), its own SQLite file in the state directory (never DATABASE_URL), and the
`console:local` workspace connected to the simulator's team key through the real connect flow.

The prompt stands for one chat channel (`#demo`): `alert on ...` and `digest on` set their rules
there, and after each command the demo does what `serve` does on its timers (posts the digests
that are due, sweeps the alert rules), printing what would be posted into the channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from pydantic import SecretStr

from adapters.console.poster import ConsolePoster
from adapters.console.render import render_text
from bot.command_spec import Caller
from bot.command_text import parse_request
from bot.deadline import Deadline
from bot.errors import PastedSecret
from bot.key_connection import ConnectResult, connect_key
from bot.runtime import Runtime
from bot.settings import Settings
from bot.workspaces import CONSOLE_WORKSPACE, shown_fingerprint
from venice_simulator.accounts import EXAMPLE_KEYS
from venice_simulator.server import start_in_thread

ACCOUNTS = {
    "team": (EXAMPLE_KEYS["team"], "DIEM staking plus a USD balance"),
    "usd": (EXAMPLE_KEYS["usd"], "USD only, no DIEM"),
    "empty": (EXAMPLE_KEYS["empty"], "a new account with no usage and no funds"),
    "draining": (EXAMPLE_KEYS["draining"], "a USD balance that falls all day, minute by minute"),
    "inference": (EXAMPLE_KEYS["inference"], "an INFERENCE key, to see connect refuse it"),
}
PROMPT = "venice> "
DEMO_DATABASE = "demo.db"
DEMO_CHANNEL = "demo"  # the channel the prompt stands for


def run_demo(settings: Settings) -> int:
    """Start the simulator in-process and answer commands typed at the prompt until EOF."""
    interactive = sys.stdin.isatty()
    history = _enable_history() if interactive else None
    with start_in_thread() as simulator:
        demo_settings = settings.model_copy(
            update={"venice_api_base": simulator.base_url, "database_url": _demo_database()}
        )
        _print_banner(simulator.base_url)
        with asyncio.Runner() as runner:
            runtime = Runtime.build(demo_settings)
            runtime.posters["console"] = ConsolePoster()  # what is posted into #demo
            try:
                # Not checked for lost master keys: connecting below replaces the only row.
                runner.run(runtime.open_store(check_keys=False))
                result = runner.run(_connect(runtime, "team"))
                print(_connected_line(result, "team"), end="\n\n", flush=True)
                while (line := _read(PROMPT, interactive)) is not None:
                    text = line.strip()
                    # Parsed once, first: a pasted key is neither echoed nor kept in history.
                    # Typed at a prompt, a command is its own confirmation (as `venice-bot ask`).
                    request = parse_request(text, datetime.now(UTC).date(), confirmed=True)
                    pasted = request.command if isinstance(request, PastedSecret) else None
                    _keep(line, pasted, interactive)
                    if not text:
                        continue
                    if text.lower() in ("quit", "exit", ":q"):
                        break
                    if text.startswith(":"):
                        _meta(text, runner, runtime)
                        continue
                    reply = runner.run(
                        runtime.ask(
                            request,
                            workspace_id=CONSOLE_WORKSPACE,
                            caller=_caller(),
                            channel_id=DEMO_CHANNEL,
                        )
                    )
                    print(render_text(reply.card), end="\n\n", flush=True)
                    runner.run(_timers(runtime))
            finally:
                runner.run(runtime.aclose())
    if history is not None:
        _save_history(history)
    return 0


async def _timers(runtime: Runtime) -> None:
    """What `serve` does on its timers, once: post the digests due, sweep the alert rules (what
    they post is printed by the console poster)."""
    now = datetime.now(UTC)
    await (await runtime.digest_runner()).run_due(now)
    await (await runtime.alert_sweeper()).sweep(now)


def _print_banner(base_url: str) -> None:
    print(
        "venice-bot demo: the built-in Venice simulator is answering at "
        f"{base_url}\n"
        "Try: balance · usage 30d · top-keys · top-models 7d 5 · status · help\n"
        "Alerts: `:account draining` (its USD falls all day), `balance`, `alert on usd below`\n"
        "a dollar under it: within minutes a command's alert sweep posts it into #demo.\n"
        "Switch accounts with :account team|usd|empty|draining|inference.\n"
        "Leave with quit or Ctrl-D.",
        flush=True,
    )


def _demo_database() -> SecretStr:
    """The demo's own SQLite file in the state directory: never the production DATABASE_URL."""
    state = _state_dir()
    state.mkdir(mode=0o700, parents=True, exist_ok=True)
    return SecretStr(f"sqlite+aiosqlite:///{state / DEMO_DATABASE}")


def _caller() -> Caller:
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = "you"
    return Caller("console:" + user, user, is_admin=True)


async def _connect(runtime: Runtime, account: str) -> ConnectResult:
    """Connect `console:local` to ACCOUNT's key through the same flow chat admins use."""
    opened = await runtime.open_store()
    deadline = Deadline.after(runtime.settings.request_budget)
    key = SecretStr(ACCOUNTS[account][0])
    return await connect_key(
        opened.store, runtime.venice, CONSOLE_WORKSPACE, key, _caller(), deadline
    )


def _connected_line(result: ConnectResult, account: str) -> str:
    if not result.ok:
        return f"{render_text(result.card)}\n\n{CONSOLE_WORKSPACE} keeps the key it had."
    shown = shown_fingerprint(result.fingerprint or "")
    return (
        f"Connected {CONSOLE_WORKSPACE} to the simulator's {account} account "
        f"({ACCOUNTS[account][1]}), key {shown}."
    )


def _meta(text: str, runner: asyncio.Runner, runtime: Runtime) -> None:
    words = text[1:].split()
    if len(words) == 2 and words[0] == "account" and words[1] in ACCOUNTS:
        result = runner.run(_connect(runtime, words[1]))
        print(_connected_line(result, words[1]), end="\n\n", flush=True)
        return
    choices = "\n".join(f"  :account {name:<10} {what}" for name, (_, what) in ACCOUNTS.items())
    print(f"Demo commands:\n{choices}\n", flush=True)


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
    if not interactive and line == "":
        return None
    return line


def _keep(line: str, pasted_after: str | None, interactive: bool) -> None:
    """Piped input is echoed for a readable log; a line that pasted a secret (text after the
    command PASTED_AFTER, `connect`) is not shown there, nor kept in the readline history."""
    if interactive:
        if pasted_after is not None:
            _forget_last_line()
        return
    shown = f"{pasted_after} [not shown]" if pasted_after is not None else line.rstrip()
    print(f"{PROMPT}{shown}", flush=True)


def _forget_last_line() -> None:
    """Drop the line just typed from the readline history, which is saved to a file."""
    try:
        import readline
    except ImportError:
        return
    length = readline.get_current_history_length()
    if length > 0:
        readline.remove_history_item(length - 1)


def _state_dir() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "venice-bot"


def _history_path() -> Path:
    return _state_dir() / "demo_history"


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
