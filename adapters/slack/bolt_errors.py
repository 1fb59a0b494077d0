"""What the Slack app answers when Bolt cannot handle a signed request, instead of Bolt's 500 and
traceback (or its multi-line "unhandled request" warning, which quotes the request).

- A request no listener handles (an event the bot did not subscribe to, a button of another
  app): 404, and one warning line a minute at most naming its type.
- A payload slack-bolt itself cannot read (a shape Slack never sends: a `view` that is a string,
  an empty `actions` list): 400, and one warning line a minute at most per kind of failure,
  naming the error and where slack-bolt raised it, never the payload.
- The bot's database not answering where a request needs it (a Slack installation this
  process has not read, an uninstall to record): a slash command gets a private sentence saying
  so, an event 503 so that Slack sends it again later, anything else an empty 200; one warning
  line a minute at most.
- An error in the bot's own listener code: logged with its traceback (a bug to fix), 500.
"""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

import slack_bolt
import slack_sdk
from slack_bolt.async_app import AsyncApp
from slack_bolt.error import BoltUnhandledRequestError
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from adapters.slack.replies import store_down
from bot.error_cards import STORE_UNAVAILABLE_READING
from bot.throttled_log import ThrottledWarnings

log = logging.getLogger(__name__)

_LIBRARIES = tuple(str(Path(module.__file__ or "").parent) for module in (slack_bolt, slack_sdk))


def handle_bolt_errors(app: AsyncApp) -> None:
    """Make APP answer as the module says when Bolt cannot handle a request."""
    warnings = ThrottledWarnings(log)

    async def on_error(
        error: Exception, request: AsyncBoltRequest, response: BoltResponse | None
    ) -> BoltResponse:
        if isinstance(error, BoltUnhandledRequestError):
            kind = _payload_type(request)
            warnings.warn(f"unhandled:{kind}", f"no listener handles this Slack request ({kind})")
            return BoltResponse(status=404, body="")
        if store_down(error):
            kind = _payload_type(request)
            warnings.warn(
                f"store:{kind}", f"the database is unavailable; could not handle a {kind}"
            )
            if "command" in request.body:
                said = {"response_type": "ephemeral", "text": STORE_UNAVAILABLE_READING}
                return BoltResponse(status=200, body=said)
            if request.body.get("type") == "event_callback":
                return BoltResponse(status=503, body="")  # Slack retries it later
            return BoltResponse(status=200, body="")
        where = _raised_in_library(error)
        if where is not None:
            kind = type(error).__name__
            warnings.warn(
                f"unreadable:{kind}:{where}",
                f"slack-bolt could not read a signed Slack request ({kind} at {where}); "
                "refused it (400)",
            )
            return BoltResponse(status=400, body="")
        log.error("Slack listener failed: %s", type(error).__name__, exc_info=error)
        return BoltResponse(status=500, body="")

    app.error(on_error)


def _payload_type(request: AsyncBoltRequest) -> str:
    body = request.body
    if "command" in body:
        return "slash command"
    kind = body.get("type")
    if kind == "event_callback" and isinstance(body.get("event"), dict):
        event_type = body["event"].get("type")
        return f"event {event_type}" if isinstance(event_type, str) else "event"
    return kind[:40] if isinstance(kind, str) else "no type"


def _raised_in_library(error: Exception) -> str | None:
    """`module.py:line` where ERROR was raised, when that is in slack-bolt or slack-sdk."""
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return None
    last = frames[-1]
    if not last.filename.startswith(_LIBRARIES):
        return None
    return f"{Path(last.filename).name}:{last.lineno}"
