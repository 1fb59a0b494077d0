"""Every command, in the order help lists them. Slack, Discord and the CLI read this registry."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from bot.commands import (
    balance,
    connect,
    digest,
    disconnect,
    help,
    read_access,
    status,
    top_keys,
    top_models,
    usage,
)
from bot.commands.base import CommandSpec

COMMANDS: Mapping[str, CommandSpec] = MappingProxyType(
    {
        spec.name: spec
        for spec in (
            balance.SPEC,
            usage.SPEC,
            top_keys.SPEC,
            top_models.SPEC,
            digest.SPEC,
            status.SPEC,
            connect.SPEC,
            disconnect.SPEC,
            read_access.SPEC,
            help.SPEC,
        )
    }
)
