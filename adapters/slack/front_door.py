"""The front door of `POST /slack/events`: every request is checked here before Bolt sees it.

In this order, and nothing is parsed before the signature holds:

1. the `X-Slack-Request-Timestamp` and `X-Slack-Signature` headers are there and well formed
   (else 401), and the timestamp is within 5 minutes of this server's clock (else 401: a replay,
   or a clock that is off);
2. the body is at most MAX_BODY_BYTES (else 413; read no further than that);
3. its `v0=` HMAC-SHA256 signature, over the raw bytes, matches SLACK_SIGNING_SECRET (else 401);
4. only then is it decoded (UTF-8, else 400) and parsed the way Bolt parses it (a form, JSON, or
   a form's `payload` holding JSON) into an object of the shape Slack sends, as far as Bolt and
   the listeners read it (else 400; adapters/slack/payload_shape.py);
5. a signed request that needs a workspace and a user and names none (or names one that is not a
   Slack id) is refused with a sentence: for a slash command a 200 whose private text Slack
   shows to whoever typed it (Slack shows any other status as a bare "dispatch_failed"), for
   buttons, dialogs and events a 400.

The one unsigned request answered is Slack's `ssl_check=1` (a tiny form Slack sends without a
signature to check the certificate): 200, empty, nothing else read from it.

A refusal answers with a short fixed text (never anything from the request), is counted in
/metrics (`venice_bot_slack_requests_refused_total{reason}`), and is logged as one warning line
at most once a minute per reason, with the count of the refusals in between; never a body, a
header's value or a traceback.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs

from slack_bolt.adapter.starlette.async_handler import to_starlette_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from adapters.slack.payload_shape import shape_problem
from bot.metrics import Metrics
from bot.throttled_log import ThrottledWarnings

log = logging.getLogger(__name__)

# Slack's own replay window: a request signed more than this long ago (or ahead) is refused.
SIGNATURE_WINDOW_SECONDS = 300
# Slack's largest requests are a view submission (a view is at most 250 KB) or a button click on
# a message of up to 50 blocks, form-encoded (which can triple JSON's size): 1 MiB holds either.
MAX_BODY_BYTES = 1_048_576
# An unsigned ssl_check is `ssl_check=1&token=...`: a few dozen bytes.
SSL_CHECK_MAX_BYTES = 1024
COMMAND_REFUSAL = (
    "venice-bot cannot answer this: the request does not say which Slack workspace and user it "
    "comes from (team_id, user_id). Try again from Slack; if it keeps happening, tell whoever "
    "runs the bot."
)


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a request is refused: its HTTP status, its /metrics `reason` and what the log says."""

    status: int
    reason: str
    says: str  # the log line's words
    answer: str  # the response body: fixed text, nothing from the request


UNSIGNED = Refusal(
    401, "unsigned", "no valid Slack signature and timestamp headers", "missing signature"
)
STALE = Refusal(
    401,
    "stale",
    "its timestamp is more than 5 minutes from this server's clock (a replay, or a clock off)",
    "stale timestamp",
)
TOO_LARGE = Refusal(413, "too_large", f"its body is over {MAX_BODY_BYTES} bytes", "too large")
BAD_SIGNATURE = Refusal(
    401,
    "bad_signature",
    "its signature does not match SLACK_SIGNING_SECRET (a forged request, or the wrong secret)",
    "invalid signature",
)
NOT_UTF8 = Refusal(400, "not_utf8", "its signed body is not UTF-8", "body is not UTF-8")
MALFORMED = Refusal(
    400, "malformed", "its signed body is not a Slack payload", "body is not a Slack payload"
)
INCOMPLETE = Refusal(
    400,
    "incomplete",
    "it is signed but names no Slack workspace or user (team_id, user_id)",
    "no workspace or user",
)
INCOMPLETE_COMMAND = Refusal(
    200,
    "incomplete",
    "a signed slash command names no Slack workspace or user (team_id, user_id); its sender "
    "was told privately that it cannot be answered",
    json.dumps({"response_type": "ephemeral", "text": COMMAND_REFUSAL}),
)


class _Refused(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.reason)
        self.refusal = refusal


class SlackFrontDoor:
    """`POST /slack/events` for APP: checks each request (see the module) before dispatching it."""

    def __init__(
        self,
        app: AsyncApp,
        signing_secret: str,
        metrics: Metrics,
        *,
        warnings: ThrottledWarnings | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not signing_secret:
            raise ValueError("the front door needs SLACK_SIGNING_SECRET")
        self.app = app
        self._secret = signing_secret.encode()
        self._metrics = metrics
        self._warnings = warnings or ThrottledWarnings(log)
        self._clock = clock

    async def handle(self, request: Request) -> Response:
        """Slack's answer to REQUEST: a refusal, or whatever the Bolt app answers."""
        try:
            admitted = await self._admit(request)
        except _Refused as refused:
            return self._refuse(refused.refusal)
        except ClientDisconnect:
            return Response(status_code=400)  # nobody is left to read it
        if isinstance(admitted, Response):
            return admitted
        return to_starlette_response(await self.app.async_dispatch(admitted))

    def _refuse(self, refusal: Refusal) -> Response:
        self._metrics.slack_refused(refusal.reason)
        self._warnings.warn(
            refusal.says,
            f"refused a request to /slack/events (HTTP {refusal.status}): {refusal.says}",
        )
        media_type = "application/json" if refusal.status == 200 else "text/plain"
        return Response(refusal.answer, status_code=refusal.status, media_type=media_type)

    async def _admit(self, request: Request) -> AsyncBoltRequest | Response:
        stamp = request.headers.get("x-slack-request-timestamp")
        signature = request.headers.get("x-slack-signature")
        if stamp is None and signature is None and await _is_ssl_check(request):
            return Response(status_code=200)
        if stamp is None or signature is None or not _well_formed(stamp, signature):
            raise _Refused(UNSIGNED)
        if abs(self._clock() - int(stamp)) > SIGNATURE_WINDOW_SECONDS:
            raise _Refused(STALE)
        body = await _read_body(request, MAX_BODY_BYTES)
        if not self._signed(stamp, body, signature):
            raise _Refused(BAD_SIGNATURE)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise _Refused(NOT_UTF8) from None
        try:
            admitted = bolt_request(request, text)
        except Exception:  # whatever Bolt's parser trips on (JSON, a `payload` that is no object)
            raise _Refused(MALFORMED) from None
        if not isinstance(admitted.body, dict):
            raise _Refused(MALFORMED)
        context = admitted.context
        team = context.team_id or context.enterprise_id
        problem = shape_problem(admitted.body, team, context.user_id)
        if problem == "malformed":
            raise _Refused(MALFORMED)
        if problem == "incomplete":
            raise _Refused(INCOMPLETE_COMMAND if "command" in admitted.body else INCOMPLETE)
        return admitted

    def _signed(self, stamp: str, body: bytes, signature: str) -> bool:
        base = b"v0:" + stamp.encode() + b":" + body
        expected = "v0=" + hmac.new(self._secret, base, hashlib.sha256).hexdigest()
        # Header values arrive decoded as Latin-1: back to their exact bytes.
        return hmac.compare_digest(expected.encode(), signature.encode("latin-1"))


def bolt_request(request: Request, body: str) -> AsyncBoltRequest:
    """REQUEST as Bolt's request, with BODY (already read and decoded); Bolt parses BODY."""
    query: dict[str, Sequence[str]] = {
        key: request.query_params.getlist(key) for key in request.query_params
    }
    headers: dict[str, str | Sequence[str]] = {
        key: request.headers.getlist(key) for key in request.headers
    }
    return AsyncBoltRequest(body=body, query=query, headers=headers)


def _well_formed(stamp: str, signature: str) -> bool:
    """A timestamp of ASCII digits and a `v0=` signature of 64 letters and digits."""
    if not (stamp.isascii() and stamp.isdigit() and 0 < len(stamp) <= 12):
        return False
    digest = signature.removeprefix("v0=")
    return digest != signature and len(digest) == 64 and digest.isascii() and digest.isalnum()


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, read no further than LIMIT bytes (TOO_LARGE past it)."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise _Refused(TOO_LARGE)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _Refused(TOO_LARGE)
        chunks.append(chunk)
    return b"".join(chunks)


async def _is_ssl_check(request: Request) -> bool:
    """True for Slack's unsigned `ssl_check=1` form (read no further than a kilobyte)."""
    try:
        body = await _read_body(request, SSL_CHECK_MAX_BYTES)
    except _Refused:
        return False
    if not body.isascii():
        return False
    fields = parse_qs(body.decode("ascii"), keep_blank_values=True)
    return fields.get("ssl_check") == ["1"]
