"""`venice-bot keys ...` and `venice-bot db upgrade`: workspaces' Venice keys from a terminal.

A key is read from standard input (without echo on a terminal), never from an argument, where
it would land in shell history and in every process listing.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic import SecretStr

from bot.command_spec import Caller
from bot.commands.status import utc_minute
from bot.deadline import Deadline
from bot.logs import register_secret
from bot.settings import Settings
from bot.workspaces import shown_fingerprint

if TYPE_CHECKING:
    from bot.startup import OpenedStore
    from bot.store.records import RotationReport

EXIT_DONE, EXIT_NOT_DONE, EXIT_INVALID = 0, 1, 2
MAX_KEY_INPUT = 4096  # far longer than any key; stops a stray `< big-file` early


def cli_caller() -> Caller:
    """Whoever runs the CLI on this machine is an admin of every workspace it can reach."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no login name (some containers): still an operator
        user = "unknown"
    return Caller("cli:" + user, user, is_admin=True)


def read_key(workspace_id: str) -> SecretStr:
    """The key from standard input: prompted without echo on a terminal, else read as piped."""
    if sys.stdin.isatty():
        text = getpass.getpass(f"Venice ADMIN key for {workspace_id} (not shown): ")
    else:
        text = sys.stdin.read(MAX_KEY_INPUT)
    key = SecretStr(text.strip())
    register_secret(key)
    return key


async def keys_set(workspace_id: str, settings: Settings) -> int:
    """Verify the key on standard input with Venice and store it for WORKSPACE_ID."""
    from adapters.console.render import render_text
    from bot.key_connection import connect_key
    from bot.runtime import Runtime

    key = read_key(workspace_id)
    if not key.get_secret_value():
        print(
            "venice-bot: no key on standard input: pipe it in "
            f"(`venice-bot keys set {workspace_id} < file`) or type it when asked.",
            file=sys.stderr,
        )
        return EXIT_INVALID
    runtime = Runtime.build(settings)
    try:
        opened = await runtime.open_store(check_keys=False)
        deadline = Deadline.after(settings.request_budget)
        result = await connect_key(
            opened.store, runtime.venice, workspace_id, key, cli_caller(), deadline
        )
    finally:
        await runtime.aclose()
    if not result.ok:
        print(render_text(result.card), file=sys.stderr)
        return EXIT_NOT_DONE
    shown = shown_fingerprint(result.fingerprint or "")
    print(f"Stored the Venice admin key {shown} for {workspace_id}, checked with Venice.")
    return EXIT_DONE


async def keys_list(settings: Settings) -> int:
    """Every workspace with its key's fingerprint, type, who set it and when, last verified."""
    from bot.startup import open_store

    opened = await open_store(settings, check_keys=False)
    try:
        summaries = await opened.store.list_workspaces()
    finally:
        await opened.aclose()
    if not summaries:
        print("No workspaces yet. Store a key with `venice-bot keys set WORKSPACE`.")
        return EXIT_DONE
    rows = [("WORKSPACE", "KEY", "TYPE", "SET BY", "SET AT", "LAST VERIFIED", "NOTE")]
    for summary in summaries:
        info = summary.credential
        if info is None:
            rows.append((summary.workspace.id, "none", "", "", "", "", ""))
            continue
        note = info.last_error or ""
        if opened.keyring.get(info.key_id) is None:
            note = f"master key '{info.key_id}' missing from the keyring"
        rows.append(
            (
                summary.workspace.id,
                shown_fingerprint(info.fingerprint),
                info.key_type,
                info.set_by,
                utc_minute(info.set_at),
                utc_minute(info.last_verified_at),
                note,
            )
        )
    print(_table(rows))
    return EXIT_DONE


async def keys_remove(workspace_id: str, settings: Settings) -> int:
    """Delete WORKSPACE_ID's stored key (works even when its master key is gone)."""
    from bot.startup import open_store

    opened = await open_store(settings, check_keys=False)
    try:
        removed = await opened.store.remove_credential(workspace_id, by=cli_caller().display)
    finally:
        await opened.aclose()
    if not removed:
        print(f"venice-bot: no Venice key is stored for {workspace_id}; nothing removed.",
              file=sys.stderr)  # fmt: skip
        return EXIT_NOT_DONE
    print(f"Removed the Venice key of {workspace_id}.")
    return EXIT_DONE


async def keys_rotate(settings: Settings) -> int:
    """Re-encrypt every stored secret under the newest master key; safe to run again."""
    from bot.startup import open_store

    opened = await open_store(settings)
    try:
        report = await rotate_every_secret(opened, by=cli_caller().display)
    finally:
        await opened.aclose()
    newest = opened.keyring.newest.id
    print(
        f"Re-encrypted {report.re_encrypted} stored secret(s) under master key '{newest}'; "
        f"{report.already_current} already were."
    )
    if report.unreadable:
        print(
            f"venice-bot: could not read the stored key of {', '.join(report.unreadable)}; "
            "an admin should connect them again.",
            file=sys.stderr,
        )
        return EXIT_NOT_DONE
    if report.re_encrypted:
        print("Older master keys can now be dropped from the keyring.")
    return EXIT_DONE


async def rotate_every_secret(opened: OpenedStore, *, by: str) -> RotationReport:
    """Every stored secret re-sealed under the newest master key: the workspaces' Venice keys
    (the core's store), then Slack's installation tokens (the Slack adapter's tables)."""
    from adapters.slack.sealed_tokens import rotate_slack_tokens
    from bot.store.records import RotationReport

    venice = await opened.store.rotate_secrets(by=by)
    slack = await rotate_slack_tokens(opened.database, opened.store.box, by=by)
    return RotationReport(
        re_encrypted=venice.re_encrypted + slack.re_encrypted,
        already_current=venice.already_current + slack.already_current,
        unreadable=venice.unreadable + slack.unreadable,
    )


def new_master(key_id: str | None) -> int:
    """Print a new master key (`id:base64`) to put first in VENICE_BOT_MASTER_KEYS."""
    from bot.secrets.keyring import generate_master_key

    print(generate_master_key(key_id).encoded())
    print(
        "Put it first in VENICE_BOT_MASTER_KEYS (newest first), keep the older keys after it, "
        "then run `venice-bot keys rotate`.",
        file=sys.stderr,
    )
    return EXIT_DONE


async def db_upgrade(settings: Settings) -> int:
    """Create the database or migrate it to the newest schema."""
    from bot.startup import open_database

    # What there was before, so that the line says what happened: created, migrated, or nothing.
    before = await open_database(settings, upgrade=False)
    try:
        new = not await before.applied_migrations()
        pending = await before.pending_migrations()
    finally:
        await before.aclose()
    database = await open_database(settings, upgrade=True)
    await database.aclose()
    where = database.display_url
    if new:
        print(f"Created the database at {where} with this release's schema.")
    elif pending:
        print(f"Migrated the database at {where} to this release's schema.")
    else:
        print(f"The database at {where} is already up to date; nothing to do.")
    return EXIT_DONE


def _table(rows: Sequence[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )
