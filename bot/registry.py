"""Every command, in the order help lists them. Slack, Discord and the CLI read this registry."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from bot.command_spec import CommandSpec
from bot.commands import (
    access,
    alert,
    balance,
    connect,
    digest,
    disconnect,
    help,
    status,
    top_keys,
    top_models,
    usage,
)

COMMANDS: Mapping[str, CommandSpec] = MappingProxyType(
    {
        spec.name: spec
        for spec in (
            balance.SPEC,
            usage.SPEC,
            top_keys.SPEC,
            top_models.SPEC,
            digest.SPEC,
            alert.SPEC,
            status.SPEC,
            connect.SPEC,
            disconnect.SPEC,
            access.SPEC,
            help.SPEC,
        )
    }
)
