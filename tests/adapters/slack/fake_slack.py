"""A local fake of Slack's Web API over real HTTP, recording every call (as bolt-python's tests do).

`POST /api/<method>` (form or JSON, the token in `Authorization: Bearer`) answers
`{"ok": true, ...}` like Slack; `POST /response/<id>` plays a `response_url`. Every request is
recorded as a `Call` with its parameters (JSON-valued fields such as `view` and `blocks` parsed).

File uploads go as `files_upload_v2` sends them: `files.getUploadURLExternal` hands out an
upload URL on this fake (`/upload/<file id>`), the raw bytes are POSTed there (recorded as an
UPLOAD_METHOD call with `file_id` and `size`; the bytes are kept in `uploads`), and
`files.completeUploadExternal` shares the files (`shared_files()` says what reached a channel).
Tests add or change behaviour with `fake.on(method, handler)`, without editing this file:

    fake.on("oauth.v2.access", lambda call: {"ok": True, "access_token": ...})

A handler gets the Call and returns the JSON body (a dict), or `(status, body)`, or `(status,
body, headers)`.

Channels keep what the bot posted, as Slack does: `chat.postMessage` (with its `metadata`) and
every shared file add a message, and `conversations.history` reads them back newest first
(`oldest`, `latest`, `limit`, `cursor`; metadata only with `include_all_metadata`;
`history_page_cap` plays Slack's 15-a-page cap on some apps). The bot is a member of
every channel except those in `not_member` (public channels it posts to through
`chat:write.public`: a file upload there fails with `not_in_channel` until
`conversations.join`) and those in `private` (private channels it was not invited to: posting
there fails with `channel_not_found`, joining is refused). `scopes`, when set,
is what the install was granted: history and join answer `missing_scope` without theirs.

`hold(method)` makes the fake do what METHOD does, then keep the answer back until released: a
test kills the bot while Slack has taken a post whose answer never arrived.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TEAM_ID = "T0FAKE"
BOT_USER_ID = "UBOT"
RESPONSE_METHOD = "response_url"
UPLOAD_METHOD = "file_upload"  # the POST of a file's bytes to its upload URL
JSON_FIELDS = ("view", "blocks", "attachments", "metadata", "profile", "files")

Reply = dict[str, Any] | tuple[int, dict[str, Any]] | tuple[int, dict[str, Any], dict[str, str]]
Handler = Callable[["Call"], Reply]


@dataclass(frozen=True)
class Call:
    """One request the fake received: Web API `method` (or "response_url") and its parameters."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    path: str
    at: float = field(default_factory=time.monotonic)

    @property
    def token(self) -> str | None:
        """The bearer token the client sent (or the `token` parameter), if any."""
        auth = self.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[7:].strip()
        token = self.params.get("token")
        return str(token) if token else None

    @property
    def response_id(self) -> str | None:
        """For a response_url POST, the id in `/response/<id>`."""
        return self.path.rsplit("/", 1)[-1] if self.method == RESPONSE_METHOD else None


class FakeSlack:
    """The fake server. `start()` binds 127.0.0.1 on a free port; `stop()` shuts it down."""

    def __init__(self, team_id: str = TEAM_ID) -> None:
        self.team_id = team_id
        self.admins: set[str] = set()
        self.owners: set[str] = set()
        self.names: dict[str, str] = {}
        self._calls: list[Call] = []
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._handlers: dict[str, Handler] = {}
        self._ids = itertools.count(1)
        # file id -> what getUploadURLExternal was told (filename, length, alt_txt), its bytes
        self.upload_requests: dict[str, dict[str, Any]] = {}
        self.uploads: dict[str, bytes] = {}
        self._shared: set[str] = set()  # file ids completeUploadExternal shared
        # channel id -> the messages in it, oldest first (what the bot posted and shared)
        self.channels: dict[str, list[dict[str, Any]]] = {}
        self.not_member: set[str] = set()
        self.private: set[str] = set()
        self.scopes: set[str] | None = None  # None: every scope the bot asks for
        self.history_page_cap: int | None = None  # at most this many messages a history page
        self._holds: dict[str, Hold] = {}
        self._last_ts = 0.0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.install_defaults()

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        fake = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                fake._serve(self)

            def do_GET(self) -> None:
                fake._serve(self)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fake-slack", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        for held in list(self._holds.values()):
            held.release()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def base(self) -> str:
        """`http://127.0.0.1:PORT` (no trailing slash)."""
        assert self._server is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        """The value for SLACK_API_URL: `http://127.0.0.1:PORT/api/`."""
        return f"{self.base}/api/"

    def response_url(self, response_id: str | None = None) -> str:
        """A response_url served (and recorded) by this fake."""
        return f"{self.base}/response/{response_id or f'R{next(self._ids)}'}"

    # -- behaviour ---------------------------------------------------------------------------

    def hold(self, method: str) -> Hold:
        """From now on, METHOD's answers are kept back (after the fake did what it asks) until
        the Hold is released."""
        held = Hold(method)
        with self._lock:
            self._holds[method] = held
        return held

    def handler_of(self, method: str) -> Handler:
        """How METHOD is answered now (to wrap it: `fake.on(m, slowly(fake.handler_of(m)))`)."""
        with self._lock:
            return self._handlers[method]

    def unhold(self, method: str) -> None:
        """Answer METHOD at once again, and let the answers held so far go."""
        with self._lock:
            held = self._holds.pop(method, None)
        if held is not None:
            held.release()

    def on(self, method: str, handler: Handler) -> None:
        """Answer METHOD (`views.open`, `oauth.v2.access`, RESPONSE_METHOD ...) with HANDLER."""
        with self._lock:
            self._handlers[method] = handler

    def install_defaults(self) -> None:
        """The default answers of every method the bot calls."""
        self.on("auth.test", self._auth_test)
        self.on("users.info", self._users_info)
        for method in ("views.open", "views.update", "views.publish", "views.push"):
            self.on(method, self._view)
        self.on("chat.postMessage", self._post_message)
        self.on("chat.postEphemeral", lambda call: {"ok": True, "message_ts": self._ts()})
        self.on("chat.update", self._post_message)
        self.on("conversations.info", self._conversation)
        self.on("conversations.history", self._history)
        self.on("conversations.join", self._join)
        self.on(RESPONSE_METHOD, lambda call: {"ok": True})
        self.on("files.getUploadURLExternal", self._upload_url)
        self.on("files.completeUploadExternal", self._complete_upload)

    # -- what happened -----------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        """Every recorded call of METHOD (`views.open`, or RESPONSE_METHOD), oldest first."""
        return [call for call in self.calls if call.method == method]

    def responses(self, response_id: str | None = None) -> list[Call]:
        """The response_url POSTs (to RESPONSE_ID only, when given)."""
        return [
            call
            for call in self.calls_to(RESPONSE_METHOD)
            if response_id is None or call.response_id == response_id
        ]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Block until METHOD was called COUNT times; AssertionError after TIMEOUT seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                calls = [call for call in self._calls if call.method == method]
                if len(calls) >= count:
                    return calls
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = sorted({call.method for call in self._calls})
                    raise AssertionError(f"{method} called {len(calls)}x, wanted {count}; {seen}")
                self._changed.wait(left)

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()

    def shared_files(self) -> list[SharedFile]:
        """Every file that completeUploadExternal shared (each call that succeeded), with its
        bytes and what it was told."""
        shared = []
        for call in self.calls_to("files.completeUploadExternal"):
            for item in call.params.get("files") or []:
                file_id = str(item.get("id"))
                if file_id not in self._shared:  # refused (not in channel, ...)
                    continue
                asked = self.upload_requests.get(file_id, {})
                shared.append(
                    SharedFile(
                        file_id=file_id,
                        channel=str(call.params.get("channel_id") or ""),
                        title=item.get("title"),
                        filename=str(asked.get("filename") or ""),
                        alt_txt=asked.get("alt_txt"),
                        initial_comment=call.params.get("initial_comment"),
                        data=self.uploads.get(file_id, b""),
                        at=call.at,
                    )
                )
        return shared

    def all_text(self) -> str:
        """Everything every call carried, as one string (to prove a secret never left)."""
        return "\n".join(json.dumps(call.params, default=str) for call in self.calls)

    # -- serving -----------------------------------------------------------------------------

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        url = urlsplit(request.path)
        headers = {k.lower(): v for k, v in request.headers.items()}
        if url.path.startswith("/upload/"):
            self._receive_upload(request, url.path, raw, headers)
            return
        params = _params(raw, headers.get("content-type", ""), url.query)
        if url.path.startswith("/api/"):
            method = url.path[len("/api/") :]
        elif url.path.startswith("/response/"):
            method = RESPONSE_METHOD
        else:
            method = url.path
        call = Call(method, params, headers, url.path)
        with self._changed:
            self._calls.append(call)
            handler = self._handlers.get(method)
            self._changed.notify_all()
        if handler is None:
            status, body, extra = 200, {"ok": False, "error": "unknown_method"}, {}
        else:
            status, body, extra = _normalise(handler(call))
        with self._lock:
            held = self._holds.get(method)
        if held is not None:
            held.keep(call)
        payload = json.dumps(body).encode()
        try:
            request.send_response(status)
            request.send_header("Content-Type", "application/json; charset=utf-8")
            request.send_header("Content-Length", str(len(payload)))
            for name, value in extra.items():
                request.send_header(name, value)
            request.end_headers()
            request.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the client died (a test killed it)
            request.close_connection = True

    def _receive_upload(
        self, request: BaseHTTPRequestHandler, path: str, raw: bytes, headers: dict[str, str]
    ) -> None:
        """The bytes of a file, POSTed to the URL getUploadURLExternal gave: `OK - <size>`."""
        file_id = path.rsplit("/", 1)[-1]
        call = Call(UPLOAD_METHOD, {"file_id": file_id, "size": len(raw)}, headers, path)
        with self._changed:
            known = file_id in self.upload_requests
            if known:
                self.uploads[file_id] = raw
            self._calls.append(call)
            self._changed.notify_all()
        status, text = (200, f"OK - {len(raw)}") if known else (404, "unknown upload")
        payload = text.encode()
        request.send_response(status)
        request.send_header("Content-Type", "text/plain; charset=utf-8")
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)

    # -- default answers ---------------------------------------------------------------------

    def _ts(self) -> str:
        """A message timestamp: the time, unique and increasing like Slack's."""
        with self._lock:
            self._last_ts = max(time.time(), self._last_ts + 0.000001)
            return f"{self._last_ts:.6f}"

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """What CHANNEL holds, oldest first."""
        with self._lock:
            return list(self.channels.get(channel, []))

    def _add_message(self, channel: str, message: dict[str, Any]) -> None:
        with self._lock:
            self.channels.setdefault(channel, []).append(message)

    def _granted(self, scope: str) -> bool:
        return self.scopes is None or scope in self.scopes

    def _history(self, call: Call) -> Reply:
        channel = str(call.params.get("channel") or "")
        scope = "groups:history" if channel in self.private else "channels:history"
        if not self._granted(scope):
            return {"ok": False, "error": "missing_scope", "needed": scope}
        if channel in self.not_member:
            return {"ok": False, "error": "not_in_channel"}
        oldest = float(call.params.get("oldest") or 0)
        latest = float(call.params.get("latest") or "inf")
        limit = int(call.params.get("limit") or 100)
        if self.history_page_cap is not None:  # Slack's cap for some apps: 15 a page
            limit = min(limit, self.history_page_cap)
        start = int(call.params.get("cursor") or 0)
        with_metadata = str(call.params.get("include_all_metadata")).lower() in ("1", "true")
        newest_first = [
            m for m in reversed(self.messages(channel)) if oldest < float(m["ts"]) < latest
        ]
        page = newest_first[start : start + limit]
        if not with_metadata:
            page = [{k: v for k, v in m.items() if k != "metadata"} for m in page]
        more = start + limit < len(newest_first)
        return {
            "ok": True,
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _join(self, call: Call) -> Reply:
        channel = str(call.params.get("channel") or "")
        if channel in self.private:
            return {"ok": False, "error": "method_not_supported_for_channel_type"}
        if not self._granted("channels:join"):
            return {"ok": False, "error": "missing_scope", "needed": "channels:join"}
        with self._lock:
            self.not_member.discard(channel)
        return {"ok": True, "channel": {"id": channel, "is_member": True}}

    def _auth_test(self, call: Call) -> Reply:
        return {
            "ok": True,
            "url": "https://fake.slack.test/",
            "team": "Fake Team",
            "user": "venice",
            "team_id": self.team_id,
            "user_id": BOT_USER_ID,
            "bot_id": "BFAKE",
            "is_enterprise_install": False,
        }

    def _users_info(self, call: Call) -> Reply:
        user_id = str(call.params.get("user", ""))
        name = self.names.get(user_id, user_id.lower())
        return {
            "ok": True,
            "user": {
                "id": user_id,
                "team_id": self.team_id,
                "name": name,
                "real_name": name.title(),
                "profile": {"display_name": name, "real_name": name.title()},
                "is_admin": user_id in self.admins or user_id in self.owners,
                "is_owner": user_id in self.owners,
                "tz": "Europe/Paris",
                "locale": "en-US",
            },
        }

    def _view(self, call: Call) -> Reply:
        view = call.params.get("view")
        view = dict(view) if isinstance(view, dict) else {}
        view.setdefault("id", f"V{next(self._ids)}")
        view.setdefault("team_id", self.team_id)
        return {"ok": True, "view": view}

    def _post_message(self, call: Call) -> Reply:
        channel = str(call.params.get("channel") or "")
        if channel in self.private:  # a private channel the bot was not invited to
            return {"ok": False, "error": "channel_not_found"}
        message: dict[str, Any] = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": "BFAKE",
            "ts": self._ts(),
            "text": call.params.get("text"),
            "blocks": call.params.get("blocks"),
        }
        if isinstance(call.params.get("metadata"), dict):
            message["metadata"] = call.params["metadata"]
        if call.method == "chat.postMessage":
            self._add_message(channel, message)
        return {"ok": True, "channel": channel, "ts": message["ts"], "message": message}

    def _upload_url(self, call: Call) -> Reply:
        if not call.params.get("filename") or not str(call.params.get("length", "")).isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._ids):08d}"
        with self._lock:
            self.upload_requests[file_id] = {
                "filename": call.params["filename"],
                "length": int(call.params["length"]),
                "alt_txt": call.params.get("alt_txt"),
            }
        return {"ok": True, "upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}

    def _complete_upload(self, call: Call) -> Reply:
        items = call.params.get("files")
        if not isinstance(items, list) or not items:
            return {"ok": False, "error": "invalid_arguments"}
        with self._lock:
            missing = [item.get("id") for item in items if item.get("id") not in self.uploads]
        if missing:
            return {"ok": False, "error": "file_not_found"}
        channel = str(call.params.get("channel_id") or "")
        if channel and channel in self.not_member | self.private:
            # Slack shares a file only from a member of the channel.
            return {"ok": False, "error": "not_in_channel"}
        files = [
            {
                "id": item["id"],
                "title": item.get("title"),
                "name": self.upload_requests[item["id"]]["filename"],
                "size": len(self.uploads[item["id"]]),
                "channels": [call.params.get("channel_id")],
            }
            for item in items
        ]
        with self._lock:
            self._shared.update(str(f["id"]) for f in files)
        if channel:
            shared = [{"id": f["id"], "name": f["name"], "title": f["title"]} for f in files]
            message = {"type": "message", "user": BOT_USER_ID, "bot_id": "BFAKE",
                       "ts": self._ts(), "text": "", "upload": True, "files": shared}  # fmt: skip
            self._add_message(channel, message)
        return {"ok": True, "files": files}

    def _conversation(self, call: Call) -> Reply:
        channel = call.params.get("channel")
        return {"ok": True, "channel": {"id": channel, "name": "general", "is_member": True}}


class Hold:
    """The answers to one method, kept back until `release()`; `wait_for(n)` blocks until N
    calls are being held."""

    def __init__(self, method: str) -> None:
        self.method = method
        self.held: list[Call] = []
        self._released = threading.Event()
        self._changed = threading.Condition()

    def keep(self, call: Call) -> None:
        """Called by the fake after it did what CALL asks: wait until released."""
        with self._changed:
            self.held.append(call)
            self._changed.notify_all()
        self._released.wait(timeout=120)

    def wait_for(self, count: int = 1, timeout: float = 30.0) -> list[Call]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.held) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{self.method} held {len(self.held)}x, wanted {count}")
                self._changed.wait(left)
            return list(self.held)

    def release(self) -> None:
        self._released.set()


@dataclass(frozen=True)
class SharedFile:
    """A file shared into a channel through files_upload_v2's three steps."""

    file_id: str
    channel: str
    title: str | None
    filename: str
    alt_txt: str | None
    initial_comment: str | None
    data: bytes
    at: float


def _params(raw: bytes, content_type: str, query: str) -> dict[str, Any]:
    params: dict[str, Any] = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
    if raw:
        if "json" in content_type:
            body = json.loads(raw)
            if isinstance(body, dict):
                params.update(body)
        else:
            params.update(
                {k: v[-1] for k, v in parse_qs(raw.decode(), keep_blank_values=True).items()}
            )
    for name in JSON_FIELDS:
        value = params.get(name)
        if isinstance(value, str) and value[:1] in ("{", "["):
            with contextlib.suppress(ValueError):
                params[name] = json.loads(value)
    return params


def _normalise(reply: Reply) -> tuple[int, dict[str, Any], dict[str, str]]:
    if isinstance(reply, dict):
        return 200, reply, {}
    if len(reply) == 2:
        return reply[0], reply[1], {}
    return reply[0], reply[1], reply[2]  # type: ignore[misc]
