"""The `/venice` slash-command group: one subcommand per core command, built from the registry.

Each subcommand turns its typed options back into the command text the core parses
(`top-keys 30d 5`), so Discord, Slack and the CLI share one parser and one set of rules. Every
subcommand is answered the same way (`ask_and_reply`): the card may ask for a secret (the
modal opens) or ask a question (its buttons go under it), whatever the command.
"""

from __future__ import annotations

import asyncio
import functools
import zoneinfo
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

from discord import app_commands
from discord.app_commands import Choice, Range

from adapters.discord.checks import manage_server
from adapters.discord.confirm import ConfirmView
from adapters.discord.connect_modal import ConnectModal
from adapters.discord.interactions import (
    Interaction,
    caller_of,
    channel_of,
    sendable,
    workspace_of,
)
from adapters.discord.messages import reply_kwargs
from adapters.discord.slash_text import TOPIC
from bot.cards import Confirm, SecretPrompt
from bot.command_spec import DEFAULT_LIMIT, MAX_LIMIT, CommandSpec
from bot.command_text import parse_request
from bot.commands.access import DESCRIBED
from bot.commands.help import PERIOD_TOPICS
from bot.period import DEFAULT_PERIOD, MAX_DAYS
from bot.registry import COMMANDS
from bot.runtime import Runtime

GROUP_NAME = "venice"
GROUP_DESCRIPTION = "Venice.ai billing: DIEM and USD balance, usage, top keys and models"
MAX_DESCRIPTION = 100  # Discord's limit for command and option descriptions
MAX_CHOICES = 25  # Discord's limit for choices and autocomplete answers
PERIOD_MAX_LENGTH = 32  # the longest period form, `2026-10-01..2026-10-31`, is 22
ZONE_MAX_LENGTH = 64
DAYS_MAX_LENGTH = 32
PERIOD_SUGGESTIONS = {
    "7d": "the last 7 days",
    "30d": "the last 30 days",
    "90d": "the last 90 days",
    "this-month": "this calendar month",
    "last-month": "last calendar month",
    "today": "today (UTC)",
    "yesterday": "yesterday (UTC)",
}
PERIOD_HELP = (
    f"7d, 30d, 90d, this-month, last-month, today, yesterday or YYYY-MM-DD..YYYY-MM-DD "
    f"(default {DEFAULT_PERIOD})"
)
LIMIT_HELP = f"How many to show, 1-{MAX_LIMIT} (default {DEFAULT_LIMIT})"
# The word some commands take, as a named option with its choices: what Discord can offer.
TOPIC_OPTIONS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "help": (TOPIC["help"], "The command to explain", (*COMMANDS, PERIOD_TOPICS[0])),
    "access": (TOPIC["access"], "Who may read billing here (leave empty to see)", tuple(DESCRIBED)),
}

# How long the core may take before the interaction is deferred: a card that asks for a secret
# must open its modal as the first response (nothing may be deferred before a modal), and the
# core answers those at once. Well inside Discord's 3 s either way.
FIRST_RESPONSE_WAIT = 0.5

Callback = Callable[..., Coroutine[Any, Any, None]]
RuntimeRef = Callable[[], Runtime]


def venice_group(runtime: Runtime | None = None) -> app_commands.Group:
    """The `/venice` group. Without RUNTIME it only describes itself (the registration payload)."""
    group = app_commands.Group(
        name=GROUP_NAME,
        description=GROUP_DESCRIPTION,
        # Both forms: `dm_permission` for older clients, `contexts` as Discord documents today.
        guild_only=True,
        allowed_contexts=app_commands.AppCommandContext(guild=True),
        allowed_installs=app_commands.AppInstallationType(guild=True),
    )
    ref = _runtime_ref(runtime)
    for spec in COMMANDS.values():
        callback = _callback(spec, ref)
        if spec.access == "admin":
            callback = manage_server()(callback)
        group.add_command(
            app_commands.Command(
                name=spec.name, description=describe(spec.summary), callback=callback, parent=group
            )
        )
    return group


def describe(text: str) -> str:
    """A description within Discord's 100 characters, cut at a word with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= MAX_DESCRIPTION:
        return text
    return text[: MAX_DESCRIPTION - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def command_text(name: str, *arguments: str | int | None) -> str:
    """The core's command text: `top-keys 30d 5` (options left empty are left out)."""
    words = [name, *(str(argument).strip() for argument in arguments if argument is not None)]
    return " ".join(word for word in words if word)


async def period_autocomplete(interaction: Interaction, current: str) -> list[Choice[str]]:
    """Period suggestions matching what is typed; `14` offers `14d`; free text stays possible."""
    typed = current.strip().lower()[:PERIOD_MAX_LENGTH]
    suggestions = dict(PERIOD_SUGGESTIONS)
    if typed.isascii() and typed.isdigit() and 1 <= int(typed) <= MAX_DAYS:
        suggestions = {f"{int(typed)}d": f"the last {int(typed)} days", **suggestions}
    choices = [
        Choice(name=f"{value}: {meaning}", value=value)
        for value, meaning in suggestions.items()
        if value.startswith(typed)
    ]
    if typed and not choices:
        choices.append(Choice(name=typed, value=typed))  # a date range: the core checks it
    return choices[:MAX_CHOICES]


def _runtime_ref(runtime: Runtime | None) -> RuntimeRef:
    def ref() -> Runtime:
        if runtime is None:
            raise RuntimeError("this /venice group only describes the commands; it has no runtime")
        return runtime

    return ref


async def ask_and_reply(interaction: Interaction, runtime: Runtime, command_text: str) -> None:
    """Run COMMAND_TEXT for this member and server; reply privately (Share makes it public),
    or open the modal the card asks for, or put the question's buttons under it."""
    workspace = workspace_of(interaction)  # before anything, so a DM gets a clear answer
    request = parse_request(command_text, datetime.now(UTC).date())  # once: nothing re-reads it
    asking = asyncio.ensure_future(
        runtime.ask(
            request,
            workspace_id=workspace,
            caller=caller_of(interaction),
            channel_id=channel_of(interaction),
        )
    )
    done, _ = await asyncio.wait({asking}, timeout=FIRST_RESPONSE_WAIT)
    if done and isinstance(prompt := asking.result().card.ask, SecretPrompt):
        await interaction.response.send_modal(ConnectModal(runtime, prompt))
        return
    # Within Discord's 3 s: the answer may need Venice, which can take longer.
    await interaction.response.defer(ephemeral=True, thinking=True)
    answer = await asking
    kwargs = sendable(reply_kwargs(answer, command_text, private=True))
    if isinstance(confirm := answer.card.ask, Confirm):
        kwargs["view"] = ConfirmView(runtime, interaction.user.id, confirm)
    await interaction.followup.send(**kwargs)


def _callback(spec: CommandSpec, runtime: RuntimeRef) -> Callback:
    if spec.arguments == ():
        return _plain(spec.name, runtime)
    if spec.arguments == ("period",):
        return _with_period(spec.name, runtime)
    if spec.arguments == ("period", "limit"):
        return _with_period_and_limit(spec.name, runtime)
    if spec.arguments == ("topic",):
        return _with_topic(spec.name, runtime)
    if spec.arguments == ("words",) and spec.name == "digest":
        return _digest(runtime)
    raise ValueError(f"no Discord options for `{spec.name}` arguments {spec.arguments}")


def _plain(name: str, runtime: RuntimeRef) -> Callback:
    async def run(interaction: Interaction) -> None:
        await ask_and_reply(interaction, runtime(), name)

    return run


def _with_period(name: str, runtime: RuntimeRef) -> Callback:
    @app_commands.describe(period=PERIOD_HELP)
    @app_commands.autocomplete(period=period_autocomplete)
    async def run(
        interaction: Interaction, period: Range[str, 1, PERIOD_MAX_LENGTH] | None = None
    ) -> None:
        await ask_and_reply(interaction, runtime(), command_text(name, period))

    return run


def _with_period_and_limit(name: str, runtime: RuntimeRef) -> Callback:
    @app_commands.describe(period=PERIOD_HELP, n=LIMIT_HELP)
    @app_commands.autocomplete(period=period_autocomplete)
    async def run(
        interaction: Interaction,
        period: Range[str, 1, PERIOD_MAX_LENGTH] | None = None,
        n: Range[int, 1, MAX_LIMIT] | None = None,
    ) -> None:
        await ask_and_reply(interaction, runtime(), command_text(name, period, n))

    return run


def _with_topic(name: str, runtime: RuntimeRef) -> Callback:
    option, description, words = TOPIC_OPTIONS.get(name, ("topic", f"What `{name}` is about", ()))

    async def run(interaction: Interaction, topic: str | None = None) -> None:
        await ask_and_reply(interaction, runtime(), command_text(name, topic))

    run = app_commands.rename(topic=option)(run)
    run = app_commands.describe(topic=describe(description))(run)
    if words:
        choices = [Choice(name=word, value=word) for word in words[:MAX_CHOICES]]
        run = app_commands.choices(topic=choices)(run)
    return run


DIGEST_ACTIONS = ("on", "off", "status", "preview", "now")


def _digest(runtime: RuntimeRef) -> Callback:
    """`/venice digest action:on time:09:00 timezone:Europe/Madrid days:mon-fri skip_empty:True`."""

    @app_commands.describe(
        action="on, off, status (the default), preview (privately) or now (post it now)",
        time="Local time of day, 24-hour clock (default 09:00)",
        timezone="IANA time zone, e.g. Europe/Madrid (default UTC)",
        days="Weekdays, e.g. mon-fri, mon,wed,fri, weekends (default every day)",
        skip_empty="Skip days without usage (default no)",
    )
    @app_commands.choices(action=[Choice(name=word, value=word) for word in DIGEST_ACTIONS])
    @app_commands.autocomplete(timezone=zone_autocomplete)
    async def run(
        interaction: Interaction,
        action: str | None = None,
        time: Range[str, 1, 5] | None = None,
        timezone: Range[str, 1, ZONE_MAX_LENGTH] | None = None,
        days: Range[str, 1, DAYS_MAX_LENGTH] | None = None,
        skip_empty: bool | None = None,
    ) -> None:
        flag = "skip-empty" if skip_empty else None
        text = command_text("digest", action, time, timezone, days, flag)
        await ask_and_reply(interaction, runtime(), text)

    return run


async def zone_autocomplete(interaction: Interaction, current: str) -> list[Choice[str]]:
    """IANA zone names containing what is typed (`madrid` offers Europe/Madrid)."""
    typed = current.strip().lower().replace(" ", "_")[:ZONE_MAX_LENGTH]
    matches = [zone for zone in _zones() if typed in zone.lower()]
    matches.sort(key=lambda zone: (not zone.lower().startswith(typed), len(zone), zone))
    return [Choice(name=zone, value=zone) for zone in matches[:MAX_CHOICES]]


@functools.cache
def _zones() -> tuple[str, ...]:
    # Area/City names only (and UTC): the legacy aliases (`EST5EDT`, `US/Eastern`) are noise.
    names = {zone for zone in zoneinfo.available_timezones() if "/" in zone}
    return ("UTC", *sorted(names))
