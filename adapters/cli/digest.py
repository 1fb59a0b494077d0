"""`venice-bot digest ...`: daily digest schedules from a terminal, and one scheduler tick.

`set`, `list` and `remove` edit the schedules in DATABASE_URL; `run-due` posts every digest due
at an instant and exits (cron, or several processes at once: each digest is still posted once).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from adapters.cli.posting import NOW_HELP, instant_of, posting_runtime
from bot.digest.words import at_phrase, days_phrase, local_and_utc
from bot.schedule import EVERY_DAY, DigestTime, ScheduleError, parse_days, parse_time, parse_zone
from bot.settings import Settings

EXIT_DONE, EXIT_NOT_DONE, EXIT_INVALID = 0, 1, 2
SET_EXAMPLE = "venice-bot digest set slack:T0123ABCD --channel C0456 --at 09:00 --tz Europe/Madrid"


def add_digest_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`digest set|list|remove|run-due` on the CLI's subcommands."""
    digest = commands.add_parser(
        "digest",
        help="daily digest schedules: set, list, remove, run-due",
        description="Each channel's daily digest: when it is posted (local time, IANA time "
        "zone, weekdays), and `run-due` to post the ones due now.",
    )
    actions = digest.add_subparsers(dest="digest_command", required=True, metavar="ACTION")
    schedule = actions.add_parser("set", help="schedule W's daily digest into channel C")
    schedule.add_argument("workspace", metavar="W", help="e.g. slack:T0123ABCD, discord:1122")
    schedule.add_argument("--channel", required=True, metavar="C", help="the channel id")
    schedule.add_argument("--at", required=True, metavar="HH:MM", help="local time, 24-hour")
    schedule.add_argument("--tz", required=True, metavar="Area/City", help="IANA time zone")
    schedule.add_argument(
        "--days", metavar="DAYS", help="mon-fri, mon,wed,fri, weekends... (default: every day)"
    )
    schedule.add_argument(
        "--skip-empty", action="store_true", help="post nothing on days without usage"
    )
    actions.add_parser("list", help="every schedule, with its next run and state")
    remove = actions.add_parser("remove", help="delete W's schedules (or channel C's only)")
    remove.add_argument("workspace", metavar="W")
    remove.add_argument("--channel", metavar="C", help="only this channel's schedule")
    run_due = actions.add_parser("run-due", help="post every digest due now (or at --now), exit")
    run_due.add_argument(
        "--now", metavar="ISO-8601", help="the instant to run at, e.g. 2026-12-01T08:00:00Z"
    )


async def dispatch_digest(args: argparse.Namespace, settings: Settings) -> int:
    """Run the `digest` action ARGS name."""
    from bot.workspaces import parse_workspace_id

    action = args.digest_command
    if action == "set":
        workspace = parse_workspace_id(args.workspace)
        return await digest_set(
            workspace, args.channel, args.at, args.tz, args.days, args.skip_empty, settings
        )
    if action == "list":
        return await digest_list(settings)
    if action == "remove":
        return await digest_remove(parse_workspace_id(args.workspace), args.channel, settings)
    if action == "run-due":
        return await run_due(args.now, settings)
    raise AssertionError(f"unhandled digest action {action}")


def invalid(message: str) -> int:
    """One sentence on standard error; exit 2."""
    print(f"venice-bot: {message}", file=sys.stderr)
    return EXIT_INVALID


async def digest_set(
    workspace: str,
    channel: str,
    at: str,
    zone: str,
    days: str | None,
    skip_empty: bool,
    settings: Settings,
) -> int:
    """Create or replace WORKSPACE's schedule in CHANNEL; prints its next run."""
    from adapters.cli.keys import cli_caller
    from bot.startup import open_database
    from bot.store.digests import DigestStore

    channel = channel.strip()
    if not channel or any(ch.isspace() or not ch.isprintable() for ch in channel):
        return invalid(f"--channel takes a channel id, like C0456 (e.g. `{SET_EXAMPLE}`).")
    try:
        when = DigestTime(parse_time(at), parse_zone(zone), parse_days(days) if days else EVERY_DAY)
    except ScheduleError as error:
        return invalid(f"{error.message} For example: `{SET_EXAMPLE}`.")
    database = await open_database(settings)
    try:
        schedule = await DigestStore(database).upsert(
            workspace,
            channel,
            when,
            skip_empty=skip_empty,
            by=cli_caller().display,
            by_id=None,
            now=datetime.now(UTC),
        )
    finally:
        await database.aclose()
    skip = ", skipped on days without usage" if skip_empty else ""
    print(
        f"Scheduled the daily digest of {workspace} in {channel}: "
        f"{at_phrase(when.at, when.time_zone)}, {days_phrase(when.weekdays)}{skip}; "
        f"next run {local_and_utc(schedule.due_at, when.time_zone)}."
    )
    return EXIT_DONE


async def digest_list(settings: Settings) -> int:
    """Every schedule: workspace, channel, time, zone, days, next run (UTC), state."""
    from bot.schedule import format_days, format_time
    from bot.startup import open_database
    from bot.store.digests import DigestStore

    database = await open_database(settings)
    try:
        schedules = await DigestStore(database).list_schedules()
    finally:
        await database.aclose()
    if not schedules:
        print(f"No digest schedules yet. Add one with `{SET_EXAMPLE}`.")
        return EXIT_DONE
    rows = [("WORKSPACE", "CHANNEL", "TIME", "ZONE", "DAYS", "NEXT RUN (UTC)", "STATE")]
    for s in schedules:
        state = "on" if s.enabled else f"disabled: {s.disabled_reason or 'off'}"
        if s.enabled and s.skip_empty:
            state = "on, skip-empty"
        rows.append(
            (
                s.workspace_id,
                s.channel_id,
                format_time(s.when.at),
                s.when.time_zone,
                format_days(s.when.weekdays),
                s.due_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M"),
                state,
            )
        )
    print(table(rows))
    return EXIT_DONE


async def digest_remove(workspace: str, channel: str | None, settings: Settings) -> int:
    """Delete WORKSPACE's schedules (CHANNEL's only when given); exit 1 when there were none."""
    from bot.startup import open_database
    from bot.store.digests import DigestStore

    database = await open_database(settings)
    try:
        removed = await DigestStore(database).remove(workspace, channel)
    finally:
        await database.aclose()
    where = f"{workspace} in {channel}" if channel else workspace
    if not removed:
        print(f"venice-bot: no digest is scheduled for {where}; nothing removed.", file=sys.stderr)
        return EXIT_NOT_DONE
    print(f"Removed {removed} digest schedule(s) of {where}.")
    return EXIT_DONE


async def run_due(now_text: str | None, settings: Settings) -> int:
    """Post every digest due at NOW_TEXT (default now), one line each, then a summary."""
    from bot.digest.scheduler import summary
    from bot.startup import settled_heap

    now = instant_of(now_text)
    if now is None:
        return invalid(NOW_HELP)
    async with posting_runtime(settings) as runtime:
        runner = await runtime.digest_runner()
        with settled_heap():
            report = await runner.run_due(now)
    for line in report.lines:
        print(line)
    said = summary(report) or "nothing was due"
    print(f"Digests at {now:%Y-%m-%d %H:%M:%S} UTC: {said}.")
    if report.interrupted is not None:
        print(
            f"venice-bot: the database could not be written ({report.interrupted}), so posting "
            "stopped. Run `venice-bot digest run-due` again once it answers: what may already "
            "be posted is looked for in its channel first, never posted twice.",
            file=sys.stderr,
        )
        return EXIT_NOT_DONE
    return EXIT_NOT_DONE if report.failed else EXIT_DONE


def table(rows: Sequence[tuple[str, ...]]) -> str:
    """Left-aligned columns two spaces apart."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )
