"""One command language everywhere: the core registry, both Slack manifests' `/venice` usage
hints and the Discord `/venice` group name exactly the same commands, in the same order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from adapters.discord.registration import commands_payload
from bot.registry import COMMANDS

ROOT = Path(__file__).resolve().parent.parent
MANIFESTS = [ROOT / "manifest.yaml", ROOT / "manifest.multi-workspace.yaml"]


def manifest_commands(path: Path) -> list[str]:
    manifest: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    (venice,) = [c for c in manifest["features"]["slash_commands"] if c["command"] == "/venice"]
    return [part.split()[0] for part in venice["usage_hint"].split(" | ")]


def discord_commands() -> list[str]:
    (group,) = [c for c in commands_payload() if c["name"] == "venice"]
    return [option["name"] for option in group["options"]]


def test_registry_manifest_and_discord_name_the_same_commands_in_order() -> None:
    registry = list(COMMANDS)
    for path in MANIFESTS:
        assert manifest_commands(path) == registry, path.name
    assert discord_commands() == registry
