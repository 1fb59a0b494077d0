"""No adapter decides by command name: what a command asks of a platform (a Confirm, a
SecretPrompt, its options, whether it is shareable) comes from its card and its spec, so a new
command needs no edit in Slack, Discord or the console. This test reads every adapter module and
fails on a string that is a command's name. Not counted: docstrings, dict keys (`"status"` in a
payload), a card's `kind=`, and the CLI (its own subcommands, `venice-bot digest`, are not the
chat commands)."""

from __future__ import annotations

import ast
from pathlib import Path

from bot.registry import COMMANDS

ADAPTERS = Path(__file__).resolve().parents[2] / "adapters"
OWN_COMMANDS = ADAPTERS / "cli"


def _not_counted(tree: ast.AST) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            skipped.add(id(body[0].value))  # a docstring
        if isinstance(node, ast.Dict):
            skipped.update(id(key) for key in node.keys if key is not None)
        if isinstance(node, ast.keyword) and node.arg == "kind":
            skipped.add(id(node.value))
    return skipped


def command_names_in(path: Path) -> list[str]:
    """`file:line: 'name'` for each string in PATH that is a command's name."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _not_counted(tree)
    return [
        f"{path.name}:{node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in skipped
        and node.value.strip() in COMMANDS
    ]


def test_no_adapter_names_a_command():
    found = [
        hit
        for path in sorted(ADAPTERS.rglob("*.py"))
        if OWN_COMMANDS not in path.parents
        for hit in command_names_in(path)
    ]
    assert found == []


def test_the_check_finds_a_name_a_branch_compares(tmp_path):
    module = tmp_path / "named.py"
    module.write_text(
        '"""Doc: disconnect."""\n'
        'if spec.name == "disconnect":\n'
        '    card = Card(kind="help", data={"status": 1})\n'
    )
    assert command_names_in(module) == ["named.py:2: 'disconnect'"]
