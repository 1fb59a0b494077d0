"""A local fake of Discord: the HTTP API discord.py calls and a minimal gateway, on localhost.

It speaks the real protocol (JSON bodies, `Authorization: Bot <token>`, the interaction callback
and webhook routes, gateway HELLO / IDENTIFY / READY / heartbeats / dispatches), records every
HTTP request (method, path relative to the API base, query, JSON body, headers) and answers:

    GET  /users/@me                                 the bot user (401 for any other token)
    GET  /oauth2/applications/@me                   the application
    GET  /gateway/bot                               this fake's gateway URL
    PUT  /applications/{app}/commands               echoes the commands with ids
    PUT  /applications/{app}/guilds/{g}/commands    the same, for one server
    POST /channels/{id}/messages                    a message (JSON, or multipart with files);
                                                    a repeated `nonce` with `enforce_nonce`
                                                    within `nonce_window` seconds gives back
                                                    the first message, as Discord does; 403
                                                    Missing Access for channels in
                                                    `no_access`, 404 Unknown Channel for those
                                                    in `unknown_channels`, 403 Missing
                                                    Permissions for files in `no_attach`
    GET  /channels/{id}/messages                    the channel's messages, newest first
                                                    (`after`, `limit`); 403 for `no_history`
    POST /users/@me/channels                        the DM channel with `recipient_id`
    POST /interactions/{id}/{token}/callback        an interaction response
    POST /webhooks/{app}/{token}                    a follow-up message
    PATCH/GET /webhooks/{app}/{token}/messages/{m}  the original response, edited / read

Tests set `DISCORD_API_URL` (or `use_api_url`) to `base_url`. It runs in a thread of its own, so
a test may drive it from any event loop or from a subprocess. `posted()` lists the messages the
bot created in channels (with their attachments' bytes), duplicates dropped by nonce excluded.
Message ids are snowflakes of the time they were made, as Discord's are. `hold_messages()` keeps
the answers to message posts back, after the message was made, until released (a test kills
the bot in between).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

from tests.services import free_port

APPLICATION_ID = 1_100_000_000_000_000_001
BOT_USER_ID = APPLICATION_ID
API_PREFIX = "/api/v10"
EPHEMERAL = 64


@dataclass(frozen=True)
class Uploaded:
    """A file part of a multipart request (`files[0]`): its name, type and bytes."""

    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Recorded:
    """One HTTP request the bot made."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    headers: dict[str, str]
    files: tuple[Uploaded, ...] = ()


@dataclass(frozen=True)
class Posted:
    """A message the bot created in a channel, with the files attached to it."""

    channel_id: str
    message: dict[str, Any]
    files: tuple[Uploaded, ...]
    request: dict[str, Any] = field(default_factory=dict)  # what the bot sent


def bot_user() -> dict[str, Any]:
    return {
        "id": str(BOT_USER_ID),
        "username": "venice-bot",
        "discriminator": "0",
        "global_name": "Venice bot",
        "avatar": None,
        "bot": True,
        "flags": 0,
    }


class FakeDiscord:
    """Discord's HTTP API and gateway for one bot token."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.port = free_port()
        self.requests: list[Recorded] = []
        self.gateway_frames: list[dict[str, Any]] = []
        # PATH -> (status, JSON body): answer that route with an error (e.g. a refused sync).
        self.refuse: dict[str, tuple[int, dict[str, Any]]] = {}
        # Channel ids the bot may not see (403, 50001) or that do not exist (404, 10003).
        self.no_access: set[str] = set()
        self.unknown_channels: set[str] = set()
        # User ids who accept no DM from the bot (403, 50007 on the DM channel).
        self.closed_dms: set[str] = set()
        self.dm_channels: dict[str, str] = {}  # user id -> DM channel id
        self.no_attach: set[str] = set()  # channels where the bot lacks Attach Files
        self.no_history: set[str] = set()  # channels where it lacks Read Message History
        self.nonce_window = 300.0  # seconds a nonce dedupes ("the past few minutes")
        self._posted: list[Posted] = []
        self._by_nonce: dict[str, tuple[float, dict[str, Any]]] = {}
        self._hold: asyncio.Event | None = None
        self.held = 0  # message posts whose answer is being kept back
        self.identified = threading.Event()
        # A gateway close code to answer IDENTIFY with (4004 bad token, 4014 intents refused).
        self.close_on_identify: int | None = None
        self._changed = threading.Condition()
        self._ids = itertools.count(1)
        self._last_id = 0
        self._seq = itertools.count(1)
        self._sockets: set[web.WebSocketResponse] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # -- running ---------------------------------------------------------------------------

    @contextmanager
    def running(self) -> Iterator[FakeDiscord]:
        """Serve in a background thread until the block ends."""
        ready = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            loop.run_until_complete(self._start())
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._stop())
            loop.close()

        self._thread = threading.Thread(target=serve, name="fake-discord", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the fake Discord did not start")
        try:
            yield self
        finally:
            assert self._loop is not None
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._api)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def _stop(self) -> None:
        for socket in list(self._sockets):
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- what tests look at ----------------------------------------------------------------

    def recorded(self, method: str | None = None, prefix: str = "") -> list[Recorded]:
        """The requests so far, optionally only METHOD ones whose path starts with PREFIX."""
        with self._changed:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method) and r.path.startswith(prefix)
            ]

    def wait_for(self, predicate: Callable[[Recorded], bool], timeout: float = 10) -> Recorded:
        """The first recorded request matching PREDICATE, waiting up to TIMEOUT seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for request in self.requests:
                    if predicate(request):
                        return request
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [f"{r.method} {r.path}" for r in self.requests]
                    raise AssertionError(f"no matching request within {timeout}s; saw {seen}")
                self._changed.wait(left)

    def hold_messages(self) -> None:
        """From now on, keep back the answer to each message post (the message is made)."""
        assert self._loop is not None
        self._hold = asyncio.Event()

    def release(self) -> None:
        """Answer the held message posts, and answer the next ones at once."""
        held, self._hold = self._hold, None
        if held is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(held.set)

    def wait_held(self, count: int = 1, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while self.held < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.held} message posts held, wanted {count}")
            time.sleep(0.02)

    def posted(self, channel_id: str | None = None) -> list[Posted]:
        """The messages created in channels (in CHANNEL_ID only, when given), oldest first."""
        with self._changed:
            return [p for p in self._posted if channel_id is None or p.channel_id == channel_id]

    def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a gateway DISPATCH (e.g. INTERACTION_CREATE) to every identified connection."""
        if not self.identified.wait(10):
            raise AssertionError("no bot identified on the fake gateway")
        assert self._loop is not None
        frame = {"op": 0, "t": event, "s": next(self._seq), "d": data}
        asyncio.run_coroutine_threadsafe(self._broadcast(frame), self._loop).result(10)

    async def _broadcast(self, frame: dict[str, Any]) -> None:
        for socket in list(self._sockets):
            await socket.send_json(frame)

    # -- HTTP ------------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        body, files = await _read_body(request)
        with self._changed:
            self.requests.append(
                Recorded(
                    request.method, path, dict(request.query), body, dict(request.headers), files
                )
            )
            self._changed.notify_all()
        if path in self.refuse:
            status, error = self.refuse[path]
            return _json(error, status=status)
        parts = path.strip("/").split("/")
        if parts[0] in ("interactions", "webhooks"):
            return self._interaction_route(request.method, parts, body)
        if request.headers.get("Authorization") != f"Bot {self.token}":
            return _json({"message": "401: Unauthorized", "code": 0}, status=401)
        if request.method == "POST" and parts[0] == "channels" and parts[-1] == "messages":
            answer = self._create_message(parts[1], body or {}, files)
            if self._hold is not None and answer.status == 200:
                self.held += 1
                await self._hold.wait()
            return answer
        if request.method == "GET" and parts[0] == "channels" and parts[-1] == "messages":
            return self._channel_messages(parts[1], dict(request.query))
        return self._bot_route(request.method, parts, body)

    def _snowflake(self) -> str:
        """A new id: milliseconds since Discord's epoch, shifted, plus a counter (unique)."""
        with self._changed:
            stamp = (int(time.time() * 1000) - 1_420_070_400_000) << 22
            self._last_id = max(stamp, self._last_id + 1)
            return str(self._last_id)

    def _channel_messages(self, channel_id: str, query: dict[str, str]) -> web.Response:
        """GET /channels/{id}/messages: newest first, after `after`, at most `limit`."""
        if channel_id in self.no_access or channel_id in self.no_history:
            return _json({"message": "Missing Access", "code": 50001}, status=403)
        after = int(query.get("after") or 0)
        limit = min(int(query.get("limit") or 50), 100)
        with self._changed:
            mine = [p.message for p in self._posted if p.channel_id == channel_id]
        newer = [m for m in mine if int(m["id"]) > after]
        # With `after`, Discord answers the oldest ones after it, newest first.
        return _json(list(reversed(newer[:limit])))

    def _create_message(
        self, channel_id: str, body: dict[str, Any], files: tuple[Uploaded, ...]
    ) -> web.Response:
        """POST /channels/{id}/messages as Discord answers it, nonce dedupe included."""
        if channel_id in self.no_access:
            return _json({"message": "Missing Access", "code": 50001}, status=403)
        if channel_id in self.unknown_channels:
            return _json({"message": "Unknown Channel", "code": 10003}, status=404)
        closed = {self.dm_channels.get(user) for user in self.closed_dms}
        if channel_id in closed:
            error = {"message": "Cannot send messages to this user", "code": 50007}
            return _json(error, status=403)
        if files and channel_id in self.no_attach:
            return _json({"message": "Missing Permissions", "code": 50013}, status=403)
        nonce = body.get("nonce")
        now = time.monotonic()
        with self._changed:
            first = self._by_nonce.get(str(nonce)) if body.get("enforce_nonce") else None
            if first is not None and now - first[0] <= self.nonce_window:
                # Discord: the message this nonce already created, and no new one.
                return _json(first[1])
            message = self._message(channel_id, body)
            message["attachments"] = [self._attachment(f) for f in files]
            if nonce is not None:
                message["nonce"] = str(nonce)
                if body.get("enforce_nonce"):
                    self._by_nonce[str(nonce)] = (now, message)
            self._posted.append(Posted(channel_id, message, files, body))
            self._changed.notify_all()
        return _json(message)

    def _attachment(self, upload: Uploaded) -> dict[str, Any]:
        attachment_id = self._snowflake()
        url = f"http://127.0.0.1:{self.port}/attachments/{attachment_id}/{upload.filename}"
        return {
            "id": attachment_id,
            "filename": upload.filename,
            "size": len(upload.data),
            "content_type": upload.content_type,
            "url": url,
            "proxy_url": url,
        }

    def _dm_channel(self, body: Any) -> web.Response:
        """POST /users/@me/channels: the DM channel with `recipient_id` (the same one again)."""
        user_id = str((body or {}).get("recipient_id") or "")
        if not user_id.isdigit():
            return _json({"message": "Invalid Form Body", "code": 50035}, status=400)
        with self._changed:
            if user_id not in self.dm_channels:
                self.dm_channels[user_id] = str(1_300_000_000_000_000_000 + next(self._ids))
            channel_id = self.dm_channels[user_id]
        recipient = {**bot_user(), "id": user_id, "bot": False, "username": f"user{user_id}"}
        return _json(
            {"id": channel_id, "type": 1, "last_message_id": None, "recipients": [recipient]}
        )

    def _bot_route(self, method: str, parts: list[str], body: Any) -> web.Response:
        if (method, parts) == ("GET", ["users", "@me"]):
            return _json(bot_user())
        if (method, parts) == ("GET", ["oauth2", "applications", "@me"]):
            return _json(self._application())
        if (method, parts) == ("GET", ["gateway", "bot"]):
            limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
            return _json({"url": self.gateway_url, "shards": 1, "session_start_limit": limit})
        if method == "PUT" and parts[0] == "applications" and parts[-1] == "commands":
            guild = parts[3] if len(parts) == 5 else None
            return _json([self._command(c, guild) for c in body or []])
        if (method, parts) == ("POST", ["users", "@me", "channels"]):
            return self._dm_channel(body)
        return _json({"message": "404: Not Found", "code": 0}, status=404)

    def _interaction_route(self, method: str, parts: list[str], body: Any) -> web.Response:
        payload = body or {}
        if parts[0] == "interactions":  # POST /interactions/{id}/{token}/callback
            kind = payload.get("type")
            data = payload.get("data") or {}
            message = self._message("0", data) if kind in (4, 7) else None
            interaction = {
                "id": parts[1],
                "type": 2,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(data.get("flags", 0) & EPHEMERAL),
            }
            resource: dict[str, Any] = {"type": kind}
            if message is not None:
                interaction["response_message_id"] = message["id"]
                resource["message"] = message
            return _json({"interaction": interaction, "resource": resource})
        return _json(self._message("0", payload))  # follow-ups and edits

    def _application(self) -> dict[str, Any]:
        return {
            "id": str(APPLICATION_ID),
            "name": "venice-bot",
            "description": "",
            "icon": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": {**bot_user(), "id": "1000", "bot": False, "username": "owner"},
            "verify_key": "00" * 32,
            "flags": 0,
            "summary": "",
        }

    def _command(self, command: dict[str, Any], guild: str | None) -> dict[str, Any]:
        answered = {
            **command,
            "id": self._snowflake(),
            "application_id": str(APPLICATION_ID),
            "version": self._snowflake(),
        }
        if guild is not None:
            answered["guild_id"] = guild
        return answered

    def _message(self, channel_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": self._snowflake(),
            "channel_id": channel_id,
            "type": 0,
            "content": body.get("content") or "",
            "author": bot_user(),
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "attachments": [],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": datetime.now(UTC).isoformat(),
            "edited_timestamp": None,
            "flags": body.get("flags") or 0,
            # A reply names the message it answers, as Discord's message objects do.
            **(
                {"message_reference": body["message_reference"]}
                if body.get("message_reference")
                else {}
            ),
        }

    # -- gateway ---------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_json({"op": 10, "d": {"heartbeat_interval": 45_000}})
        try:
            async for message in socket:
                if message.type is not WSMsgType.TEXT:
                    continue
                frame = json.loads(message.data)
                with self._changed:
                    self.gateway_frames.append(frame)
                if frame.get("op") == 1:  # heartbeat
                    await socket.send_json({"op": 11})
                elif frame.get("op") == 2 and self.close_on_identify is not None:
                    await socket.close(code=self.close_on_identify)
                elif frame.get("op") == 2:  # identify
                    await socket.send_json(self._ready(frame["d"]))
                    self._sockets.add(socket)
                    self.identified.set()
        finally:
            self._sockets.discard(socket)
        return socket

    def _ready(self, identify: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = {
            "v": 10,
            "user": bot_user(),
            "guilds": [],
            "session_id": "fake-session",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(APPLICATION_ID), "flags": 0},
        }
        if "shard" in identify:
            data["shard"] = identify["shard"]
        return {"op": 0, "t": "READY", "s": next(self._seq), "d": data}


def _json(body: Any, status: int = 200) -> web.Response:
    # Exactly `application/json`, as Discord sends it: discord.py parses no other content type.
    return web.Response(
        body=json.dumps(body).encode(), status=status, headers={"Content-Type": "application/json"}
    )


async def _read_body(request: web.Request) -> tuple[Any, tuple[Uploaded, ...]]:
    """The JSON body, or the `payload_json` part of a multipart body (messages with files) and
    its file parts."""
    if not request.can_read_body:
        return None, ()
    if request.content_type.startswith("multipart/"):
        form = await request.post()
        payload = form.get("payload_json")
        files = tuple(
            Uploaded(name, part.filename, part.content_type, part.file.read())
            for name, part in form.items()
            if isinstance(part, web.FileField)
        )
        return (json.loads(payload) if isinstance(payload, str) else None), files
    text = await request.text()
    return (json.loads(text) if text else None), ()
