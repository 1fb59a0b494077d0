"""`venice-bot`: the command-line entry point (ask, demo, simulate, version)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from bot import __version__
from bot.logs import configure_logging
from bot.settings import Settings

log = logging.getLogger("venice_bot.cli")

EXIT_ANSWERED, EXIT_NOT_ANSWERED, EXIT_INVALID = 0, 1, 2
_EXIT_CODES = {"answered": EXIT_ANSWERED, "invalid": EXIT_INVALID, "failed": EXIT_NOT_ANSWERED}


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
        description="Run one command through the core and print the reply. The key is "
        "VENICE_API_KEY. Exit 0 answered, 2 invalid command text, 1 not answered.",
    )
    ask.add_argument("text", nargs="+", metavar="TEXT", help="the command, e.g. 'usage 30d'")
    ask.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text for a terminal (default) or the JSON reply document",
    )

    commands.add_parser(
        "demo", help="interactive prompt against the built-in simulator (no account needed)"
    )

    simulate = commands.add_parser("simulate", help="serve the Venice billing simulator")
    simulate.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    simulate.add_argument("--port", type=int, default=8787, help="port to listen on (8787)")
    simulate.add_argument("--seed", type=int, default=7, help="seed of the simulated data (7)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code. No traceback ever reaches the user."""
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as error:
        # The message only, never the input: a rejected value may be a secret.
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc'])}: {e['msg'].removeprefix('Value error, ')}"
            for e in error.errors()
        )
        print(
            f"venice-bot: invalid configuration: {problems}. See the README's configuration table.",
            file=sys.stderr,
        )
        return EXIT_NOT_ANSWERED
    # A terminal user wants the reply, not the bot's INFO chatter, unless they asked for it.
    quiet = args.command in ("ask", "demo") and "LOG_LEVEL" not in os.environ
    configure_logging("WARNING" if quiet else settings.log_level, settings.log_format)
    try:
        return _dispatch(args, settings)
    except KeyboardInterrupt:
        return 130
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
        return asyncio.run(_ask(" ".join(args.text), args.format, settings))
    if args.command == "demo":
        from adapters.console.demo import run_demo

        return run_demo(settings)
    if args.command == "simulate":
        from bot.venice.simulator.server import serve_forever

        return serve_forever(args.host, args.port, seed=args.seed)
    raise AssertionError(f"unhandled command {args.command}")


async def _ask(text: str, fmt: str, settings: Settings) -> int:
    from adapters.console.render import render_json, render_text
    from bot.runtime import Runtime

    runtime = Runtime.build(settings)
    try:
        reply = await runtime.ask(text, settings.venice_api_key)
    finally:
        await runtime.aclose()
    if fmt == "json":
        print(render_json(reply.card))
    else:
        stream = sys.stdout if reply.outcome == "answered" else sys.stderr
        print(render_text(reply.card), file=stream)
    return _EXIT_CODES[reply.outcome]


if __name__ == "__main__":
    sys.exit(main())
