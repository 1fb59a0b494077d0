"""`alert [list|on RULE|off ID|all|test ID|snooze ID 1h|1d|1w|ack ID]`: warnings before the money
runs out, posted into the channel the rule was set in, once per crossing.

Anyone who may read billing sees the list; adding, removing, testing, snoozing and acking are
for admins. The rules live in bot/store/alerts.py and are swept by bot/alerts/sweep.py, which
this command reaches through `ctx.alert_control()` (AlertControl).
"""

from __future__ import annotations

from datetime import datetime

from bot.alerts.messages import shown_value
from bot.alerts.rules import FORMS, RULE_FORMS, clip, parse_rule, parse_rule_id, parse_snooze
from bot.alerts.states import percent_rearm_level, runway_rearm_level, usd_rearm_level
from bot.alerts.stored import listed_state, rule_of
from bot.cards import Card, Column, Field, Row, Table, Tone
from bot.command_options import Option
from bot.command_spec import AlertControl, CommandContext, CommandSpec
from bot.error_cards import no_workspace_card
from bot.errors import CommandTextError, Forbidden
from bot.invocation import Invocation
from bot.money import format_usd
from bot.store.alerts import AlertRuleRecord, AlertRuleRefused

ACTIONS = ("list", "on", "off", "test", "snooze", "ack")
ADMIN_ACTIONS = ("on", "off", "test", "snooze", "ack")
EXAMPLE = "alert on runway below 3d"
CLI_ADD = "venice-bot alert add WORKSPACE --channel C RULE"
NO_CHANNEL = (
    "An alert posts into a chat channel: type `/venice alert on RULE` in that channel, or in a "
    f"terminal run `{CLI_ADD}`."
)
NO_SERVICE = f"Alerts are not available in this process. From a terminal: `{CLI_ADD}`."
SNOOZE_LENGTHS = ("1h", "1d", "1w")
# RULE's forms as help lists them: `usd below AMOUNT`, `diem used PERCENT`, ...
RULE_WORDS = ", ".join(f"`{line.split('  ')[0]}`" for line in RULE_FORMS.splitlines())


async def handle(invocation: Invocation, ctx: CommandContext) -> Card:
    """List, add, remove, test, snooze or ack this workspace's alert rules."""
    words = invocation.words
    action = words[0].lower() if words else "list"
    if action not in ACTIONS:
        raise CommandTextError(
            f"`alert` does not know `{clip(words[0])}`: use list, on, off, test, snooze or ack.",
            example=EXAMPLE,
        )
    rest = words[1:]
    is_admin = ctx.caller is not None and ctx.caller.is_admin
    if action in ADMIN_ACTIONS and not is_admin:
        raise Forbidden(_admin_action(action))
    workspace = ctx.workspace_id
    if workspace is None:
        return no_workspace_card(NO_CHANNEL)
    alerts = await ctx.alert_control()
    if alerts is None:
        return no_workspace_card(NO_SERVICE, workspace_id=workspace)
    if action == "list":
        _nothing_after(action, rest)
        return await _list(ctx, alerts, workspace)
    if action == "on":
        return await _on(ctx, alerts, workspace, rest)
    if action == "off":
        return await _off(ctx, alerts, workspace, rest)
    record = await _one_rule(alerts, workspace, action, rest)
    if action == "test":
        _nothing_after(action, rest[1:])
        return await _test(ctx, alerts, record)
    if action == "snooze":
        return await _snooze(ctx, alerts, record, rest[1:])
    _nothing_after(action, rest[1:])
    return await _ack(ctx, alerts, record)


def _admin_action(action: str) -> str:
    return {
        "on": "add alerts",
        "off": "remove alerts",
        "test": "test alerts",
        "snooze": "snooze alerts",
        "ack": "acknowledge alerts",
    }[action]


def _nothing_after(action: str, rest: tuple[str, ...]) -> None:
    if rest:
        raise CommandTextError(
            f"`alert {action}` takes nothing more (`{clip(rest[0])}`).", example=f"alert {action}"
        )


async def _one_rule(
    alerts: AlertControl, workspace: str, action: str, rest: tuple[str, ...]
) -> AlertRuleRecord:
    if not rest:
        raise CommandTextError(
            f"`alert {action}` needs the alert's id (`alert list` shows them).",
            example=f"alert {action} 1" + (" 1d" if action == "snooze" else ""),
        )
    rule_id = parse_rule_id(rest[0])
    record = next((r for r in await alerts.rules(workspace) if r.id == rule_id), None)
    if record is None:
        raise CommandTextError(
            f"This workspace has no alert {rule_id}: `alert list` shows the ones it has.",
            example="alert list",
        )
    return record


async def _on(
    ctx: CommandContext, alerts: AlertControl, workspace: str, words: tuple[str, ...]
) -> Card:
    if not words:
        raise CommandTextError(f"Say what to watch: {_forms_inline()}.", example=EXAMPLE)
    rule = parse_rule(words)
    channel = ctx.channel_id
    if channel is None:
        return Card(title="No channel here", kind="help", summary=NO_CHANNEL)
    try:
        record = await alerts.add(workspace, channel, rule, by=ctx.caller, now=ctx.now)
    except AlertRuleRefused as error:
        return Card(title="Alert not added", kind="help", tone=Tone.WARNING, summary=error.message)
    return Card(
        title=f"Alert {record.id} is on",
        kind="help",
        tone=Tone.GOOD,
        summary=(
            f"Watching {rule.describe()}. This channel hears of it once when it crosses, "
            "and once when it recovers."
        ),
        fields=(
            Field("Alert", f"{record.id}: `{rule.text}`"),
            Field("Re-arms", _rearms(record)),
        ),
        notes=(
            f"`alert test {record.id}` shows what it would post now; `alert off {record.id}` "
            "removes it; `alert list` shows every alert of the workspace.",
        ),
        data={"alert": record.id, "rule": rule.text, "channel_id": channel},
    )


def _rearms(record: AlertRuleRecord) -> str:
    """When a firing rule is armed again: its margin (bot/alerts/states.py) or its reset."""
    rule = rule_of(record)
    threshold = rule.threshold
    match rule.kind:
        case "usd_below" if threshold is not None:
            return f"when the USD balance is back at {format_usd(usd_rearm_level(threshold))}"
        case "runway_below" if threshold is not None:
            return f"when the runway is back at {runway_rearm_level(threshold):f} days"
        case "diem_used" if threshold is not None:
            return (
                f"at 00:00 UTC, or under {percent_rearm_level(threshold):f}% used (a new DIEM "
                "stake)"
            )
        case "key_cap" if threshold is not None:
            return (
                f"when the key's period starts again (its limitPeriod), or under "
                f"{percent_rearm_level(threshold):f}%"
            )
        case "funds_out":
            return "when Venice can charge the account again"
        case _:
            return "at 00:00 UTC, a new day"


async def _off(
    ctx: CommandContext, alerts: AlertControl, workspace: str, words: tuple[str, ...]
) -> Card:
    if not words:
        raise CommandTextError("Say which alert to remove, or `all`.", example="alert off 1")
    _nothing_after("off ID", words[1:])
    if words[0].lower() == "all":
        removed = await alerts.remove_all(workspace, ctx.channel_id)
        where = "this channel" if ctx.channel_id is not None else "this workspace"
        said = (
            f"Removed {removed} alert{'' if removed == 1 else 's'} of {where}."
            if removed
            else f"{where.capitalize()} has no alerts; nothing was removed."
        )
        return Card(title="Alerts removed", kind="help", summary=said, data={"removed": removed})
    rule_id = parse_rule_id(words[0])
    if not await alerts.remove(workspace, rule_id):
        raise CommandTextError(
            f"This workspace has no alert {rule_id}: `alert list` shows the ones it has.",
            example="alert list",
        )
    return Card(
        title=f"Alert {rule_id} removed",
        kind="help",
        summary=f"Alert {rule_id} is gone; nothing more is posted for it.",
        data={"removed": 1, "alert": rule_id},
    )


async def _list(ctx: CommandContext, alerts: AlertControl, workspace: str) -> Card:
    records = await alerts.rules(workspace)
    if not records:
        return Card(
            title="Alerts",
            kind="help",
            summary="No alerts in this workspace yet. An admin can add one in the channel to "
            f"warn: `{EXAMPLE}`.",
            notes=(_forms_note(),),
            data={"alerts": []},
        )
    rows = tuple(
        Row(
            (
                str(record.id),
                f"#{record.channel_id}",
                record.rule_text,
                listed_state(record, ctx.now),
                shown_value(record.kind, record.progress.last_value),
                f"{record.progress.crossed_at:%Y-%m-%d %H:%M}"
                if record.progress.crossed_at
                else "-",
            )
        )
        for record in records
    )
    table = Table(
        title="Alerts",
        columns=(
            Column("ID", "right"),
            Column("Channel"),
            Column("Rule"),
            Column("State"),
            Column("Last value", "right"),
            Column("Crossed (UTC)"),
        ),
        rows=rows,
    )
    firing = sum(1 for record in records if record.state == "firing")
    return Card(
        title="Alerts",
        kind="help",
        tone=Tone.WARNING if firing else Tone.INFO,
        summary=f"{len(records)} alert{'' if len(records) == 1 else 's'} in this workspace, "
        f"{firing} firing.",
        tables=(table,),
        notes=("Swept every few minutes; `alert test ID` shows one with the live figures.",),
        data={
            "alerts": [
                {"id": r.id, "channel_id": r.channel_id, "rule": r.rule_text, "state": r.state}
                for r in records
            ]
        },
    )


async def _test(ctx: CommandContext, alerts: AlertControl, record: AlertRuleRecord) -> Card:
    card = await alerts.preview(record, ctx.now)
    crossed = "is crossed now" if record.state == "firing" else "is not crossed now"
    return Card(
        title=f"Test of alert {record.id}: {card.title}",
        kind="help",
        tone=card.tone,
        summary=card.summary,
        fields=card.fields,
        notes=(
            *card.notes,
            f"Only you see this test. The rule {crossed} (as of the last sweep); posts go to "
            f"#{record.channel_id}.",
        ),
        footer=card.footer,
        data={"alert": record.id, "test": True},
    )


async def _snooze(
    ctx: CommandContext, alerts: AlertControl, record: AlertRuleRecord, words: tuple[str, ...]
) -> Card:
    if not words:
        raise CommandTextError(
            "Say for how long: 1h, 1d or 1w.", example=f"alert snooze {record.id} 1d"
        )
    _nothing_after(f"snooze {record.id} LENGTH", words[1:])
    if words[0].lower() in ("off", "end", "none"):
        await alerts.snooze(record.workspace_id, record.id, None, now=ctx.now)
        return Card(
            title=f"Alert {record.id} is awake",
            kind="help",
            summary=f"Alert {record.id} posts again as soon as it crosses.",
        )
    until: datetime = ctx.now + parse_snooze(words[0])
    await alerts.snooze(record.workspace_id, record.id, until, now=ctx.now)
    return Card(
        title=f"Alert {record.id} snoozed",
        kind="help",
        summary=(
            f"Alert {record.id} (`{record.rule_text}`) posts nothing until "
            f"{until:%Y-%m-%d %H:%M} UTC. If it is still crossed then, it posts once."
        ),
        notes=(f"`alert snooze {record.id} off` ends the snooze early.",),
        data={"alert": record.id, "snoozed_until": until},
    )


async def _ack(ctx: CommandContext, alerts: AlertControl, record: AlertRuleRecord) -> Card:
    acked = await alerts.ack(record.workspace_id, record.id, by=ctx.caller, now=ctx.now)
    if acked is None or acked.progress.acked_at is None:
        return Card(
            title=f"Alert {record.id} is not firing",
            kind="help",
            summary="Nothing to acknowledge: it posts when it crosses next.",
        )
    return Card(
        title=f"Alert {record.id} acknowledged",
        kind="help",
        tone=Tone.GOOD,
        summary=(
            "No more reminders for this crossing. It still says when it recovers, and a new "
            "crossing posts again."
        ),
        data={"alert": record.id, "acked": True},
    )


def _forms_inline() -> str:
    return ", ".join(f"`{form.example or form.words}`" for form in FORMS.values())


def _forms_note() -> str:
    return f"Rules: {_forms_inline()}."


def _is_rule_word(word: str) -> bool:
    heads = {form.head for form in FORMS.values()} | {"key", "funds"}
    return word.lower() in heads


SPEC = CommandSpec(
    name="alert",
    summary="Warnings before the money runs out, posted in this channel once per crossing",
    usage="alert [list|on RULE|off ID|all|test ID|snooze ID 1h|1d|1w|ack ID]",
    examples=(
        "alert on runway below 3d",
        "alert on usd below 25",
        "alert on key-cap 90%",
        "alert list",
        "alert snooze 1 1d",
    ),
    arguments=("words",),
    options=(
        Option("action", "list (the default), on, off, test, snooze or ack", choices=ACTIONS),
        Option(
            "rule",
            "For on: usd below 25, diem used 80%, runway below 7d, spend above 50, spike, "
            "key-cap 90%, funds-out",
            max_length=64,
            typed_as=_is_rule_word,
            rest=True,
        ),
        Option(
            "id",
            "The alert's id (alert list shows them), or all for off",
            max_length=12,
            typed_as=lambda word: word.lower() == "all" or word.lstrip("#").isdigit(),
        ),
        Option("length", "For snooze: 1h, 1d or 1w", choices=SNOOZE_LENGTHS),
    ),
    handler=handle,
    details=(
        "Admins add an alert in the channel it should post to: `alert on RULE`. Each alert posts "
        "once when it crosses, stays quiet while it stays crossed (a reminder a day later until "
        "someone presses Ack), and says once when it recovers. RULE is one of "
        f"{RULE_WORDS}."
    ),
    access="read",
    admin_action="change alerts",
    store="changes",
)
