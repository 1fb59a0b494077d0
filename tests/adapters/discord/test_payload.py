"""The application-command payload obeys Discord's rules and names every core command."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from discord import app_commands

from adapters.discord.commands import (
    MAX_CHOICES,
    PERIOD_SUGGESTIONS,
    describe,
    period_autocomplete,
    venice_group,
)
from adapters.discord.registration import commands_payload
from bot.command_options import MAX_LIMIT
from bot.command_spec import CommandSpec
from bot.registry import COMMANDS

NAME = re.compile(r"^[-_a-z0-9]{1,32}$")
SUBCOMMAND, STRING, INTEGER, BOOLEAN = 1, 3, 4, 5


def discord_rule_breaches(command: dict[str, Any], where: str = "") -> list[str]:
    """Every way COMMAND (or an option under it) breaks Discord's application-command rules."""
    here = f"{where}/{command.get('name')}"
    problems: list[str] = []
    if not NAME.fullmatch(str(command.get("name", ""))):
        problems.append(f"{here}: name must match {NAME.pattern}")
    if not 1 <= len(command.get("description", "")) <= 100:
        problems.append(f"{here}: description must be 1-100 characters")
    options = command.get("options") or []
    if len(options) > 25:
        problems.append(f"{here}: {len(options)} options, at most 25")
    names = [option["name"] for option in options]
    if len(names) != len(set(names)):
        problems.append(f"{here}: option names repeat: {names}")
    required = [bool(option.get("required")) for option in options]
    if required != sorted(required, reverse=True):
        problems.append(f"{here}: a required option follows an optional one")
    for option in options:
        choices = option.get("choices") or []
        if len(choices) > 25:
            problems.append(f"{here}/{option['name']}: {len(choices)} choices, at most 25")
        for choice in choices:
            if not 1 <= len(choice["name"]) <= 100:
                problems.append(f"{here}/{option['name']}: choice name over 100 characters")
        if choices and option.get("autocomplete"):
            problems.append(f"{here}/{option['name']}: choices and autocomplete together")
        problems.extend(discord_rule_breaches(option, here))
    return problems


def test_the_payload_obeys_discords_rules():
    payload = commands_payload()
    assert len(payload) == 1
    assert [problem for command in payload for problem in discord_rule_breaches(command)] == []


def test_the_rule_check_catches_what_discord_refuses():
    bad = {
        "name": "Top Keys",
        "description": "x" * 101,
        "options": [
            {"name": "a", "description": "ok", "required": False},
            {"name": "a", "description": "", "required": True},
        ],
    }
    problems = "\n".join(discord_rule_breaches(bad))
    for expected in ("name must match", "description must be", "repeat", "required option"):
        assert expected in problems


def test_venice_is_one_guild_only_group_with_a_subcommand_per_core_command():
    (venice,) = commands_payload()
    assert venice["name"] == "venice"
    assert venice["dm_permission"] is False
    assert venice["contexts"] == [0]  # guild only
    # Nothing hides the group from members: reads follow the core's access policy, and the
    # admin subcommands are enforced by checks (default_permissions would hide them all).
    assert venice["default_member_permissions"] is None
    subcommands = venice["options"]
    assert all(option["type"] == SUBCOMMAND for option in subcommands)
    # The Discord group, the core registry: the same commands in the same order.
    assert [option["name"] for option in subcommands] == list(COMMANDS)


def test_every_registry_command_has_a_subcommand_built_from_it():
    group = venice_group()
    for spec in COMMANDS.values():
        command = group.get_command(spec.name)
        assert isinstance(command, app_commands.Command), f"no /venice {spec.name}"
        assert command.description == describe(spec.summary)


def test_descriptions_are_cut_at_a_word_within_100_characters():
    long = "word " * 40
    cut = describe(long)
    assert len(cut) <= 100
    assert cut.endswith("…")
    assert not cut.endswith(" …")
    assert describe("Short and sweet") == "Short and sweet"


def _options(name: str) -> dict[str, dict[str, Any]]:
    (venice,) = commands_payload()
    (command,) = [option for option in venice["options"] if option["name"] == name]
    return {option["name"]: option for option in command.get("options", [])}


def _takes(spec: CommandSpec, argument: str) -> bool:
    return argument in spec.arguments


@pytest.mark.parametrize("spec", list(COMMANDS.values()), ids=list(COMMANDS))
def test_options_follow_what_each_command_takes(spec: CommandSpec):
    options = _options(spec.name)
    if _takes(spec, "period"):
        period = options["period"]
        assert period["type"] == STRING
        assert period["autocomplete"] is True
        assert not period["required"]  # free text or nothing: the core has the default
    if _takes(spec, "limit"):
        n = options["n"]
        assert (n["type"], n["min_value"], n["max_value"]) == (INTEGER, 1, MAX_LIMIT)
    if not spec.arguments:
        assert options == {}
    if _takes(spec, "words"):
        return  # a grammar of its own: its options are tested one by one below
    assert len(options) == len(spec.arguments)


def test_digest_offers_its_actions_and_optional_schedule_words():
    options = _options("digest")
    assert [choice["value"] for choice in options["action"]["choices"]] == [
        "on",
        "off",
        "status",
        "preview",
        "now",
    ]
    assert [(name, option["type"]) for name, option in options.items()] == [
        ("action", STRING),
        ("time", STRING),
        ("timezone", STRING),
        ("days", STRING),
        ("skip_empty", BOOLEAN),
    ]
    assert not any(option.get("required") for option in options.values())
    assert options["timezone"]["autocomplete"] is True


async def test_time_zone_autocomplete_finds_cities_and_stays_within_discords_limits():
    from adapters.discord.commands import zone_autocomplete

    async def suggest(typed: str) -> list[str]:
        return [str(choice.value) for choice in await zone_autocomplete(None, typed)]  # type: ignore[arg-type]

    assert await suggest("madrid") == ["Europe/Madrid"]
    assert (await suggest("utc"))[:1] == ["UTC"]
    assert len(await suggest("")) == MAX_CHOICES
    assert await suggest("Mars/Olympus") == []


def test_help_offers_every_command_as_a_choice_and_access_the_two_policies():
    help_choices = [choice["value"] for choice in _options("help")["command"]["choices"]]
    assert set(COMMANDS) <= set(help_choices)
    access_choices = [choice["value"] for choice in _options("access")["who"]["choices"]]
    assert access_choices == ["everyone", "admins"]


@pytest.mark.parametrize("spec", list(COMMANDS.values()), ids=list(COMMANDS))
def test_admin_commands_and_only_those_check_for_manage_server(spec: CommandSpec):
    command = venice_group().get_command(spec.name)
    assert isinstance(command, app_commands.Command)
    assert (len(command.checks) == 1) is (spec.access == "admin")


async def _suggest(typed: str) -> list[str]:
    started = time.perf_counter()
    choices = await period_autocomplete(None, typed)  # type: ignore[arg-type]
    assert time.perf_counter() - started < 0.1  # far within Discord's 3 s
    assert len(choices) <= MAX_CHOICES
    return [str(choice.value) for choice in choices]


async def test_period_autocomplete_suggests_the_forms_and_keeps_free_text():
    assert await _suggest("") == list(PERIOD_SUGGESTIONS)
    assert await _suggest("this") == ["this-month"]
    assert await _suggest("LAST") == ["last-month"]
    assert (await _suggest("14"))[0] == "14d"
    assert "1d" not in await _suggest("91")  # beyond what Venice answers: no Nd offered
    assert await _suggest("2026-10-01..2026-10-31") == ["2026-10-01..2026-10-31"]
    assert await _suggest("x" * 200) == ["x" * 32]  # Discord's max_length for the option
