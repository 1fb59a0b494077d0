"""The services one process builds once at start-up and passes to whatever needs them."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import socket
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import httpx
from pydantic import SecretStr

from bot.cache import BillingCache
from bot.command_spec import AlertControl, Caller, CommandContext, DigestControl
from bot.core import Answer, answer, answer_store_unavailable, refused
from bot.deadline import Deadline
from bot.errors import CommandTextError, StoreUnavailable
from bot.invocation import Invocation
from bot.logs import log_fields, new_request_id, register_secret
from bot.metrics import Metrics
from bot.ports import Poster
from bot.registry import COMMANDS
from bot.settings import Settings
from bot.venice.client import VeniceAccount, VeniceClient, make_http_client
from bot.venice.source import BillingSource

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from bot.alerts.sweep import AlertSweeper
    from bot.digest.runner import DigestRunner
    from bot.startup import OpenedStore
    from bot.store.workspaces import WorkspaceStore

# The HMAC key of the cache's Venice-key fingerprints when no keyring is configured. Venice keys
# are long random strings, so even then a fingerprint cannot be turned back into a key.
CACHE_FINGERPRINT_SECRET = b"venice-bot cache fingerprint v1"
_FINGERPRINT_INFO = b"venice-bot cache fingerprint v1"


def cache_fingerprint_secret(settings: Settings) -> bytes:
    """The HMAC key of cache fingerprints: derived (HKDF-SHA256) from the newest master key when
    a keyring is configured, so a copy of Redis cannot even be matched against a known key.

    Every process sharing a Redis shares the keyring, hence the same fingerprints; after a
    master-key rotation the cache starts afresh, which costs one Venice call per query.
    """
    from bot.secrets import Keyring

    keyring = Keyring.from_settings(settings)
    if keyring is None:
        return CACHE_FINGERPRINT_SECRET
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_FINGERPRINT_INFO)
    return hkdf.derive(keyring.newest.material)


@dataclass
class Runtime:
    """One shared HTTP client and Venice client per process; tenants differ only by key."""

    settings: Settings
    http: httpx.AsyncClient
    venice: VeniceClient
    cache: BillingCache
    # The workspace store, opened on first use: `ask` without a workspace never opens it.
    opened: OpenedStore | None = field(default=None, kw_only=True)
    # Each platform's Poster by prefix ("slack", "discord", "console"); `serve` and
    # `digest run-due` fill it (adapters.posters.build_posters). Empty: nothing can be posted.
    posters: dict[str, Poster] = field(default_factory=dict, kw_only=True)
    # The process's /metrics series (bot/metrics.py).
    metrics: Metrics = field(default_factory=Metrics, kw_only=True)
    _digest_runner: DigestRunner | None = field(default=None, init=False, repr=False)
    _alert_sweeper: AlertSweeper | None = field(default=None, init=False, repr=False)
    # Who this process is in leases and deliveries: host, pid and a random part.
    owner: str = field(
        default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}",
        kw_only=True,
    )

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        """Create the process-wide clients from settings."""
        http = make_http_client(
            connect_timeout=settings.connect_timeout, read_timeout=settings.read_timeout
        )
        metrics = Metrics()
        venice = VeniceClient(
            http, settings.venice_api_base, read_timeout=settings.read_timeout, metrics=metrics
        )
        cache = BillingCache.from_settings(
            settings, fingerprint_secret=cache_fingerprint_secret(settings)
        )
        metrics.watch_cache(cache.counters.snapshot)
        return cls(settings, http, venice, cache, metrics=metrics)

    def source_for(self, key: SecretStr | None, tenant: str = "env") -> BillingSource | None:
        """The billing source of one Venice key, through the cache (None when there is no key).
        TENANT: "env" for VENICE_API_KEY, else the workspace id (`slack:T123`)."""
        if key is None or not key.get_secret_value().strip():
            return None
        return self.cache.source(tenant, key, VeniceAccount(self.venice, key))

    async def open_store(self, *, check_keys: bool = True) -> OpenedStore:
        """The workspace store, opened once (keyring, database, migrations, master-key check)."""
        if self.opened is None:
            # Imported here: SQLAlchemy and the keyring are not needed by `ask` with the env key.
            from bot.startup import open_store

            self.opened = await open_store(self.settings, check_keys=check_keys)
        return self.opened

    async def digest_runner(self) -> DigestRunner:
        """The digest runner of this process (built on first use, over the workspace store)."""
        if self._digest_runner is None:
            from bot.digest.runner import DigestRunner
            from bot.store.digests import DigestStore

            opened = await self.open_store()
            self._digest_runner = DigestRunner(
                digests=DigestStore(opened.database),
                workspaces=opened.store,
                source_for=self.source_for,
                posters=self.posters,
                owner=self.owner,
            )
            self._digest_runner.concurrency = self.settings.digest_concurrency
        return self._digest_runner

    async def alert_sweeper(self) -> AlertSweeper:
        """The alert sweeper of this process (built on first use, over the workspace store)."""
        if self._alert_sweeper is None:
            from bot.alerts.sweep import AlertSweeper
            from bot.store.alerts import AlertStore

            opened = await self.open_store()
            self._alert_sweeper = AlertSweeper(
                alerts=AlertStore(opened.database),
                workspaces=opened.store,
                source_for=self.source_for,
                posters=self.posters,
                owner=self.owner,
            )
        return self._alert_sweeper

    async def ask(
        self,
        request: Invocation | CommandTextError,
        key: SecretStr | None = None,
        *,
        workspace_id: str | None = None,
        caller: Caller | None = None,
        channel_id: str | None = None,
    ) -> Answer:
        """Answer one parsed command with KEY (tenant "env"), or with WORKSPACE_ID's stored key.
        REQUEST: what bot.command_text.parse_request made of the text (a refusal is answered as
        "invalid", counted and logged like any command). CHANNEL_ID: the chat channel it was
        typed in (where `digest on` schedules)."""
        started = time.monotonic()
        now = datetime.now(UTC)
        deadline = Deadline.after(self.settings.request_budget)
        named = request.command
        with log_fields(request_id=new_request_id(), workspace=workspace_id, command=named):
            if isinstance(request, CommandTextError):
                reply = refused(request)
            elif workspace_id is not None:
                reply = await self._ask_workspace(
                    request, workspace_id, caller, channel_id, now, deadline
                )
            else:
                if key is not None:
                    register_secret(key)
                source = self.source_for(key)
                ctx = CommandContext(
                    now=now, deadline=deadline, source=source, caller=caller, commands=COMMANDS
                )
                reply = await answer(request, ctx)
            seconds = time.monotonic() - started
            platform = workspace_id.partition(":")[0] if workspace_id else "env"
            self.metrics.command(reply.command, platform, reply.outcome, seconds)
            log.info(
                "%s %s in %d ms",
                reply.command or "command",
                reply.outcome,
                seconds * 1000,
                extra={"duration_ms": seconds * 1000},
            )
        return reply

    async def _ask_workspace(
        self,
        invocation: Invocation,
        workspace_id: str,
        caller: Caller | None,
        channel_id: str | None,
        now: datetime,
        deadline: Deadline,
    ) -> Answer:
        from bot.workspace_context import record_outcome, workspace_context

        store = (await self.open_store()).store
        try:
            ctx = await workspace_context(
                store,
                workspace_id,
                caller,
                lambda key, tenant: self.source_for(key, tenant=tenant),
                now=now,
                deadline=deadline,
                channel_id=channel_id,
                services=WorkspaceServices(self, store, workspace_id),
            )
        except StoreUnavailable:
            # Nothing of this workspace is known to this process: say so, whatever the command
            # (a typo was answered at the door with its own reply).
            bare = CommandContext(now=now, deadline=deadline, caller=caller, commands=COMMANDS)
            return await answer_store_unavailable(invocation, bare)
        reply = await answer(invocation, ctx)
        with contextlib.suppress(StoreUnavailable):  # the check is noted next time
            await record_outcome(store, workspace_id, reply, now=now)
        return reply

    async def aclose(self) -> None:
        if self._digest_runner is not None:
            runner, self._digest_runner = self._digest_runner, None
            try:
                await runner.release()  # another process may take them over at once
            except Exception as error:  # the leases expire on their own; closing goes on
                log.warning("could not release digest leases: %s", type(error).__name__)
        if self.opened is not None:
            await self.opened.aclose()
            self.opened = None
        await self.cache.aclose()
        await self.http.aclose()


@dataclass
class WorkspaceServices:
    """What a command in one workspace may ask for, built or read only when it asks: the digest
    service (over the workspace store) and the workspace's time zone (one query)."""

    runtime: Runtime
    store: WorkspaceStore
    workspace_id: str

    async def digest_control(self) -> DigestControl | None:
        return await self.runtime.digest_runner()

    async def workspace_time_zone(self) -> str | None:
        workspace = await self.store.get_workspace(self.workspace_id)
        return workspace.time_zone if workspace is not None else None

    async def alert_control(self) -> AlertControl | None:
        from bot.alerts.control import AlertController

        return AlertController(await self.runtime.alert_sweeper())
