"""`venice-bot serve`: the Slack app (HTTP, or Socket Mode), the Discord bot and the health
routes, in one process with one Runtime, until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import uvicorn

from bot.errors import BotError
from bot.logs import register_secret
from bot.runtime import Runtime
from bot.settings import Settings
from bot.startup import settled_heap

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
    from slack_bolt.async_app import AsyncApp

    from adapters.slack.deps import SlackDeps

log = logging.getLogger(__name__)

NOTHING_CONFIGURED = (
    "venice-bot serve: nothing to serve; set SLACK_BOT_TOKEN (one Slack workspace) or "
    "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (Slack app installed with OAuth), and/or "
    "DISCORD_TOKEN."
)
NEEDS_SIGNING = (
    "venice-bot serve: SLACK_SIGNING_SECRET is not set, and the Slack app over HTTP must verify "
    "every request with it; copy it from your Slack app's Basic Information page (or set "
    "SLACK_APP_TOKEN to use Socket Mode)."
)
NEEDS_CLIENT_PAIR = (
    "venice-bot serve: SLACK_CLIENT_ID is set but SLACK_CLIENT_SECRET is not; the OAuth install "
    "needs both, from your Slack app's Basic Information page."
)
# However serve is stopped, it is gone within STOP_SECONDS (a watchdog makes sure): answers
# already acknowledged get up to DRAIN_SECONDS to reach Slack, requests in flight
# GRACEFUL_SECONDS, and the rest of the shutdown (the Discord client, the digest scheduler, the
# database) what is left of SHUTDOWN_SECONDS.
STOP_SECONDS = 10.0
SHUTDOWN_SECONDS = 6.5
DRAIN_SECONDS = 4.5
GRACEFUL_SECONDS = 3
CLOSE_SECONDS = 1.0  # at least, for the runtime (leases freed, database closed) at the end


def configuration_problem(settings: Settings) -> str | None:
    """One sentence saying what is missing, or None when `serve` can start."""
    if not settings.slack_configured and settings.discord_token is None:
        return NOTHING_CONFIGURED
    if settings.slack_client_id is not None and settings.slack_client_secret is None:
        return NEEDS_CLIENT_PAIR
    http_mode = settings.slack_configured and settings.slack_app_token is None
    if http_mode and settings.slack_signing_secret is None:
        return NEEDS_SIGNING
    return None


def serve(settings: Settings) -> int:
    """Run the configured Slack app, Discord bot and HTTP endpoints; returns the exit code."""
    problem = configuration_problem(settings)
    if problem is not None:
        print(problem, file=sys.stderr)
        return 1
    try:
        sock = bind(settings.host, settings.port)
    except OSError as error:
        reason = (error.strerror or type(error).__name__).lower()
        print(
            f"venice-bot serve: cannot listen on {settings.host}:{settings.port} ({reason}); "
            "set PORT (or VENICE_BOT_HOST) to another.",
            file=sys.stderr,
        )
        return 1
    service = Service(settings)
    with sock:
        return asyncio.run(service.main(sock))


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on HOST:PORT, bound before anything starts so a clash fails early."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto IPPROTO_TCP, not 0: asyncio turns Nagle off only on sockets that say they are TCP.
    # With Nagle on, a reply written in two parts waits for the client's delayed ACK (~40 ms).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except BaseException:
        sock.close()
        raise
    return sock


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: `serve` stops every part on SIGINT/SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class Service:
    """One `serve` process. `main()` runs it on a bound socket; `stop()` ends it from any thread.

    However it is stopped (SIGTERM, Ctrl-C, `stop()`, or a part ending), it is gone within
    STOP_SECONDS: answers already acknowledged get up to DRAIN_SECONDS, requests in flight
    GRACEFUL_SECONDS, and everything else what is left of SHUTDOWN_SECONDS before it is
    cancelled. A stop during start-up (a database or Slack that does not answer) cancels
    start-up. Run as a process, a watchdog exits at STOP_SECONDS whatever still hangs, and a
    second signal exits at once.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.started = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._stop_asked_at: float | None = None
        self._serving = False
        self._signalled = False

    def stop(self) -> None:
        """Ask the service to shut down (thread-safe; a no-op before it runs)."""
        if self._stop_asked_at is None:
            self._stop_asked_at = time.monotonic()
        if self._loop is not None and self._stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already finished
                self._loop.call_soon_threadsafe(self._stop.set)

    def _left(self) -> float:
        """Seconds of SHUTDOWN_SECONDS left since the stop was asked (at least a little)."""
        asked = self._stop_asked_at if self._stop_asked_at is not None else time.monotonic()
        return max(0.1, asked + SHUTDOWN_SECONDS - time.monotonic())

    async def main(self, sock: socket.socket) -> int:
        """Serve until stopped; 0 on a clean stop, 1 when a part failed or could not start."""
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._install_signal_handlers()
        for secret in _secrets(self.settings):
            register_secret(secret)
        runtime = Runtime.build(self.settings)
        run = asyncio.create_task(self._run(runtime, sock, self._stop), name="serve")
        stopping = asyncio.create_task(self._stop.wait(), name="stop")
        try:
            await asyncio.wait({run, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not run.done() and not self._serving:
                run.cancel()  # stopped while starting: nothing is running yet to drain
                log.info("venice-bot serve stopped while starting")
            with contextlib.suppress(asyncio.CancelledError):
                return await run
            return 0
        except BotError as error:  # StartupError, DatabaseUnavailable: one sentence each
            print(f"venice-bot serve: {error}", file=sys.stderr)
            return 1
        finally:
            stopping.cancel()
            try:
                await asyncio.wait_for(runtime.aclose(), max(self._left(), CLOSE_SECONDS))
            except TimeoutError:
                log.warning("closing took too long; leaving the rest to the operating system")

    async def _run(self, runtime: Runtime, sock: socket.socket, stop: asyncio.Event) -> int:
        from adapters.http_app import build_http_app
        from adapters.posters import build_posters, close_posters

        settings = self.settings
        if settings.slack_bot_token is not None and settings.slack_client_id is None:
            from adapters.slack.client import make_client
            from adapters.slack.token_check import check_bot_token

            token = settings.slack_bot_token.get_secret_value()
            await check_bot_token(token, make_client(settings))
        opened = await runtime.open_store()
        # Before the digest runner is built: it posts through these (the same dict).
        runtime.posters.update(build_posters(settings, opened))
        socket_mode = settings.slack_app_token is not None
        slack: AsyncApp | None = None
        deps: SlackDeps | None = None
        if settings.slack_configured:
            from adapters.slack.app import build_slack_app
            from adapters.slack.deps import SlackDeps

            deps = SlackDeps(runtime)
            slack = await build_slack_app(settings, runtime, opened, deps=deps)
        socket_handler: AsyncSocketModeHandler | None = None
        if slack is not None and settings.slack_app_token is not None:
            from adapters.slack.socket_mode import open_socket_mode

            socket_handler = await open_socket_mode(
                slack, settings.slack_app_token.get_secret_value()
            )
        app = build_http_app(runtime, slack, events=not socket_mode)
        server = _Server(
            uvicorn.Config(
                app,
                lifespan="off",
                log_config=None,  # keep the bot's logging (and its secret filter)
                access_log=False,
                timeout_graceful_shutdown=GRACEFUL_SECONDS,
            )
        )
        parts: set[asyncio.Task[None]] = set()
        try:
            parts.add(asyncio.create_task(server.serve(sockets=[sock]), name="http"))
            if socket_handler is not None:
                from adapters.slack.socket_mode import run_socket_mode

                parts.add(
                    asyncio.create_task(run_socket_mode(socket_handler, stop), name="socket mode")
                )
            if settings.discord_token is not None:
                from adapters.discord.runner import run_discord

                parts.add(asyncio.create_task(run_discord(runtime, stop), name="discord"))
            if settings.digest_scheduler == "on":
                from bot.digest.scheduler import run_scheduler

                runner = await runtime.digest_runner()
                interval = settings.digest_tick_seconds
                scheduler = run_scheduler(runner, stop, interval=interval, metrics=runtime.metrics)
                parts.add(asyncio.create_task(scheduler, name="digest scheduler"))
            if settings.alert_check_seconds > 0:
                from bot.alerts.sweep import run_sweeps

                sweeper = await runtime.alert_sweeper()
                sweeps = run_sweeps(
                    sweeper, stop, interval=settings.alert_check_seconds, metrics=runtime.metrics
                )
                parts.add(asyncio.create_task(sweeps, name="alert sweeps"))
            announce = asyncio.create_task(self._announce(server, socket_mode, sock))
            stopping = asyncio.create_task(stop.wait(), name="stop")
            self._serving = True
            # A signal, or any part ending (a failed Discord login), stops them all.
            with settled_heap():
                await asyncio.wait({*parts, stopping}, return_when=asyncio.FIRST_COMPLETED)
            announce.cancel()
            stopping.cancel()
        finally:
            if self._stop_asked_at is None:
                self._stop_asked_at = time.monotonic()  # a part ended: the same budget
            stop.set()
            server.should_exit = True
            if deps is not None:
                await deps.drain(min(DRAIN_SECONDS, self._left()))
            if parts:
                _, late = await asyncio.wait(parts, timeout=self._left())
                for task in late:
                    log.warning("%s did not stop in time; cancelled", task.get_name())
                    task.cancel()
                if late:
                    await asyncio.wait(late, timeout=1.0)
            try:
                await asyncio.wait_for(close_posters(runtime.posters), self._left())
            except TimeoutError:
                log.warning("closing the posters took too long")
        log.info("venice-bot serve stopped")
        return 1 if _failed(parts) else 0

    async def _announce(
        self, server: uvicorn.Server, socket_mode: bool, sock: socket.socket
    ) -> None:
        while not server.started:  # noqa: ASYNC110 (uvicorn exposes a flag, not an event)
            await asyncio.sleep(0.01)
        host, port = sock.getsockname()[:2]
        what = [part for part, on in _parts(self.settings, socket_mode) if on]
        what.append(f"HTTP on {host}:{port}")
        log.info("venice-bot serve: %s", ", ".join(what))
        self.started.set()

    def _install_signal_handlers(self) -> None:
        if threading.current_thread() is not threading.main_thread() or self._loop is None:
            return  # tests run the service in a thread and call stop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):  # Windows' loops have none
                self._loop.add_signal_handler(sig, self._on_signal)

    def _on_signal(self) -> None:
        """SIGTERM or Ctrl-C: stop, with a watchdog; a second one exits at once."""
        if self._signalled:
            _exit_now("stopped at once (a second signal)")
        self._signalled = True
        watchdog = threading.Timer(
            STOP_SECONDS - 0.5, _exit_now, args=(f"did not stop within {STOP_SECONDS:g} s",)
        )
        watchdog.daemon = True
        watchdog.start()
        self.stop()


def _exit_now(why: str) -> None:
    """End the process now, whatever still runs (the operating system closes the rest)."""
    with contextlib.suppress(OSError):
        os.write(2, f"venice-bot serve: {why}; exiting now\n".encode())
    os._exit(1)


def _failed(parts: set[asyncio.Task[None]]) -> bool:
    failed = False
    for task in parts:
        if not task.done() or task.cancelled():
            continue
        error = task.exception()
        if isinstance(error, BotError):  # says what is wrong in one sentence: no traceback
            log.error("%s stopped: %s", task.get_name(), error)
            failed = True
        elif error is not None:
            log.error("%s stopped: %s", task.get_name(), type(error).__name__, exc_info=error)
            failed = True
    return failed


def _parts(settings: Settings, socket_mode: bool) -> list[tuple[str, bool]]:
    slack = settings.slack_configured
    return [
        ("Slack over Socket Mode" if socket_mode else "Slack over HTTP", slack),
        ("multi-workspace (OAuth install)", slack and settings.slack_client_id is not None),
        ("Discord", settings.discord_token is not None),
        (
            f"digests every {settings.digest_tick_seconds:g} s",
            settings.digest_scheduler == "on",
        ),
    ]


def _secrets(settings: Settings) -> list[str]:
    values = (
        settings.slack_signing_secret,
        settings.slack_bot_token,
        settings.slack_client_secret,
        settings.slack_app_token,
        settings.discord_token,
    )
    return [value.get_secret_value() for value in values if value is not None]
