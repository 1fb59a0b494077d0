"""`help [COMMAND]`: what each command does, with examples, read from the registry."""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from bot.cards import Card, Field
from bot.command_options import DEFAULT_LIMIT, MAX_LIMIT, Option
from bot.command_spec import CommandContext, CommandSpec
from bot.echo import clip_echo
from bot.errors import CommandTextError
from bot.invocation import Invocation
from bot.period import DEFAULT_PERIOD, MAX_DAYS, PERIOD_FORMS

PERIOD_TOPICS = ("period", "periods")
PERIOD_NOTE = f"PERIOD is one of {PERIOD_FORMS}; the default is `{DEFAULT_PERIOD}`."


async def handle(invocation: Invocation, ctx: CommandContext) -> Card:
    """List every command, or explain the one named by the topic."""
    commands = ctx.commands
    topic = invocation.topic
    if topic is None:
        return overview_card(commands)
    if topic in PERIOD_TOPICS:
        return period_card()
    spec = commands.get(topic)
    if spec is None:
        raise _unknown_topic(topic, commands)
    return command_card(spec)


def overview_card(commands: Mapping[str, CommandSpec]) -> Card:
    """Every command with its usage, what it does and examples."""
    fields = tuple(
        Field(label=spec.usage, value=f"{_sentence(spec.summary)} {_examples(spec, 2)}".strip())
        for spec in commands.values()
    )
    return Card(
        title="Venice bot commands",
        kind="help",
        summary="Type a command after `/venice` in chat, or after `venice-bot ask` in a terminal.",
        fields=fields,
        notes=(PERIOD_NOTE, "For one command in detail, type `help COMMAND`, e.g. `help usage`."),
        data={"commands": [_command_data(spec) for spec in commands.values()]},
    )


def command_card(spec: CommandSpec) -> Card:
    """One command in detail: usage, the full description and every example."""
    fields = [Field("Usage", spec.usage)]
    if spec.examples:
        fields.append(Field("Examples", ", ".join(f"`{example}`" for example in spec.examples)))
    notes: list[str] = []
    if spec.details:
        notes.append(spec.details)
    # Some details already list the period forms; saying them twice is noise.
    if "period" in spec.arguments and "`this-month`" not in spec.details:
        notes.append(PERIOD_NOTE)
    if "limit" in spec.arguments:
        notes.append(
            f"N is how many rows to show, from 1 to {MAX_LIMIT}; the default is {DEFAULT_LIMIT}."
        )
    return Card(
        title=f"help: {spec.name}",
        kind="help",
        summary=_sentence(spec.summary),
        fields=tuple(fields),
        notes=tuple(notes),
        data={"commands": [_command_data(spec)]},
    )


def period_card() -> Card:
    """The PERIOD forms every reporting command takes."""
    return Card(
        title="help: periods",
        kind="help",
        summary=f"All days are UTC days; Venice answers at most {MAX_DAYS} days at a time.",
        fields=(
            Field("Nd", f"the last N days including today, 1 to {MAX_DAYS}: `usage 30d`"),
            Field("START..END", "inclusive dates: `usage 2026-10-01..2026-10-31`"),
            Field("today, yesterday", "one day: `usage yesterday`"),
            Field("this-month, last-month", "a calendar month: `top-models last-month`"),
        ),
        notes=(PERIOD_NOTE,),
        data={"periods": PERIOD_FORMS},
    )


def _unknown_topic(topic: str, commands: Mapping[str, CommandSpec]) -> CommandTextError:
    names = [*commands, *PERIOD_TOPICS[:1]]
    close = difflib.get_close_matches(topic, names, n=1, cutoff=0.6)
    hint = f" Did you mean `help {close[0]}`?" if close else " Type `help` to list them all."
    return CommandTextError(
        f"There is no command `{clip_echo(topic)}` to explain.{hint}",
        example=f"help {close[0]}" if close else "help",
    )


def _examples(spec: CommandSpec, count: int) -> str:
    shown = spec.examples[:count]
    if not shown:
        return ""
    return "e.g. " + ", ".join(f"`{example}`" for example in shown)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text.endswith((".", "!", "?")) else f"{text}."


def _command_data(spec: CommandSpec) -> dict[str, object]:
    return {
        "name": spec.name,
        "usage": spec.usage,
        "summary": spec.summary,
        "examples": list(spec.examples),
    }


SPEC = CommandSpec(
    name="help",
    summary="What each command does, with examples",
    usage="help [COMMAND]",
    examples=("help", "help usage", "help periods"),
    arguments=("topic",),
    options=(
        Option(
            "command",
            "The command to explain",
            choices=(PERIOD_TOPICS[0],),
            choices_of_commands=True,
        ),
    ),
    handler=handle,
    details=(
        "Without a command, lists every command with an example. With one, shows how to use it, "
        "what it answers and more examples. `help periods` explains the PERIOD forms."
    ),
    access="anyone",
    store="none",
)
