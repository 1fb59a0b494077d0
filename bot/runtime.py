"""The services one process builds once at start-up and passes to whatever needs them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from pydantic import SecretStr

from bot.commands.base import CommandContext
from bot.core import Answer, answer
from bot.deadline import Deadline
from bot.settings import Settings
from bot.venice.client import VeniceAccount, VeniceClient, make_http_client
from bot.venice.source import BillingSource


@dataclass
class Runtime:
    """One shared HTTP client and Venice client per process; tenants differ only by key."""

    settings: Settings
    http: httpx.AsyncClient
    venice: VeniceClient

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        """Create the process-wide clients from settings."""
        http = make_http_client(
            connect_timeout=settings.connect_timeout, read_timeout=settings.read_timeout
        )
        venice = VeniceClient(http, settings.venice_api_base, read_timeout=settings.read_timeout)
        return cls(settings, http, venice)

    def source_for(self, key: SecretStr | None) -> BillingSource | None:
        """The billing source of one Venice key (None when there is no key)."""
        if key is None or not key.get_secret_value().strip():
            return None
        return VeniceAccount(self.venice, key)

    async def ask(self, text: str, key: SecretStr | None) -> Answer:
        """Answer one command text with KEY, within the configured time budget."""
        ctx = CommandContext(
            now=datetime.now(UTC),
            deadline=Deadline.after(self.settings.request_budget),
            source=self.source_for(key),
        )
        return await answer(text, ctx)

    async def aclose(self) -> None:
        await self.http.aclose()
