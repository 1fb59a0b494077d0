"""Running the simulator: in a background thread for tests and the demo, or in the foreground."""

from __future__ import annotations

import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from types import TracebackType

import uvicorn

from venice_simulator.accounts import EXAMPLE_KEYS
from venice_simulator.app import Simulator

STARTUP_TIMEOUT = 10.0


def _config(simulator: Simulator, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        simulator.app,
        host=host,
        port=port,
        http="h11",
        loop="asyncio",
        ws="none",
        lifespan="off",
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=2,
    )


def _base_url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/api/v1"


@dataclass
class RunningSimulator:
    """A simulator served in a daemon thread; `stop()` (or leaving the `with`) shuts it down."""

    base_url: str
    simulator: Simulator
    _server: uvicorn.Server = field(repr=False)
    _thread: threading.Thread = field(repr=False)
    _socket: socket.socket = field(repr=False)

    def stop(self) -> None:
        """Stop serving and wait for the thread; safe to call twice."""
        self._server.should_exit = True
        self._thread.join(timeout=STARTUP_TIMEOUT)
        self._socket.close()

    def __enter__(self) -> RunningSimulator:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_in_thread(
    simulator: Simulator | None = None, host: str = "127.0.0.1", port: int = 0
) -> RunningSimulator:
    """Serve `simulator` (a new one by default) on host:port (0: a free port) until stop()."""
    simulator = simulator or Simulator()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
        bound_port = sock.getsockname()[1]
        server = uvicorn.Server(_config(simulator, host, bound_port))
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="venice-simulator", daemon=True
        )
        thread.start()
    except BaseException:
        sock.close()
        raise
    running = RunningSimulator(_base_url(host, bound_port), simulator, server, thread, sock)
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            running.stop()
            raise RuntimeError("the Venice simulator did not start")
        time.sleep(0.005)
    return running


def serve_forever(host: str, port: int, seed: int = 7) -> int:
    """Serve a simulator in the foreground until interrupted (`venice-bot simulate`).

    Returns the exit status: 1 when the address cannot be bound (in use, or not this host's).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
        except OSError as error:
            reason = error.strerror or type(error).__name__
            print(
                f"venice-bot: cannot listen on {host}:{port} ({reason.lower()}); "
                "choose another with --port or --host.",
                file=sys.stderr,
            )
            return 1
        sock.listen(128)
        keys = ", ".join(f"{name}: {key}" for name, key in EXAMPLE_KEYS.items())
        bound = sock.getsockname()[1]
        print(f"Venice billing simulator at {_base_url(host, bound)} (keys: {keys})", flush=True)
        uvicorn.Server(_config(Simulator(seed), host, bound)).run(sockets=[sock])
    return 0
