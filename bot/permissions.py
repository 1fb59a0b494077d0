"""Who may run a command: its declared access, the caller's role and the workspace's policy."""

from __future__ import annotations

from bot.cards import Card, Tone
from bot.command_spec import Caller, CommandSpec
from bot.workspaces import ReadPolicy


def may_run(spec: CommandSpec, caller: Caller | None, read_policy: ReadPolicy) -> bool:
    """True when CALLER may run SPEC; nobody vouched for (None) counts as no admin."""
    is_admin = caller is not None and caller.is_admin
    if spec.access == "anyone":
        return True
    if spec.access == "admin":
        return is_admin
    return read_policy == "everyone" or is_admin


def forbidden_card(spec: CommandSpec, *, action: str | None = None) -> Card:
    """A private refusal that says who can do it, so the caller knows whom to ask. ACTION: what
    SPEC itself keeps to admins (bot.errors.Forbidden), when the command refused one of its own."""
    access = "admin" if action is not None else spec.access
    if access == "admin":
        action = action or spec.admin_action or f"run `{spec.name}`"
        summary = f"Only workspace admins can {action}; ask one of them."
    else:
        summary = (
            "In this workspace only admins can read billing (an admin chose that); ask one of them."
        )
    return Card(
        title="Admins only",
        kind="error",
        tone=Tone.WARNING,
        summary=summary,
        data={
            "error": "Forbidden",
            "status": None,
            "retry_after": None,
            "command": spec.name,
            "access": access,
        },
    )
