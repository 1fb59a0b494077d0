"""`digest on|off|status|preview|now`: what an admin or a member sees in a channel, against the
real DigestRunner and DigestStore on SQLite (a recording Poster stands in for the platform)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from bot.command_spec import Caller, FixedServices
from bot.core import Answer
from bot.deadline import Deadline
from bot.digest.runner import DigestRunner
from bot.ports import ChartRefused
from bot.store import WorkspaceStore
from bot.store.digests import DigestStore
from bot.venice.static_source import StaticBillingSource
from bot.workspace_context import workspace_context
from tests.asking import answer_text
from tests.commands import builders
from tests.digest.recording_poster import RecordingPoster

WORKSPACE = "slack:T0DIGEST"
CHANNEL = "C0COSTS"
MONDAY = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # Monday 11:00 in Madrid
ADMIN = Caller("U1", "ada", is_admin=True, time_zone="Europe/Madrid")
MEMBER = Caller("U2", "bob", is_admin=False, time_zone="Europe/Madrid")


REFUSED = "Invite @Venice to <#C0COSTS>: Slack takes a file only from a member."
REFUSED_FOR_ADMINS = "Invite @Venice to <#C0COSTS> and run /venice digest on again there."


def venice() -> StaticBillingSource:
    days = [builders.day(f"2026-11-{d:02d}", "1.5", "2") for d in range(16, 30)]
    models = [builders.model("glm-5.1", "15", "20", "1000")]
    return builders.source(
        balance_answer=builders.balance(),
        usage_answer=builders.usage(days=days, models=models),
        usage_for=lambda query: builders.usage(days=days, models=models),
    )


@pytest.fixture
def poster() -> RecordingPoster:
    return RecordingPoster()


@pytest.fixture
async def runner(workspace_store: WorkspaceStore, poster: RecordingPoster) -> DigestRunner:
    return DigestRunner(
        digests=DigestStore(workspace_store.database),
        workspaces=workspace_store,
        source_for=lambda key, tenant: venice(),
        posters={"slack": poster},
        owner="test",
    )


async def ask(
    store: WorkspaceStore,
    runner: DigestRunner | None,
    text: str,
    caller: Caller | None = ADMIN,
    *,
    channel: str | None = CHANNEL,
    workspace_zone: str | None = None,
    now: datetime = MONDAY,
) -> Answer:
    ctx = await workspace_context(
        store,
        WORKSPACE,
        caller,
        lambda key, tenant: venice(),
        now=now,
        deadline=Deadline.after(10),
        channel_id=channel,
        services=FixedServices(digests=runner, time_zone=workspace_zone),
    )
    return await answer_text(text, ctx)


async def test_on_with_defaults_runs_at_nine_in_the_callers_zone(workspace_store, runner):
    reply = await ask(workspace_store, runner, "digest on mon-fri")
    assert reply.outcome == "answered"
    assert reply.card.summary == (
        "Daily digest on in this channel: 09:00 Europe/Madrid, Mon–Fri; "
        "next one Tue 1 Dec 09:00 (08:00 UTC)."
    )
    assert "Time zone Europe/Madrid is your own time zone" in reply.card.notes[0]
    [schedule] = await runner.schedules(WORKSPACE)
    assert (schedule.channel_id, schedule.when.at.hour, schedule.when.time_zone) == (
        CHANNEL,
        9,
        "Europe/Madrid",
    )
    assert schedule.created_by_id == "U1"


async def test_words_are_read_by_shape_in_any_order_and_any_case(workspace_store, runner):
    reply = await ask(workspace_store, runner, "digest ON skip-empty WEEKENDS asia/kolkata 7:30")
    assert reply.card.summary == (
        "Daily digest on in this channel: 07:30 Asia/Kolkata, Sat–Sun; skipped on days without "
        "usage; next one Sat 5 Dec 07:30 (02:00 UTC)."
    )
    assert not any("Time zone" in note for note in reply.card.notes)  # it was given
    [schedule] = await runner.schedules(WORKSPACE)
    assert schedule.skip_empty


async def test_the_first_zone_named_becomes_the_workspaces_default(workspace_store, runner):
    no_zone = Caller("U1", "ada", is_admin=True)  # as on Discord: nobody's zone is known
    named = await ask(workspace_store, runner, "digest on 08:00 asia/kolkata", no_zone)
    assert "Asia/Kolkata is now this workspace's time zone" in " ".join(named.card.notes)
    workspace = await workspace_store.get_workspace(WORKSPACE)
    assert workspace is not None
    assert workspace.time_zone == "Asia/Kolkata"

    # Another channel, no zone given: the runtime passes the workspace's zone in.
    other = await ask(
        workspace_store,
        runner,
        "digest on",
        no_zone,
        channel="C0OTHER",
        workspace_zone="Asia/Kolkata",
    )
    assert "09:00 Asia/Kolkata" in (other.card.summary or "")
    assert "this workspace's time zone" in other.card.notes[0]
    # A zone named once a workspace has one does not replace it.
    await ask(workspace_store, runner, "digest on UTC", no_zone, workspace_zone="Asia/Kolkata")
    workspace = await workspace_store.get_workspace(WORKSPACE)
    assert workspace is not None
    assert workspace.time_zone == "Asia/Kolkata"


@pytest.mark.parametrize(
    ("caller", "workspace_zone", "zone", "note"),
    [
        (Caller("U1", is_admin=True), "America/New_York", "America/New_York", "this workspace's"),
        (Caller("U1", is_admin=True, time_zone="Not/AZone"), None, "UTC", "in UTC"),
        (Caller("U1", is_admin=True), None, "UTC", "I do not know your time zone"),
    ],
)
async def test_the_zone_falls_back_to_the_workspace_then_utc_and_says_so(
    workspace_store, runner, caller, workspace_zone, zone, note
):
    reply = await ask(workspace_store, runner, "digest on", caller, workspace_zone=workspace_zone)
    assert f"09:00 {zone}, every day" in (reply.card.summary or "")
    assert note in reply.card.notes[0]
    assert "digest on 09:00 America/New_York" in reply.card.notes[0]  # how to change it


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("digest on 25:00", "`25:00` is not a time of day"),
        ("digest on Mars/Olympus", "`Mars/Olympus` is not a time zone"),
        ("digest on mon-fry", "`mon-fry` is not a list of weekdays"),
        ("digest on tomorrow", "`digest on` does not take `tomorrow`"),
        ("digest on 9:00 10:00", "Give one time, not two."),
        ("digest weekly", "`digest` does not know `weekly`"),
        ("digest off now", "`digest off` takes nothing after it"),
    ],
)
async def test_bad_words_are_refused_with_an_example_and_nothing_is_scheduled(
    workspace_store, runner, text, said
):
    reply = await ask(workspace_store, runner, text)
    assert reply.outcome == "invalid"
    assert said in (reply.card.summary or "")
    assert "Try: `digest " in (reply.card.summary or "")
    assert await runner.schedules(WORKSPACE) == []


@pytest.mark.parametrize("text", ["digest on", "digest off", "digest now"])
async def test_members_may_not_change_or_post_the_digest(workspace_store, runner, poster, text):
    reply = await ask(workspace_store, runner, text, MEMBER)
    assert reply.outcome == "forbidden"  # `ask` exits 1, as for any refused command
    assert reply.card.title == "Admins only"
    assert reply.card.kind == "error"
    assert "Only workspace admins can" in (reply.card.summary or "")
    assert await runner.schedules(WORKSPACE) == []
    assert poster.posts == []


async def test_status_shows_this_channel_and_the_others(workspace_store, runner):
    empty = await ask(workspace_store, runner, "digest", MEMBER)
    assert empty.outcome == "answered"
    assert empty.card.summary == (
        "No daily digest in this channel. An admin can start one with `digest on`."
    )
    await ask(workspace_store, runner, "digest on 08:00 Europe/Madrid")
    await ask(workspace_store, runner, "digest on 18:00 UTC", channel="C0OTHER")
    status = await ask(workspace_store, runner, "digest status", MEMBER)
    assert status.card.summary == (
        "Daily digest here: 08:00 Europe/Madrid, every day; next one Tue 1 Dec 08:00 (07:00 UTC)."
    )
    [others] = status.card.tables
    assert [row.cells for row in others.rows] == [("#C0OTHER", "18:00 UTC", "every day", "on")]
    assert [s["channel_id"] for s in status.card.data["schedules"]] == [CHANNEL, "C0OTHER"]


async def test_status_says_when_the_digests_here_come_without_their_chart(workspace_store, runner):
    await ask(workspace_store, runner, "digest on 08:00 Europe/Madrid")
    [schedule] = await runner.schedules(WORKSPACE)
    await runner.digests.note_chart_problem(schedule, "Invite @Venice to this channel.")
    status = await ask(workspace_store, runner, "digest status", MEMBER)
    assert status.card.tone.value == "warning"
    assert status.card.notes[0] == (
        "The digests here come without their chart: Invite @Venice to this channel."
    )
    [schedule] = await runner.schedules(WORKSPACE)
    await runner.digests.note_chart_problem(schedule, None)
    fine = await ask(workspace_store, runner, "digest status", MEMBER)
    assert not any("without their chart" in note for note in fine.card.notes)


async def test_off_removes_this_channels_digest_only(workspace_store, runner):
    await ask(workspace_store, runner, "digest on")
    await ask(workspace_store, runner, "digest on", channel="C0OTHER")
    off = await ask(workspace_store, runner, "digest off")
    assert off.card.summary == "Daily digest off in this channel."
    assert [s.channel_id for s in await runner.schedules(WORKSPACE)] == ["C0OTHER"]
    again = await ask(workspace_store, runner, "digest off")
    assert again.card.summary == "There is no daily digest in this channel; nothing changed."


async def test_in_a_terminal_there_is_no_channel_and_the_reply_points_at_the_cli(
    workspace_store, runner
):
    reply = await ask(workspace_store, runner, "digest on 09:00", channel=None)
    assert reply.outcome == "answered"
    assert f"`venice-bot digest set {WORKSPACE} --channel C" in (reply.card.summary or "")
    assert await runner.schedules(WORKSPACE) == []


async def test_in_a_terminal_status_does_not_suggest_what_the_terminal_cannot_do(
    workspace_store, runner
):
    # The demo: `digest status` must not point at `digest on`, which needs a channel.
    status = await ask(workspace_store, runner, "digest status", channel=None)
    [note] = status.card.notes
    assert "`/venice digest on`" in note  # in a chat channel
    assert f"`venice-bot digest set {WORKSPACE} --channel C" in note  # or from a terminal
    assert "`digest on" not in note
    in_channel = await ask(workspace_store, runner, "digest status")
    assert in_channel.card.notes == (
        "Change it with `digest on 09:00 Europe/Madrid mon-fri` (admins), or try `digest preview`.",
    )


async def test_without_a_digest_service_or_a_workspace_the_reply_says_so(workspace_store):
    reply = await ask(workspace_store, None, "digest on")
    assert "not available" in (reply.card.summary or "")
    no_workspace = await answer_text("digest status", builders.context(None))
    assert no_workspace.card.title == "No workspace"
    assert "venice-bot digest set" in (no_workspace.card.summary or "")


async def test_now_posts_into_this_channel_and_answers_privately(workspace_store, runner, poster):
    await workspace_store.save_credential(
        WORKSPACE, SecretStr("sim-admin-" + "digest"), key_type="admin", set_by="t",
        verified_at=MONDAY,
    )  # fmt: skip
    reply = await ask(workspace_store, runner, "digest now")
    assert reply.card.summary == "Posted today's digest in this channel with its chart."
    [sent] = poster.posts
    assert (sent.workspace_id, sent.channel_id) == (WORKSPACE, CHANNEL)
    assert sent.post.card.kind == "report"
    assert len(poster.charts_in(CHANNEL)) == 1

    poster.fail_next_chart(ChartRefused(REFUSED, here="Invite @Venice to this channel."))
    no_chart = await ask(workspace_store, runner, "digest now")
    assert no_chart.card.title == "Digest posted without its chart"
    assert no_chart.card.summary == (
        "Posted today's digest in this channel, but not its chart: Invite @Venice to this channel."
    )

    poster.make_unavailable(CHANNEL, REFUSED_FOR_ADMINS, here="Invite @Venice to this channel.")
    refused = await ask(workspace_store, runner, "digest now")
    assert refused.card.title == "Digest not posted"
    # Said in that very channel: no escaped mention, no advice about schedules.
    assert refused.card.summary == (
        "I could not post the digest in this channel. Invite @Venice to this channel."
    )


async def test_preview_is_the_digest_itself_and_posts_nothing(workspace_store, runner, poster):
    await workspace_store.save_credential(
        WORKSPACE, SecretStr("sim-admin-" + "digest"), key_type="admin", set_by="t",
        verified_at=MONDAY,
    )  # fmt: skip
    reply = await ask(workspace_store, runner, "digest preview", MEMBER)
    assert reply.outcome == "answered"
    assert reply.card.kind == "report"
    assert reply.card.chart is not None
    assert poster.posts == []


async def test_preview_without_a_key_says_how_to_connect_one(workspace_store, runner):
    reply = await ask(workspace_store, runner, "digest preview", MEMBER)
    assert reply.outcome == "failed"
    assert reply.card.data["error"] == "NoVeniceKey"
