"""What a command handler receives and returns, and how commands are declared."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal, Protocol

from bot.cards import Card
from bot.command_options import Option
from bot.deadline import Deadline
from bot.errors import NoVeniceKey
from bot.invocation import Invocation
from bot.venice.source import BillingSource
from bot.workspaces import ReadPolicy, WorkspaceKeys

if TYPE_CHECKING:
    from bot.ports import PostReport
    from bot.schedule import DigestTime
    from bot.store.alerts import AlertRuleRecord, StoredRule
    from bot.store.digests import DigestSchedule

# words: every argument as written, for commands with their own small grammar (`digest on 09:00`).
Argument = Literal["period", "limit", "topic", "words"]
# Who may run a command: anyone; whoever the workspace's read policy lets read billing; admins.
Access = Literal["anyone", "read", "admin"]


@dataclass(frozen=True, slots=True)
class Caller:
    """Who runs a command, as the adapter vouches: a stable id, a display name, admin or not."""

    user_id: str
    name: str = ""
    is_admin: bool = False
    # The caller's IANA time zone when the platform knows it (Slack's users.info `tz`).
    time_zone: str | None = None

    @property
    def display(self) -> str:
        """How audit rows and `status` name this caller: `name (id)`, or the id alone."""
        if self.name and self.name != self.user_id:
            return f"{self.name} ({self.user_id})"
        return self.user_id


class DigestControl(Protocol):
    """What the `digest` command may do (bot.digest.runner.DigestRunner implements it)."""

    async def schedule(
        self,
        workspace_id: str,
        channel_id: str,
        when: DigestTime,
        *,
        skip_empty: bool,
        by: Caller | None,
        now: datetime,
    ) -> DigestSchedule: ...

    async def unschedule(self, workspace_id: str, channel_id: str) -> bool: ...

    async def schedules(self, workspace_id: str) -> list[DigestSchedule]: ...

    async def preview(self, workspace_id: str, now: datetime) -> Card: ...

    async def post_now(self, workspace_id: str, channel_id: str, now: datetime) -> PostReport: ...


class AlertControl(Protocol):
    """What the `alert` command may do (bot.alerts.control.AlertController implements it)."""

    async def add(
        self,
        workspace_id: str,
        channel_id: str,
        rule: StoredRule,
        *,
        by: Caller | None,
        now: datetime,
    ) -> AlertRuleRecord: ...

    async def remove(self, workspace_id: str, rule_id: int) -> bool: ...

    async def remove_all(self, workspace_id: str, channel_id: str | None) -> int: ...

    async def rules(self, workspace_id: str) -> list[AlertRuleRecord]: ...

    async def snooze(
        self, workspace_id: str, rule_id: int, until: datetime | None, *, now: datetime
    ) -> AlertRuleRecord | None: ...

    async def ack(
        self, workspace_id: str, rule_id: int, *, by: Caller | None, now: datetime
    ) -> AlertRuleRecord | None: ...

    async def preview(self, record: AlertRuleRecord, now: datetime) -> Card: ...


class CommandServices(Protocol):
    """What a context gives only when a handler asks: each costs a query or a service built."""

    async def digest_control(self) -> DigestControl | None:
        """The digest service, or None where digests cannot be posted."""
        ...

    async def workspace_time_zone(self) -> str | None:
        """The workspace's own time zone, when known (a default for `digest on`)."""
        ...

    async def alert_control(self) -> AlertControl | None:
        """The alert rules' service, or None outside a workspace."""
        ...


@dataclass(frozen=True, slots=True)
class FixedServices:
    """Services known up front: none outside a workspace (`ask` with the env key), or given."""

    digests: DigestControl | None = None
    time_zone: str | None = None
    alerts: AlertControl | None = None

    async def digest_control(self) -> DigestControl | None:
        return self.digests

    async def workspace_time_zone(self) -> str | None:
        return self.time_zone

    async def alert_control(self) -> AlertControl | None:
        return self.alerts


NO_SERVICES = FixedServices()


@dataclass(frozen=True, slots=True)
class CommandContext:
    """Everything a handler may use. `now` is timezone-aware UTC; `source` is None with no key.

    `workspace_id` and `keys` are None outside a workspace (`venice-bot ask` with the env key);
    `caller` is None when nobody vouched for the caller, who then counts as no admin.
    `commands` is the registry the command was parsed against (`help` lists it).
    """

    now: datetime
    deadline: Deadline
    source: BillingSource | None = None
    workspace_id: str | None = None
    caller: Caller | None = None
    read_policy: ReadPolicy = "everyone"
    keys: WorkspaceKeys | None = None
    # The channel the command was typed in (None in the terminal).
    channel_id: str | None = None
    # The digest service and the workspace's zone, given lazily (only `digest` asks for them).
    services: CommandServices = NO_SERVICES
    commands: Mapping[str, CommandSpec] = field(kw_only=True)

    async def digest_control(self) -> DigestControl | None:
        """The digest service (None where digests cannot be posted: `ask` without a workspace)."""
        return await self.services.digest_control()

    async def workspace_time_zone(self) -> str | None:
        """The workspace's own time zone, when known (a default for `digest on`)."""
        return await self.services.workspace_time_zone()

    async def alert_control(self) -> AlertControl | None:
        """The alert rules' service (None outside a workspace: `ask` with the env key)."""
        return await self.services.alert_control()

    def workspace_scope(self) -> tuple[str, WorkspaceKeys] | None:
        """This workspace's id and key store, or None outside a workspace (the env key)."""
        if self.workspace_id is None or self.keys is None:
            return None
        return self.workspace_id, self.keys

    def billing(self) -> BillingSource:
        """The tenant's billing source, or NoVeniceKey when no key is configured."""
        if self.source is None:
            raise NoVeniceKey("No Venice key is configured.")
        return self.source


Handler = Callable[[Invocation, CommandContext], Awaitable[Card]]


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """One command, declared once: the parser, help, Slack and Discord all read this."""

    name: str
    summary: str
    usage: str
    examples: tuple[str, ...]
    arguments: tuple[Argument, ...]
    handler: Handler
    details: str = ""
    access: Access = "read"
    # For admin-only commands, what a refusal says only admins can do: "connect a Venice key".
    admin_action: str = ""
    # A command that collects a secret privately: any text after its name is treated as a
    # pasted secret, refused and never quoted back.
    secret_input: bool = False
    # A billing report others may want to see: adapters offer Share to channel. Help, status,
    # errors and key management always stay private.
    shareable: bool = False
    # What the command needs of the database, said when it does not answer: nothing (answered
    # as usual), a read (the workspace's key), or a change ("nothing was changed").
    store: Literal["none", "reads", "changes"] = "reads"
    # Its arguments as named options, in order (bot/command_options.py): what Discord offers.
    options: tuple[Option, ...] = ()
