"""`digest [on|off|status|preview|now]`: this channel's scheduled daily digest.

Anyone who may read billing sees the status and a private preview; turning it on or off and
posting it now are for admins. The schedule itself lives in bot/store/digests.py and is run by
bot/digest/runner.py, which this command reaches through `ctx.digest_control()` (DigestControl).
"""

from __future__ import annotations

from typing import Any

from bot.cards import Card, Column, Field, Row, Table, Tone
from bot.command_options import Option
from bot.command_spec import CommandContext, CommandSpec, DigestControl
from bot.commands.status import utc_minute
from bot.digest.words import (
    DEFAULT_AT,
    EXAMPLE,
    SKIP_EMPTY,
    at_phrase,
    clip,
    days_phrase,
    is_time_word,
    is_zone_word,
    local_and_utc,
    parse_on_words,
    schedule_text_error,
)
from bot.error_cards import no_workspace_card
from bot.errors import CommandTextError, Forbidden
from bot.invocation import Invocation
from bot.ports import PostFailed
from bot.schedule import EVERY_DAY, DigestTime, ScheduleError, format_days, parse_zone
from bot.store.digests import DigestSchedule
from bot.workspaces import WorkspaceZones

ACTIONS = ("on", "off", "status", "preview", "now")
ADMIN_ACTIONS = ("on", "off", "now")
CLI_SET = "venice-bot digest set WORKSPACE --channel C --at 09:00 --tz Area/City"
NO_CHANNEL = (
    "The daily digest belongs to a chat channel: type `/venice digest on` in that channel, or "
    f"in a terminal run `{CLI_SET}`."
)
NO_SERVICE = (
    "Daily digests are not available in this process (it cannot post to chat). Schedule one "
    f"from a terminal with `{CLI_SET}`."
)


async def handle(invocation: Invocation, ctx: CommandContext) -> Card:
    """Show, set, remove, preview or post this channel's daily digest."""
    action, rest = _action(invocation.words)
    if rest and action != "on":
        raise CommandTextError(
            f"`digest {action}` takes nothing after it (`{clip(rest[0])}`).",
            example=f"digest {action}",
        )
    is_admin = ctx.caller is not None and ctx.caller.is_admin
    if action in ADMIN_ACTIONS and not is_admin:
        what = "post the digest now" if action == "now" else "turn the daily digest on or off"
        raise Forbidden(what)
    workspace = ctx.workspace_id
    if workspace is None:
        return no_workspace_card(NO_CHANNEL)
    digests = await ctx.digest_control()
    if digests is None:
        return no_workspace_card(NO_SERVICE, workspace_id=workspace)
    if action == "preview":
        return await digests.preview(workspace, ctx.now)
    if action == "status":
        return await _status(ctx, digests, workspace)
    channel = ctx.channel_id
    if channel is None:  # a terminal: the workspace is known, so the command names it
        summary = NO_CHANNEL.replace("WORKSPACE", workspace)
        return Card(title="No channel here", kind="help", summary=summary)
    if action == "on":
        return await _on(ctx, digests, workspace, channel, rest)
    if action == "off":
        return await _off(digests, workspace, channel)
    return await _now(ctx, digests, workspace, channel)


def _action(words: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    if not words:
        return "status", ()
    action = words[0].lower()
    if action not in ACTIONS:
        raise CommandTextError(
            f"`digest` does not know `{clip(words[0])}`: use on, off, status, preview or now.",
            example="digest on 09:00",
        )
    return action, words[1:]


async def _on(
    ctx: CommandContext,
    digests: DigestControl,
    workspace: str,
    channel: str,
    words: tuple[str, ...],
) -> Card:
    given = parse_on_words(words)
    workspace_zone = await ctx.workspace_time_zone()
    zone, zone_note = given.time_zone, None
    if zone is None:
        zone, zone_note = _default_zone(ctx, workspace_zone)
    when = DigestTime(given.at or DEFAULT_AT, zone, given.weekdays or EVERY_DAY)
    try:
        schedule = await digests.schedule(
            workspace, channel, when, skip_empty=given.skip_empty, by=ctx.caller, now=ctx.now
        )
    except ScheduleError as error:
        raise schedule_text_error(error) from None
    skip = "; skipped on days without usage" if schedule.skip_empty else ""
    summary = (
        f"Daily digest on in this channel: {at_phrase(when.at, zone)}, "
        f"{days_phrase(when.weekdays)}{skip}; next one {local_and_utc(schedule.due_at, zone)}."
    )
    notes = [zone_note] if zone_note else []
    # The first zone an admin names becomes the workspace's: Discord tells nobody's zone.
    first_zone = given.time_zone is not None and workspace_zone is None
    if first_zone and isinstance(ctx.keys, WorkspaceZones):
        await ctx.keys.set_time_zone(workspace, zone)
        notes.append(f"{zone} is now this workspace's time zone for digests set without one.")
    notes.append("Turn it off with `digest off`; see it with `digest preview`.")
    return Card(
        title="Daily digest on",
        tone=Tone.GOOD,
        summary=summary,
        notes=tuple(notes),
        data={"workspace_id": workspace, "schedule": schedule_data(schedule)},
    )


def _default_zone(ctx: CommandContext, workspace_zone: str | None) -> tuple[str, str]:
    """The caller's zone, else the workspace's, else UTC, and a note saying which and how to
    change it."""
    change = "To use another, name it: `digest on 09:00 America/New_York`."
    candidates = (
        (ctx.caller.time_zone if ctx.caller else None, "your own time zone"),
        (workspace_zone, "this workspace's time zone"),
    )
    for zone, whose in candidates:
        if zone:
            try:
                name = parse_zone(zone)
            except ScheduleError:
                continue  # a platform's odd zone name: fall through to the next
            return name, f"Time zone {name} is {whose}. {change}"
    return "UTC", f"Times are in UTC (I do not know your time zone). {change}"


async def _off(digests: DigestControl, workspace: str, channel: str) -> Card:
    removed = await digests.unschedule(workspace, channel)
    summary = (
        "Daily digest off in this channel."
        if removed
        else "There is no daily digest in this channel; nothing changed."
    )
    return Card(
        title="Daily digest off" if removed else "No daily digest here",
        summary=summary,
        notes=("Turn it on again with `digest on`.",),
        data={"workspace_id": workspace, "channel_id": channel, "removed": removed},
    )


async def _now(ctx: CommandContext, digests: DigestControl, workspace: str, channel: str) -> Card:
    try:
        done = await digests.post_now(workspace, channel, ctx.now)
    except PostFailed as error:
        return Card(
            title="Digest not posted",
            kind="error",
            tone=Tone.WARNING,
            summary=f"I could not post the digest in this channel. {error.here or error.message}",
            data={"error": type(error).__name__, "status": None, "retry_after": error.retry_after},
        )
    data = {"workspace_id": workspace, "channel_id": channel, "message_id": done.message_id,
            "chart": done.chart}  # fmt: skip
    if done.chart in ("refused", "failed"):
        # Refused: what to do in this channel. Failed: why, this time.
        why = done.chart_problem or "the upload failed."
        return Card(
            title="Digest posted without its chart",
            tone=Tone.WARNING,
            summary=f"Posted today's digest in this channel, but not its chart: {why}",
            data=data,
        )
    with_chart = " with its chart" if done.chart == "sent" else ""
    return Card(
        title="Digest posted",
        tone=Tone.GOOD,
        summary=f"Posted today's digest in this channel{with_chart}.",
        data=data,
    )


async def _status(ctx: CommandContext, digests: DigestControl, workspace: str) -> Card:
    schedules = await digests.schedules(workspace)
    here = next((s for s in schedules if s.channel_id == ctx.channel_id), None)
    others = [s for s in schedules if s is not here]
    fields: tuple[Field, ...] = ()
    if ctx.channel_id is None:
        count = len(schedules)
        summary = (
            "No channel of this workspace has a daily digest yet."
            if count == 0
            else f"{count} channel{'s' if count > 1 else ''} of this workspace "
            f"{'have' if count > 1 else 'has'} a daily digest."
        )
    elif here is None:
        summary = "No daily digest in this channel. An admin can start one with `digest on`."
    elif not here.enabled:
        reason = here.disabled_reason or "it was turned off"
        summary = f"The daily digest of this channel is disabled: {reason}"
        fields = schedule_fields(here)
    else:
        summary = (
            f"Daily digest here: {at_phrase(here.when.at, here.when.time_zone)}, "
            f"{days_phrase(here.when.weekdays)}; next one "
            f"{local_and_utc(here.due_at, here.when.time_zone)}."
        )
        fields = schedule_fields(here)
    tables = (_others_table(others, elsewhere=ctx.channel_id is not None),) if others else ()
    notes = [_status_note(ctx, workspace)]
    chart_refused = here is not None and here.enabled and here.chart_problem is not None
    if here is not None and chart_refused:
        notes.insert(0, f"The digests here come without their chart: {here.chart_problem}")
    return Card(
        title="Daily digest",
        tone=Tone.WARNING
        if here is not None and (not here.enabled or chart_refused)
        else Tone.INFO,
        summary=summary,
        fields=fields,
        tables=tables,
        notes=tuple(notes),
        data={
            "workspace_id": workspace,
            "channel_id": ctx.channel_id,
            "schedules": [schedule_data(s) for s in schedules],
        },
    )


def _status_note(ctx: CommandContext, workspace: str) -> str:
    """How to change the digest from where `digest status` was asked: in a channel, `digest on`;
    in a terminal, which has no channel to post to, `venice-bot digest set`."""
    if ctx.channel_id is None:
        return (
            "In a chat channel an admin turns it on with `/venice digest on`; from a terminal, "
            f"`venice-bot digest set {workspace} --channel C --at 09:00 --tz Area/City`. "
            "`digest preview` shows it here."
        )
    return f"Change it with `{EXAMPLE}` (admins), or try `digest preview`."


def schedule_fields(schedule: DigestSchedule) -> tuple[Field, ...]:
    """Time, zone, days, next run, state and who set it."""
    when = schedule.when
    state = "on" if schedule.enabled else f"disabled: {schedule.disabled_reason or 'off'}"
    return (
        Field("Time", at_phrase(when.at, when.time_zone)),
        Field("Days", days_phrase(when.weekdays)),
        Field("Next run", local_and_utc(schedule.due_at, when.time_zone)),
        Field("Skip days without usage", "yes" if schedule.skip_empty else "no"),
        Field("State", state),
        Field("Set by", f"{schedule.created_by}, {utc_minute(schedule.updated_at)}"),
    )


def _others_table(schedules: list[DigestSchedule], *, elsewhere: bool) -> Table:
    rows = tuple(
        Row(
            (
                f"#{s.channel_id}",
                at_phrase(s.when.at, s.when.time_zone),
                days_phrase(s.when.weekdays),
                "on" if s.enabled else "disabled",
            )
        )
        for s in schedules
    )
    return Table(
        title="Other channels with a digest" if elsewhere else "Channels with a digest",
        columns=(Column("Channel"), Column("Time"), Column("Days"), Column("State")),
        rows=rows,
    )


def schedule_data(schedule: DigestSchedule) -> dict[str, Any]:
    """One schedule for `--format json`."""
    return {
        "channel_id": schedule.channel_id,
        "at": schedule.when.at.strftime("%H:%M"),
        "time_zone": schedule.when.time_zone,
        "days": format_days(schedule.when.weekdays),
        "skip_empty": schedule.skip_empty,
        "enabled": schedule.enabled,
        "disabled_reason": schedule.disabled_reason,
        "next_run": schedule.due_at,
        "set_by": schedule.created_by,
    }


SPEC = CommandSpec(
    name="digest",
    summary="This channel's daily digest: spend, balance and top models every morning",
    usage="digest [on|off|status|preview|now] [HH:MM] [Area/City] [DAYS] [skip-empty]",
    examples=("digest on 09:00 Europe/Madrid mon-fri", "digest status", "digest preview"),
    arguments=("words",),
    options=(
        Option(
            "action",
            "on, off, status (the default), preview (privately) or now (post it now)",
            choices=ACTIONS,
        ),
        Option(
            "time",
            "Local time of day, 24-hour clock (default 09:00)",
            max_length=5,
            typed_as=is_time_word,
        ),
        Option(
            "timezone",
            "IANA time zone, e.g. Europe/Madrid (default UTC)",
            suggest="time_zones",
            max_length=64,
            typed_as=is_zone_word,
        ),
        Option(
            "days",
            "Weekdays, e.g. mon-fri, mon,wed,fri, weekends (default every day)",
            max_length=32,
        ),
        Option(
            "skip_empty", "Skip days without usage (default no)", kind="flag", flag_word=SKIP_EMPTY
        ),
    ),
    handler=handle,
    details=(
        "`digest on` posts yesterday's spend, the balance and runway, the top models and keys "
        "and a 14-day chart in this channel every day at 09:00, or at the time, time zone and "
        "weekdays given in any order (`digest on 08:30 America/New_York mon-fri`); add "
        "`skip-empty` to skip days without usage. The time zone defaults to yours. `digest off` "
        "stops it, `digest status` shows it, `digest preview` shows the digest privately, "
        "`digest now` posts it at once. Admins turn it on and off and post it."
    ),
    store="changes",
)
