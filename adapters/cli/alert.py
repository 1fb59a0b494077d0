"""`venice-bot alert ...`: alert rules from a terminal, and one sweep of them.

`add`, `list` and `remove` edit the rules in DATABASE_URL; `check` sweeps every rule once,
posting what crossed, and exits (cron with the scheduler off, or several processes at once:
each crossing is still posted once).
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from adapters.cli.digest import EXIT_DONE, EXIT_NOT_DONE, invalid, table
from adapters.cli.posting import NOW_HELP, instant_of, posting_runtime
from bot.settings import Settings

ADD_EXAMPLE = "venice-bot alert add slack:T0123ABCD --channel C0456 runway below 3d"


def add_alert_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`alert add|list|remove|check` on the CLI's subcommands."""
    alert = commands.add_parser(
        "alert",
        help="alert rules: add, list, remove, check",
        description="Alerts before the money runs out: each rule posts once when it crosses "
        "and once when it recovers. RULE is one of: usd below AMOUNT, diem used PERCENT, "
        "runway below DAYS, spend above AMOUNT, spike, key-cap PERCENT, funds-out.",
    )
    actions = alert.add_subparsers(dest="alert_command", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="add a rule for W's channel C; prints its id")
    add.add_argument("workspace", metavar="W", help="e.g. slack:T0123ABCD, discord:1122")
    add.add_argument("--channel", required=True, metavar="C", help="the channel id")
    add.add_argument("rule", nargs="+", metavar="RULE", help="e.g. usd below 25, key-cap 90%%")
    listing = actions.add_parser("list", help="every rule (of W only, when given) and its state")
    listing.add_argument("workspace", nargs="?", metavar="W")
    remove = actions.add_parser("remove", help="delete rule ID of W")
    remove.add_argument("workspace", metavar="W")
    remove.add_argument("id", metavar="ID")
    check = actions.add_parser("check", help="sweep every rule once, post what crossed, exit")
    check.add_argument(
        "--now", metavar="ISO-8601", help="the instant to sweep at, e.g. 2026-12-01T08:00:00Z"
    )


async def dispatch_alert(args: argparse.Namespace, settings: Settings) -> int:
    """Run the `alert` action ARGS name."""
    from bot.workspaces import parse_workspace_id

    action = args.alert_command
    if action == "add":
        return await alert_add(
            parse_workspace_id(args.workspace), args.channel, args.rule, settings
        )
    if action == "list":
        workspace = parse_workspace_id(args.workspace) if args.workspace else None
        return await alert_list(workspace, settings)
    if action == "remove":
        return await alert_remove(parse_workspace_id(args.workspace), args.id, settings)
    if action == "check":
        return await alert_check(args.now, settings)
    raise AssertionError(f"unhandled alert action {action}")


async def alert_add(workspace: str, channel: str, words: list[str], settings: Settings) -> int:
    """Add WORKSPACE's rule for CHANNEL; prints its id (alone on standard output's first line)."""
    from adapters.cli.keys import cli_caller
    from bot.alerts.rules import parse_rule
    from bot.errors import CommandTextError
    from bot.startup import open_database
    from bot.store.alerts import AlertRuleRefused, AlertStore

    channel = channel.strip()
    if not channel or any(ch.isspace() or not ch.isprintable() for ch in channel):
        return invalid(f"--channel takes a channel id, like C0456 (e.g. `{ADD_EXAMPLE}`).")
    try:
        rule = parse_rule(tuple(" ".join(words).split()))
    except CommandTextError as error:
        return invalid(f"{error.message} For example: `{ADD_EXAMPLE}`.")
    database = await open_database(settings)
    try:
        record = await AlertStore(database).add(
            workspace, channel, rule, by=cli_caller().display, now=datetime.now(UTC)
        )
    except AlertRuleRefused as error:
        print(f"venice-bot: {error.message}", file=sys.stderr)
        return EXIT_NOT_DONE
    finally:
        await database.aclose()
    print(record.id)
    print(f"Alert {record.id} of {workspace} in {channel}: {rule.describe()}.", file=sys.stderr)
    return EXIT_DONE


async def alert_list(workspace: str | None, settings: Settings) -> int:
    """Every rule: workspace, id, channel, rule, state, last value and when it crossed."""
    from bot.alerts.messages import shown_value
    from bot.alerts.stored import listed_state
    from bot.startup import open_database
    from bot.store.alerts import AlertStore

    database = await open_database(settings)
    try:
        records = await AlertStore(database).list_rules(workspace)
    finally:
        await database.aclose()
    if not records:
        print(f"No alert rules yet. Add one with `{ADD_EXAMPLE}`.")
        return EXIT_DONE
    now = datetime.now(UTC)
    rows = [("WORKSPACE", "ID", "CHANNEL", "RULE", "STATE", "LAST VALUE", "CROSSED (UTC)")]
    for record in records:
        progress = record.progress
        rows.append(
            (
                record.workspace_id,
                str(record.id),
                record.channel_id,
                record.rule_text,
                listed_state(record, now),
                shown_value(record.kind, progress.last_value),
                f"{progress.crossed_at:%Y-%m-%d %H:%M}" if progress.crossed_at else "-",
            )
        )
    print(table(rows))
    return EXIT_DONE


async def alert_remove(workspace: str, rule_id: str, settings: Settings) -> int:
    """Delete WORKSPACE's rule RULE_ID; exit 1 when there is none."""
    from bot.alerts.rules import parse_rule_id
    from bot.errors import CommandTextError
    from bot.startup import open_database
    from bot.store.alerts import AlertStore

    try:
        number = parse_rule_id(rule_id)
    except CommandTextError as error:
        return invalid(error.message)
    database = await open_database(settings)
    try:
        removed = await AlertStore(database).remove(workspace, number)
    finally:
        await database.aclose()
    if not removed:
        print(f"venice-bot: {workspace} has no alert {number}; nothing removed.", file=sys.stderr)
        return EXIT_NOT_DONE
    print(f"Removed alert {number} of {workspace}.")
    return EXIT_DONE


async def alert_check(now_text: str | None, settings: Settings) -> int:
    """Sweep every rule at NOW_TEXT (default now), one line per post, then a summary."""
    now = instant_of(now_text)
    if now is None:
        return invalid(NOW_HELP)
    async with posting_runtime(settings) as runtime:
        report = await (await runtime.alert_sweeper()).sweep(now)
    for line in report.lines:
        print(line)
    print(f"Alerts at {now:%Y-%m-%d %H:%M:%S} UTC: {report.summary()}.")
    if report.interrupted is not None:
        print(
            f"venice-bot: {report.interrupted} Run `venice-bot alert check` again once the "
            "database answers: a post that may already be made is looked for first.",
            file=sys.stderr,
        )
        return EXIT_NOT_DONE
    return EXIT_NOT_DONE if report.failed else EXIT_DONE
