"""What a Slack Web API error means for a scheduled post: the channel is out of reach (say what
to do, once), or the post failed this time (retry, after Retry-After when Slack said so)."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

from bot.ports import ChannelUnavailable, PostFailed

# The bot's name in Slack (manifest.yaml: features.bot_user.display_name).
BOT_NAME = "@Venice"
RUN_AGAIN = "run /venice digest on again"

_NOT_MEMBER = ("not_in_channel", "channel_not_found")
_NOT_ALLOWED = ("restricted_action", "no_permission")
_NOT_INSTALLED = (
    "not_authed",
    "invalid_auth",
    "account_inactive",
    "token_revoked",
    "team_not_found",
)
# Errors after which the call may have gone through.
MAYBE_DONE = frozenset(
    ("internal_error", "fatal_error", "service_unavailable", "request_timeout", "unknown")
)
UNAVAILABLE = frozenset(
    (*_NOT_MEMBER, "is_archived", *_NOT_ALLOWED, "missing_scope", *_NOT_INSTALLED)
)


def error_code(error: SlackApiError) -> str:
    """Slack's error code (`not_in_channel`), or `unknown`."""
    response = error.response
    code = response.get("error") if response is not None else None
    return str(code or "unknown")


def what_to_do(code: str, channel_id: str) -> str:
    """One sentence for the admins: why the bot cannot post into CHANNEL_ID and how to fix it."""
    channel = f"<#{channel_id}>"
    if code in _NOT_MEMBER:
        return f"Invite {BOT_NAME} to {channel} (/invite {BOT_NAME}) and {RUN_AGAIN} there."
    if code == "is_archived":
        return f"{channel} is archived: unarchive it, or {RUN_AGAIN} in another channel."
    if code in _NOT_ALLOWED:
        return f"Slack does not let {BOT_NAME} post in {channel}: allow it there and {RUN_AGAIN}."
    if code == "missing_scope":
        return f"The app lacks a Slack permission it needs: reinstall it and {RUN_AGAIN}."
    return f"The app is no longer installed in this workspace: reinstall it and {RUN_AGAIN}."


def what_to_do_here(code: str) -> str:
    """The same advice for a reply inside that channel (`digest now`): no mention, no schedule."""
    if code in _NOT_MEMBER:
        return f"Invite {BOT_NAME} to this channel (`/invite {BOT_NAME}`), then try again."
    if code == "is_archived":
        return "This channel is archived."
    if code in _NOT_ALLOWED:
        return f"Slack does not let {BOT_NAME} post here: allow it in this channel, then try again."
    if code == "missing_scope":
        return "The app lacks a Slack permission it needs: a workspace admin must reinstall it."
    return "The app is no longer installed in this workspace: a workspace admin must reinstall it."


def chart_advice(code: str, channel_id: str, *, joining: bool = False) -> tuple[str, str]:
    """Why a chart could not go into CHANNEL_ID beside its message, and what to do: for the
    admins (with the channel's mention) and for a reply in that channel. JOINING: Slack refused
    to let the bot join the channel (CODE is join's answer)."""
    if joining or code in _NOT_MEMBER:
        why = "Slack takes a file only from a member of the channel"
        if code == "missing_scope":
            why += ", and this install may not join public channels (reinstall the app to let it)"
        return (
            f"Invite {BOT_NAME} to <#{channel_id}> (`/invite {BOT_NAME}`): {why}.",
            f"Invite {BOT_NAME} to this channel (`/invite {BOT_NAME}`): {why}.",
        )
    if code == "missing_scope":
        fix = "the app lacks the files:write permission: reinstall it to grant it."
        return (
            f"Slack refused the chart in <#{channel_id}>: {fix}",
            f"Slack refused the chart: {fix}",
        )
    if code == "is_archived":
        return f"<#{channel_id}> is archived.", "This channel is archived."
    return (
        f"Slack does not let {BOT_NAME} share files in <#{channel_id}> ({code}): allow it there.",
        f"Slack does not let {BOT_NAME} share files here ({code}): allow it in this channel.",
    )


def post_error(error: SlackApiError, channel_id: str) -> PostFailed:
    """ERROR as ChannelUnavailable (retrying cannot help) or PostFailed (it may, later)."""
    code = error_code(error)
    if code in UNAVAILABLE:
        return ChannelUnavailable(what_to_do(code, channel_id), here=what_to_do_here(code))
    response = error.response
    status = getattr(response, "status_code", None)
    if code == "ratelimited" or status == 429:
        # The client's retry handler already waited out Retry-After a few times.
        headers = getattr(response, "headers", None) or {}
        return PostFailed(
            "Slack kept rate-limiting the post.", retry_after=_seconds(_header(headers))
        )
    # Slack's own failures may have done part of the work ("it's possible some aspect of the
    # operation succeeded", its docs say of fatal_error), as may a 5xx from its edge (slack-sdk
    # reads its HTML body as an error with no code): the post may be in, so it is looked for.
    uncertain = code in MAYBE_DONE or (isinstance(status, int) and status >= 500)
    return PostFailed(f"Slack refused the post ({code}).", uncertain=uncertain)


def _header(headers: object) -> str | None:
    if not isinstance(headers, dict):
        getter = getattr(headers, "get", None)
        value = getter("Retry-After") if getter is not None else None
        return None if value is None else str(value)
    for name, value in headers.items():
        if str(name).lower() == "retry-after":
            if isinstance(value, list):  # slack-sdk keeps some headers as lists
                value = value[0] if value else None
            return None if value is None else str(value)
    return None


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
