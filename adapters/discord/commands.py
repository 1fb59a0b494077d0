"""The `/venice` slash-command group: one subcommand per core command, built from the registry.

Each subcommand turns its typed options back into the command text the core parses
(`top-keys 30d 5`), so Discord, Slack and the CLI share one parser and one set of rules. Every
subcommand is answered the same way (`ask_and_reply`): the card may ask for a secret (the
modal opens) or ask a question (its buttons go under it), whatever the command.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import zoneinfo
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any, Optional

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
from bot.cards import Confirm, SecretPrompt
from bot.command_options import PERIOD_MAX_LENGTH, Option, Suggestions, text_of_options
from bot.command_spec import CommandSpec
from bot.command_text import parse_request
from bot.period import MAX_DAYS
from bot.registry import COMMANDS
from bot.runtime import Runtime

GROUP_NAME = "venice"
GROUP_DESCRIPTION = "Venice.ai billing: DIEM and USD balance, usage, top keys and models"
MAX_DESCRIPTION = 100  # Discord's limit for command and option descriptions
MAX_CHOICES = 25  # Discord's limit for choices and autocomplete answers
MAX_INTEGER = 2**53  # Discord's limit for an integer option's value
ZONE_MAX_LENGTH = 64
PERIOD_SUGGESTIONS = {
    "7d": "the last 7 days",
    "30d": "the last 30 days",
    "90d": "the last 90 days",
    "this-month": "this calendar month",
    "last-month": "last calendar month",
    "today": "today (UTC)",
    "yesterday": "yesterday (UTC)",
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
    """`/venice NAME` with the options the spec declares, each typed as Discord offers it; the
    values go back into the command text the core parses (`top-keys 30d 5`)."""
    options = spec.options

    names = {option.name for option in options}

    async def run(interaction: Interaction, **values: object) -> None:
        if unknown := values.keys() - names:  # what the signature below would refuse
            raise TypeError(f"/venice {spec.name} has no option {sorted(unknown)}")
        text = text_of_options(spec.name, options, values)
        await ask_and_reply(interaction, runtime(), text)

    # discord.py reads a command's options from its callback's signature.
    first = inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    run.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [first.replace(annotation=Interaction), *map(_parameter, options)]
    )
    described = {option.name: describe(option.description) for option in options}
    if described:
        run = app_commands.describe(**described)(run)
    choices = {o.name: _choices(o) for o in options if o.choices or o.choices_of_commands}
    if choices:
        run = app_commands.choices(**choices)(run)
    suggested = {o.name: SUGGESTIONS[o.suggest] for o in options if o.suggest is not None}
    if suggested:
        run = app_commands.autocomplete(**suggested)(run)
    return run


def _parameter(option: Option) -> inspect.Parameter:
    """OPTION as the callback's keyword parameter: optional, typed as Discord should check it."""
    annotation: object
    if option.kind == "flag":
        annotation = bool
    elif option.kind == "integer":
        annotation = Range[int, option.minimum or 1, option.maximum or MAX_INTEGER]
    elif option.choices or option.choices_of_commands:
        annotation = str  # the choices bound it
    else:
        annotation = Range[str, 1, option.max_length]
    return inspect.Parameter(
        option.name,
        inspect.Parameter.KEYWORD_ONLY,
        default=None,
        annotation=Optional[annotation],  # noqa: UP045  (a runtime value, not an annotation)
    )


def _choices(option: Option) -> list[Choice[str]]:
    words = (*COMMANDS, *option.choices) if option.choices_of_commands else option.choices
    return [Choice(name=word, value=word) for word in words[:MAX_CHOICES]]


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


SUGGESTIONS: dict[
    Suggestions, Callable[[Interaction, str], Coroutine[Any, Any, list[Choice[str]]]]
] = {
    "periods": period_autocomplete,
    "time_zones": zone_autocomplete,
}
