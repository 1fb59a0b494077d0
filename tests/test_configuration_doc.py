"""docs/configuration.md documents every variable Settings reads, with its default, and names no
bot variable that nothing reads: a setting added, renamed or removed without the doc fails here."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import SecretStr

from bot.settings import Settings

DOC = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"
# Variables with these prefixes are the bot's own: the doc may name one only if something reads it.
BOT_PREFIXES = ("VENICE_", "SLACK_", "DISCORD_", "DIGEST_", "REDIS_", "DATABASE_", "LOG_")
ELSEWHERE_HEADING = "## Read outside the settings"
NAME = re.compile(r"`([A-Z][A-Z0-9_]{2,})`")


def settings_variables() -> dict[str, object]:
    """Each environment variable Settings reads, with its default value."""
    variables: dict[str, object] = {}
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        assert isinstance(alias, str), "every setting names its variable in validation_alias"
        variables[alias] = field.default
    return variables


def shown_default(value: object) -> str | None:
    """The default as the doc writes it; None when there is none to show."""
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def table_rows(text: str) -> dict[str, list[str]]:
    """Table rows by each variable named in their first cell: {name: cells}."""
    rows: dict[str, list[str]] = {}
    for line in text.splitlines():
        if not line.startswith("|") or line.startswith("|---"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        for name in NAME.findall(cells[0]):
            rows[name] = cells
    return rows


def problems(text: str) -> list[str]:
    """What is wrong with TEXT as the configuration reference; empty when nothing is."""
    settings_part, _, elsewhere_part = text.partition(ELSEWHERE_HEADING)
    documented = table_rows(settings_part)
    elsewhere = set(table_rows(elsewhere_part))
    found: list[str] = []
    for name, default in settings_variables().items():
        row = documented.get(name)
        if row is None:
            found.append(f"{name}: no row in a settings table")
            continue
        expected = shown_default(default)
        if expected is not None and (len(row) < 2 or f"`{expected}`" not in row[1]):
            found.append(f"{name}: the default column does not show `{expected}`")
    known = set(settings_variables()) | elsewhere
    for name in sorted(set(NAME.findall(text))):
        if name.startswith(BOT_PREFIXES) and name not in known:
            found.append(f"{name}: named in the doc, but Settings does not read it")
    return found


def test_the_doc_documents_every_setting_with_its_default_and_nothing_else() -> None:
    assert problems(DOC.read_text(encoding="utf-8")) == []


def test_a_setting_without_its_row_is_caught() -> None:
    text = DOC.read_text(encoding="utf-8")
    without_port = "\n".join(line for line in text.splitlines() if not line.startswith("| `PORT`"))
    assert problems(without_port) == ["PORT: no row in a settings table"]


def test_a_wrong_default_is_caught() -> None:
    text = DOC.read_text(encoding="utf-8")
    changed = text.replace("| `DIGEST_TICK_SECONDS` | `30` |", "| `DIGEST_TICK_SECONDS` | `60` |")
    assert changed != text
    assert problems(changed) == ["DIGEST_TICK_SECONDS: the default column does not show `30`"]


def test_a_variable_nothing_reads_is_caught_unless_listed_as_read_elsewhere() -> None:
    text = DOC.read_text(encoding="utf-8")
    mentioned = text.replace("## Logging", "Set `SLACK_SCOPES` too.\n\n## Logging")
    assert problems(mentioned) == ["SLACK_SCOPES: named in the doc, but Settings does not read it"]
    listed = mentioned + "| `SLACK_SCOPES` | slack-bolt | ignored: the bot sets its scopes |\n"
    assert problems(listed) == []
