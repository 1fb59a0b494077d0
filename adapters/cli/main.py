"""`venice-bot`: the command-line entry point (ask, keys, digest, alert, db, serve, discord, demo,
simulate)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pydantic import ValidationError

from bot import __version__
from bot.errors import BotError, CommandTextError
from bot.logs import configure_logging, register_secret
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.core import Answer

log = logging.getLogger("venice_bot.cli")

EXIT_ANSWERED, EXIT_NOT_ANSWERED, EXIT_INVALID = 0, 1, 2
_EXIT_CODES = {
    "answered": EXIT_ANSWERED,
    "invalid": EXIT_INVALID,
    "failed": EXIT_NOT_ANSWERED,
    "forbidden": EXIT_NOT_ANSWERED,
}
# Terminal commands: a user wants the answer, not INFO logs (serve logs at LOG_LEVEL).
_QUIET_COMMANDS = ("ask", "demo", "keys", "digest", "alert", "db", "discord")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="venice-bot",
        description="Venice.ai billing in chat and in the terminal.",
        epilog="Documentation: README.md. Every setting is an environment variable.",
    )
    parser.add_argument("--version", action="version", version=f"venice-bot {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ask = commands.add_parser(
        "ask",
        help="run one command (e.g. 'usage 30d') and print the reply",
        description="Run one command through the core and print the reply. The key is the "
        "workspace's stored key with --workspace, else VENICE_API_KEY. Exit 0 answered, "
        "2 invalid command text, 1 not answered.",
    )
    ask.add_argument("text", nargs="+", metavar="TEXT", help="the command, e.g. 'usage 30d'")
    ask.add_argument(
        "--workspace",
        metavar="W",
        help="answer as workspace W (e.g. slack:T0123ABCD, console:local) with its stored key",
    )
    ask.add_argument(
        "--format",
        choices=("text", "json", "slack", "discord"),
        default="text",
        help="text for a terminal (default), the JSON reply document, or the exact Slack or "
        "Discord message",
    )

    _add_keys_parser(commands)
    from adapters.cli.alert import add_alert_parser
    from adapters.cli.digest import add_digest_parser

    add_digest_parser(commands)
    add_alert_parser(commands)
    db = commands.add_parser("db", help="create or migrate the database (DATABASE_URL)")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_commands.add_parser("upgrade", help="create the database or migrate it to the newest schema")

    commands.add_parser(
        "serve",
        help="run what is configured: the Slack app (HTTP on PORT or Socket Mode), the Discord "
        "bot, the digest scheduler",
    )
    discord = commands.add_parser(
        "discord", help="the Discord application commands: print or register them"
    )
    discord_actions = discord.add_subparsers(
        dest="discord_command", required=True, metavar="ACTION"
    )
    discord_actions.add_parser("commands", help="print the application-command payload as JSON")
    sync = discord_actions.add_parser(
        "sync", help="register the commands with Discord (needs DISCORD_TOKEN); a deploy step"
    )
    sync.add_argument(
        "--guild", type=int, metavar="ID", help="register in one server only (instant; for testing)"
    )

    commands.add_parser(
        "demo", help="interactive prompt against the built-in simulator (no account needed)"
    )

    simulate = commands.add_parser("simulate", help="serve the Venice billing simulator")
    simulate.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    simulate.add_argument("--port", type=int, default=8787, help="port to listen on (8787)")
    simulate.add_argument("--seed", type=int, default=7, help="seed of the simulated data (7)")
    return parser


def _add_keys_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    keys = commands.add_parser(
        "keys",
        help="workspaces' Venice keys: set, list, remove, rotate",
        description="Each workspace's Venice admin key, stored encrypted under the keyring "
        "(VENICE_BOT_MASTER_KEYS). Keys are read from standard input, never from arguments.",
    )
    actions = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    key_set = actions.add_parser(
        "set", help="check a key with Venice and store it for W (the key is read from stdin)"
    )
    key_set.add_argument("workspace", metavar="W", help="e.g. slack:T0123ABCD or console:local")
    actions.add_parser("list", help="workspaces with their keys' fingerprints (never the keys)")
    remove = actions.add_parser("remove", help="delete W's stored key")
    remove.add_argument("workspace", metavar="W")
    actions.add_parser("rotate", help="re-encrypt every stored key under the newest master key")
    new_master = actions.add_parser(
        "new-master", help="print a new master key for VENICE_BOT_MASTER_KEYS"
    )
    new_master.add_argument("--id", dest="key_id", help="its id (default: today's date)")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code. No traceback ever reaches the user."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.command == "keys":
        # Never quoted back: an extra argument to `keys set` is most likely a pasted key.
        print(
            "venice-bot: unexpected arguments (not shown). `keys` never takes a key as an "
            "argument: pipe it on standard input (`venice-bot keys set W < key-file`), or type "
            "it when asked.",
            file=sys.stderr,
        )
        return EXIT_INVALID
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        settings = Settings()
    except ValidationError as error:
        # The message only, never the input: a rejected value may be a secret.
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc'])}: {e['msg'].removeprefix('Value error, ')}"
            for e in error.errors()
        )
        print(
            f"venice-bot: invalid configuration: {problems}. See docs/configuration.md.",
            file=sys.stderr,
        )
        return EXIT_NOT_ANSWERED
    # A terminal user wants the reply, not the bot's INFO chatter, unless they asked for it.
    quiet = args.command in _QUIET_COMMANDS and not os.environ.get("LOG_LEVEL", "").strip()
    configure_logging("WARNING" if quiet else settings.log_level, settings.log_format)
    if settings.venice_api_key is not None:
        register_secret(settings.venice_api_key)
    try:
        return _dispatch(args, settings)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `venice-bot ... | head`: the reader left, which is not an error of the bot.
        _reader_left()
        return EXIT_ANSWERED
    except CommandTextError as error:  # a bad workspace id: invalid input
        print(f"venice-bot: {error.message}", file=sys.stderr)
        return EXIT_INVALID
    except BotError as error:  # start-up problems: keyring, database, a missing master key
        print(f"venice-bot: {error}", file=sys.stderr)
        return EXIT_NOT_ANSWERED
    except Exception as error:  # the last line of defence: say what, log the rest at DEBUG
        log.debug("unexpected error", exc_info=True)
        print(
            f"venice-bot: something went wrong inside the bot ({type(error).__name__}). "
            "Run with LOG_LEVEL=DEBUG for details and report it.",
            file=sys.stderr,
        )
        return EXIT_NOT_ANSWERED


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "ask":
        return asyncio.run(_ask(" ".join(args.text), args.format, args.workspace, settings))
    if args.command in ("keys", "db"):
        return _dispatch_keys(args, settings)
    if args.command == "digest":
        from adapters.cli.digest import dispatch_digest

        return asyncio.run(dispatch_digest(args, settings))
    if args.command == "alert":
        from adapters.cli.alert import dispatch_alert

        return asyncio.run(dispatch_alert(args, settings))
    if args.command == "demo":
        from adapters.console.demo import run_demo

        return run_demo(settings)
    if args.command == "serve":
        from adapters.serve import serve

        return serve(settings)
    if args.command == "discord":
        from adapters.discord import registration

        if args.discord_command == "commands":
            print(json.dumps(registration.commands_payload(), indent=2, ensure_ascii=False))
            return EXIT_ANSWERED
        return asyncio.run(registration.sync_commands(settings, args.guild))
    if args.command == "simulate":
        from venice_simulator.server import serve_forever

        return serve_forever(args.host, args.port, seed=args.seed)
    raise AssertionError(f"unhandled command {args.command}")


def _dispatch_keys(args: argparse.Namespace, settings: Settings) -> int:
    from adapters.cli import keys
    from bot.workspaces import parse_workspace_id

    if args.command == "db":
        return asyncio.run(keys.db_upgrade(settings))
    action = args.keys_command
    if action == "set":
        return asyncio.run(keys.keys_set(parse_workspace_id(args.workspace), settings))
    if action == "list":
        return asyncio.run(keys.keys_list(settings))
    if action == "remove":
        return asyncio.run(keys.keys_remove(parse_workspace_id(args.workspace), settings))
    if action == "rotate":
        return asyncio.run(keys.keys_rotate(settings))
    if action == "new-master":
        return keys.new_master(args.key_id)
    raise AssertionError(f"unhandled keys action {action}")


async def _ask(text: str, fmt: str, workspace: str | None, settings: Settings) -> int:
    from adapters.cli.keys import cli_caller
    from bot.command_text import parse_request
    from bot.runtime import Runtime

    workspace_id = None
    if workspace is not None:
        from bot.workspaces import parse_workspace_id

        workspace_id = parse_workspace_id(workspace)  # checked before anything is opened
    runtime = Runtime.build(settings)
    try:
        key = settings.venice_api_key if workspace_id is None else None
        # A typed terminal command is its own confirmation (`disconnect` deletes at once).
        request = parse_request(text, datetime.now(UTC).date(), confirmed=True)
        reply = await runtime.ask(request, key, workspace_id=workspace_id, caller=cli_caller())
    finally:
        await runtime.aclose()
    try:
        _print_reply(reply, text, fmt)
    except BrokenPipeError:  # `ask ... | head -1`: the reader left; the answer's code stands
        _reader_left()
    return _EXIT_CODES[reply.outcome]


def _print_reply(reply: Answer, text: str, fmt: str) -> None:
    from adapters.console.render import render_json, render_text

    if fmt == "json":
        print(render_json(reply.card))
    elif fmt == "slack":
        from adapters.slack.messages import reply_message

        print(json.dumps(reply_message(reply, text, private=True), indent=2, ensure_ascii=False))
    elif fmt == "discord":
        from adapters.discord.messages import reply_payload

        print(json.dumps(reply_payload(reply, text), indent=2, ensure_ascii=False))
    else:
        stream = sys.stdout if reply.outcome == "answered" else sys.stderr
        print(render_text(reply.card), file=stream)
    for stream in (sys.stdout, sys.stderr):
        stream.flush()  # a reader that left is seen here, not at exit


def _reader_left() -> None:
    """Point stdout and stderr at /dev/null, so the interpreter's final flush does not
    complain that the reader of a pipe left."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        os.dup2(devnull, stream.fileno())


if __name__ == "__main__":
    sys.exit(main())
