"""`POST /slack/events` never answers 5xx and never logs a traceback, whatever arrives: a real
`venice-bot serve` process (LOG_LEVEL=DEBUG) fuzzed with raw bodies and headers, unsigned,
forged, stale and correctly signed; each kind of refusal has its status, one rate-limited
warning line and a count in /metrics; Slack's own requests (commands, url_verification, retries,
ssl_check) still work."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import signal
import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk.signature import SignatureVerifier

from adapters.slack.front_door import (
    BAD_SIGNATURE,
    COMMAND_REFUSAL,
    INCOMPLETE,
    INCOMPLETE_COMMAND,
    MALFORMED,
    MAX_BODY_BYTES,
    NOT_UTF8,
    STALE,
    TOO_LARGE,
    UNSIGNED,
)
from tests.adapters.serve_process import ServeProcess, base_env
from tests.adapters.slack.fake_slack import TEAM_ID, FakeSlack
from tests.adapters.slack.served import (
    ADMIN,
    BOT_TOKEN,
    SIGNING_SECRET,
    admin_key,
    bot_settings,
    reply_texts,
    seed_key,
)
from venice_simulator.server import RunningSimulator

FUZZ_EXAMPLES = 400
SERVE_STARTED: list[float] = []
REASONS = [UNSIGNED, STALE, TOO_LARGE, BAD_SIGNATURE, NOT_UTF8, MALFORMED, INCOMPLETE,
           INCOMPLETE_COMMAND]  # fmt: skip
FRONT_DOOR_WARNING = re.compile(r" WARNING adapters\.slack\.front_door: refused (a|\d+) request")
CHAT_LIBRARY_DEBUG = re.compile(r"^\S+ \S+ DEBUG (slack_bolt|slack_sdk|discord|venice-bot)\b", re.M)


@pytest.fixture(scope="module")
def module_fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    fake.admins.add(ADMIN)
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture(scope="module")
def serve(
    tmp_path_factory: pytest.TempPathFactory,
    simulator: RunningSimulator,
    module_fake_slack: FakeSlack,
) -> Iterator[ServeProcess]:
    """One `venice-bot serve` process for the module, at LOG_LEVEL=DEBUG."""
    tmp_path = tmp_path_factory.mktemp("front-door")
    seed_key(bot_settings(tmp_path, simulator.base_url, module_fake_slack), admin_key())
    env = base_env(
        tmp_path,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=module_fake_slack.api_url,
        VENICE_API_BASE=simulator.base_url,
        LOG_LEVEL="DEBUG",
        DIGEST_SCHEDULER="off",
    )
    process = ServeProcess(env, module_fake_slack).start()
    SERVE_STARTED.append(time.monotonic())
    try:
        yield process
    finally:
        process.kill()


def signed_headers(
    body: bytes, stamp: int | None = None, secret: str = SIGNING_SECRET
) -> dict[str, str]:
    """Slack's signature headers for BODY (any bytes: slack-sdk's signer takes text only)."""
    timestamp = str(int(time.time()) if stamp is None else stamp)
    base = b"v0:" + timestamp.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    if body.isascii():  # the same as slack-sdk's, where it can sign
        slack_sdk_says = SignatureVerifier(secret).generate_signature(
            timestamp=timestamp, body=body.decode()
        )
        assert slack_sdk_says == f"v0={digest}"
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={digest}"}


def post(serve: ServeProcess, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{serve.url}/slack/events", content=body, headers=headers, timeout=30)


def refused_count(serve: ServeProcess, reason: str) -> float:
    metrics = httpx.get(f"{serve.url}/metrics").text
    found = re.search(
        rf'^venice_bot_slack_requests_refused_total\{{reason="{reason}"\}} (\S+)$', metrics, re.M
    )
    return float(found.group(1)) if found else 0.0


# -- each refusal ------------------------------------------------------------------------------

FORM = {"content-type": "application/x-www-form-urlencoded"}
JSON_TYPE = {"content-type": "application/json"}


@pytest.mark.parametrize(
    ("body", "headers", "status", "reason"),
    [
        (b"\xff\xfe\x00", FORM, 401, "unsigned"),
        (b"{bad json", JSON_TYPE, 401, "unsigned"),
        (b"payload=null", FORM, 401, "unsigned"),
        (b"command=%2Fvenice&text=balance", {**FORM, "X-Slack-Signature": "v0=" + "0" * 64}, 401,
         "unsigned"),
        (b"command=%2Fvenice", {**FORM, "X-Slack-Request-Timestamp": "1e9",
                                "X-Slack-Signature": "v0=" + "0" * 64}, 401, "unsigned"),
    ],
    ids=["not-utf8", "bad-json", "payload-null", "no-timestamp", "odd-timestamp"],
)  # fmt: skip
def test_unsigned_requests_get_401_before_anything_is_parsed(
    serve: ServeProcess, body: bytes, headers: dict[str, str], status: int, reason: str
):
    before = refused_count(serve, reason)
    response = post(serve, body, headers)
    assert response.status_code == status
    assert response.text == "missing signature"
    assert refused_count(serve, reason) == before + 1


def test_a_stale_or_forged_signature_gets_401(serve: ServeProcess):
    body = b"command=%2Fvenice&text=balance&team_id=T0FAKE&user_id=UADMIN"
    stale = post(serve, body, {**FORM, **signed_headers(body, int(time.time()) - 301)})
    assert (stale.status_code, stale.text) == (401, "stale timestamp")
    ahead = post(serve, body, {**FORM, **signed_headers(body, int(time.time()) + 400)})
    assert ahead.status_code == 401
    forged = post(serve, body, {**FORM, **signed_headers(body, secret="not-the-secret-at-all")})
    assert (forged.status_code, forged.text) == (401, "invalid signature")


@pytest.mark.parametrize(
    ("body", "headers", "status", "text"),
    [
        (b"\xff\xfe\x00", FORM, 400, "body is not UTF-8"),
        (b"{bad json", JSON_TYPE, 400, "body is not a Slack payload"),
        (b"payload=null", FORM, 400, "body is not a Slack payload"),
        (b"payload=%22text%22", FORM, 400, "body is not a Slack payload"),
        (b"[1, 2]", JSON_TYPE, 400, "body is not a Slack payload"),
        (b'{"type": "block_actions", "actions": []}', JSON_TYPE, 400,
         "body is not a Slack payload"),
        (b'{"type": "view_submission", "view": "/venice"}', JSON_TYPE, 400,
         "body is not a Slack payload"),
        (b'{"type": "block_actions", "actions": [{"action_id": "venice_share"}]}', JSON_TYPE, 400,
         "no workspace or user"),
        (b'{"type": "event_callback", "event": {"type": "app_home_opened"}}', JSON_TYPE, 400,
         "no workspace or user"),
    ],
    ids=["not-utf8", "bad-json", "payload-null", "payload-string", "json-array", "no-actions",
         "view-as-text", "action-without-user", "event-without-team"],
)  # fmt: skip
def test_signed_bodies_that_are_no_slack_payload_get_400(
    serve: ServeProcess, body: bytes, headers: dict[str, str], status: int, text: str
):
    response = post(serve, body, {**headers, **signed_headers(body)})
    assert (response.status_code, response.text) == (status, text)


def test_an_oversized_body_gets_413_even_before_it_is_all_sent(serve: ServeProcess):
    body = b"a" * (MAX_BODY_BYTES + 1)
    response = post(serve, body, {**FORM, **signed_headers(body)})
    assert (response.status_code, response.text) == (413, "too large")

    def chunks() -> Iterator[bytes]:  # no Content-Length: chunked, counted as it arrives
        for _ in range(20):
            yield b"b" * 65536

    streamed = httpx.post(
        f"{serve.url}/slack/events",
        content=chunks(),
        headers={**FORM, **signed_headers(b"whatever")},
        timeout=30,
    )
    assert streamed.status_code == 413


@pytest.mark.parametrize(
    "form",
    [
        {"command": "/venice", "text": "balance", "user_id": ADMIN},
        {"command": "/venice", "text": "balance", "team_id": TEAM_ID},
        {"command": "/venice", "text": "balance", "team_id": "T\udcff".encode(
            "utf-8", "surrogateescape").decode("latin-1"), "user_id": ADMIN},
    ],
    ids=["no-team", "no-user", "non-utf8-team"],
)  # fmt: skip
def test_a_signed_command_naming_no_workspace_or_user_is_told_so_privately(
    serve: ServeProcess, form: dict[str, str]
):
    body = urlencode(form, encoding="latin-1").encode()
    response = post(serve, body, {**FORM, **signed_headers(body)})
    assert response.status_code == 200
    assert response.json() == {"response_type": "ephemeral", "text": COMMAND_REFUSAL}


# -- what Slack sends still works ---------------------------------------------------------------


def test_slack_requests_still_work(serve: ServeProcess, module_fake_slack: FakeSlack):
    answered = serve.command("balance")
    assert "DIEM left today" in json.dumps(answered.ack)
    challenge = serve.post(
        json.dumps({"type": "url_verification", "challenge": "c-123", "token": "x"}),
        content_type="application/json",
    )
    assert challenge.json() == {"challenge": "c-123"}
    # A retry of an event (Slack re-sends after 3 s without an answer) is answered like the first.
    home = {"type": "app_home_opened", "user": ADMIN, "tab": "home"}
    event = json.dumps(
        {"type": "event_callback", "team_id": TEAM_ID, "api_app_id": "A0VENICE",
         "event_id": "Ev1", "event_time": int(time.time()), "event": home}
    )  # fmt: skip
    body = event.encode()
    retried = post(
        serve,
        body,
        {**JSON_TYPE, **signed_headers(body), "X-Slack-Retry-Num": "1",
         "X-Slack-Retry-Reason": "http_timeout"},
    )  # fmt: skip
    assert retried.status_code == 200
    # Slack's certificate check comes unsigned: answered, nothing else done.
    ssl_check = post(serve, b"ssl_check=1&token=legacy", FORM)
    assert (ssl_check.status_code, ssl_check.text) == (200, "")


# -- the fuzz ----------------------------------------------------------------------------------

SLACK_KEYS = ["type", "command", "text", "team_id", "user_id", "team", "user", "channel",
              "channel_id", "actions", "view", "event", "payload", "trigger_id", "api_app_id",
              "enterprise", "enterprise_id", "is_enterprise_install", "authorizations",
              "challenge", "token", "ssl_check", "container", "message", "state",
              "callback_id"]  # fmt: skip
SLACK_VALUES = ["/venice", "block_actions", "view_submission", "view_closed", "event_callback",
                "url_verification", "app_home_opened", "app_uninstalled", "tokens_revoked",
                "shortcut", TEAM_ID, ADMIN, "balance", "connect", "venice_share", "venice_connect",
                "1", "", "true"]  # fmt: skip
ACTION_IDS = ["venice_share", "venice_chart", "venice_period_30d", "venice_home_connect",
              "venice_home_confirmed", "venice_confirm", "venice_cancel", "venice_run_0",
              "venice_run_4", "venice_run_x", "venice_run_", "someone_elses_button"]  # fmt: skip
# A card's buttons carry any command (alert snooze 3 1h): one pasting a key, one far too long.
COMMAND_TEXTS = ["balance", "usage 7d", "top-keys 30d 3", "top-models", "help", "status",
                 "connect", "digest status", "access", "nonsense words", "", "access admins",
                 "alert snooze 3 1h", "alert ack 3", "connect sk-pasted-0123456789abcdef",
                 "balance " * 400]  # fmt: skip

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.sampled_from(SLACK_VALUES)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(SLACK_KEYS) | st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=20,
)
slack_objects = st.dictionaries(st.sampled_from(SLACK_KEYS), json_values, max_size=8)
form_fields = st.dictionaries(
    st.sampled_from(SLACK_KEYS) | st.text(max_size=8),
    st.sampled_from(SLACK_VALUES) | st.text(max_size=30),
    max_size=8,
)


@st.composite
def mutated(draw: st.DrawFn, template: dict[str, Any]) -> dict[str, Any]:
    """TEMPLATE (a payload as Slack sends it) with some fields, at any depth, of another value."""
    result: dict[str, Any] = {}
    for key, value in template.items():
        roll = draw(st.integers(0, 19))
        if roll == 0:
            continue  # dropped
        if roll == 1:
            result[key] = draw(json_values)
        elif isinstance(value, dict):
            result[key] = draw(mutated(value))
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            result[key] = [draw(mutated(item)) for item in value]
        else:
            result[key] = value
    return result


def slack_shaped(response_url: str) -> st.SearchStrategy[bytes]:
    """Payloads as Slack sends them to this bot (its command, buttons, modal, events), some of
    their fields dropped or of another type; replies go to the fake's RESPONSE_URL."""
    person = {"id": ADMIN, "name": "ada", "team_id": TEAM_ID}
    command = st.builds(
        lambda text, form: urlencode(form | {"text": text}).encode(),
        st.sampled_from(COMMAND_TEXTS) | st.text(max_size=40),
        mutated({"command": "/venice", "team_id": TEAM_ID, "user_id": ADMIN,
                 "user_name": "ada", "channel_id": "C0GENERAL", "response_url": response_url,
                 "trigger_id": "t.1"}).map(lambda form: {k: str(v) for k, v in form.items()}),
    )  # fmt: skip

    def click_on(action: tuple[str, str]) -> st.SearchStrategy[dict[str, Any]]:
        action_id, value = action
        return mutated(
            {"type": "block_actions", "team": {"id": TEAM_ID}, "user": person,
             "trigger_id": "t.2", "response_url": response_url,
             "channel": {"id": "C0GENERAL"}, "container": {"channel_id": "C0GENERAL"},
             "actions": [{"action_id": action_id, "block_id": "venice_controls", "value": value}]}
        )  # fmt: skip

    click = (
        st.tuples(st.sampled_from(ACTION_IDS), st.sampled_from(COMMAND_TEXTS))
        .flatmap(click_on)
        .map(_payload)
    )
    submission = mutated(
        {"type": "view_submission", "team": {"id": TEAM_ID}, "user": person,
         "view": {"id": "V1", "type": "modal", "callback_id": "venice_connect",
                  "private_metadata": json.dumps({"channel": "C0GENERAL"}),
                  "state": {"values": {"venice_key": {"key": {"value": "not-a-key"}}}}}},
    ).map(_payload)  # fmt: skip
    event = mutated(
        {"type": "event_callback", "team_id": TEAM_ID, "api_app_id": "A0VENICE",
         "event": {"type": "app_home_opened", "user": ADMIN, "tab": "home"}}
    ).map(lambda body: json.dumps(body).encode())  # fmt: skip
    return command | click | submission | event


def _payload(payload: dict[str, Any], **override: Any) -> bytes:
    return urlencode({"payload": json.dumps(payload | override)}).encode()


@st.composite
def bodies(draw: st.DrawFn, response_url: str) -> bytes:
    kind = draw(st.sampled_from(["bytes", "text", "form", "json", "payload", "raw-payload",
                                 "slack", "slack", "slack"]))  # fmt: skip
    if kind == "bytes":
        return draw(st.binary(max_size=600))
    if kind == "text":
        return draw(st.text(max_size=300)).encode("utf-8", "surrogatepass")
    if kind == "form":
        return urlencode(draw(form_fields)).encode()
    if kind == "json":
        return json.dumps(draw(json_values | slack_objects)).encode()
    if kind == "payload":
        return urlencode({"payload": json.dumps(draw(json_values | slack_objects))}).encode()
    if kind == "raw-payload":
        return b"payload=" + draw(st.binary(max_size=200))
    return draw(slack_shaped(response_url))


CONTENT_TYPES = [None, "application/x-www-form-urlencoded", "application/json", "text/plain",
                 "multipart/form-data; boundary=x", "application/json; charset=latin-1",
                 "\u00e9\u00e8/\u00ff"]  # fmt: skip
SIGNING = ["none", "valid", "valid", "valid", "valid", "wrong-secret", "stale", "future", "garbage",
           "timestamp-only", "signature-only", "odd-timestamp"]  # fmt: skip


@st.composite
def requests(draw: st.DrawFn, response_url: str) -> tuple[bytes, dict[str, str], str]:
    body = draw(bodies(response_url))
    headers: dict[str, str] = {}
    content_type = draw(st.sampled_from(CONTENT_TYPES))
    if content_type is not None:
        headers["content-type"] = content_type
    signing = draw(st.sampled_from(SIGNING))
    now = int(time.time())
    if signing == "valid":
        headers |= signed_headers(body)
    elif signing == "wrong-secret":
        headers |= signed_headers(body, secret="some-other-secret")
    elif signing == "stale":
        headers |= signed_headers(body, now - draw(st.integers(301, 10**9)))
    elif signing == "future":
        headers |= signed_headers(body, now + draw(st.integers(301, 10**9)))
    elif signing == "garbage":
        # Any Latin-1 character but CR and LF (which would end the header).
        alphabet = st.characters(min_codepoint=0, max_codepoint=255, exclude_characters="\r\n")
        headers["X-Slack-Request-Timestamp"] = draw(st.text(alphabet, max_size=15))
        headers["X-Slack-Signature"] = draw(st.text(alphabet, max_size=80))
    elif signing == "timestamp-only":
        headers["X-Slack-Request-Timestamp"] = str(now)
    elif signing == "signature-only":
        headers["X-Slack-Signature"] = signed_headers(body)["X-Slack-Signature"]
    elif signing == "odd-timestamp":
        stamp = draw(st.sampled_from([f" {now}", f"{now} ", f"+{now}", f"{now}.0", "-1", "0"]))
        headers["X-Slack-Request-Timestamp"] = stamp
        headers["X-Slack-Signature"] = "v0=" + "a" * 64
    if draw(st.booleans()):
        headers["X-Slack-Retry-Num"] = draw(st.sampled_from(["1", "2", "x"]))
        headers["X-Slack-Retry-Reason"] = "http_timeout"
    return body, headers, signing


def raw_post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    """POST BODY with HEADERS written byte for byte (Latin-1), as no HTTP client would refuse
    to: the status and the body of the answer."""
    parts = urlsplit(url)
    lines = [b"POST /slack/events HTTP/1.1", f"Host: {parts.netloc}".encode(),
             b"Connection: close", f"Content-Length: {len(body)}".encode()]  # fmt: skip
    lines += [name.encode() + b": " + value.encode("latin-1") for name, value in headers.items()]
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as connection:
        connection.sendall(b"\r\n".join(lines) + b"\r\n\r\n" + body)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, rest = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), rest


def test_fuzz_no_5xx_no_traceback_no_chat_library_debug_line(
    serve: ServeProcess, module_fake_slack: FakeSlack
):
    seen: dict[str, int] = {}
    replies: set[str] = set()

    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(requests(module_fake_slack.response_url("RFUZZ")))
    def door_holds(request: tuple[bytes, dict[str, str], str]) -> None:
        body, headers, signing = request
        status, answer = raw_post(serve.url, body, headers)
        if status == 200 and answer.startswith(b"{"):
            replies.update(reply_texts(json.loads(answer)))
        outcome = f"{signing}:{status}"
        seen[outcome] = seen.get(outcome, 0) + 1
        assert status < 500, (body, headers, answer)
        if signing != "valid":  # only Slack (the signing secret) gets past the door
            ssl_check = signing == "none" and status == 200
            # uvicorn itself answers 400 to a header with a control character in it.
            bad_header = status == 400 and any(
                ord(c) < 32 and c != "\t" for value in headers.values() for c in value
            )
            assert status in (401, 413) or ssl_check or bad_header, (body, headers, status)

    door_holds()
    # The signed ones reached Bolt and the listeners, too: answered, refused and unhandled.
    assert seen.get("valid:200", 0) >= FUZZ_EXAMPLES // 40, seen
    assert seen.get("valid:400", 0) > 0, seen
    time.sleep(1)  # let answers after the ack (response_url, App Home) finish
    refused = {refusal.reason: refused_count(serve, refusal.reason) for refusal in REASONS}
    code, _ = serve.stop(signal.SIGTERM)
    log = serve.log
    assert code == 0, log
    assert "Traceback" not in log
    assert "Exception in ASGI application" not in log
    assert CHAT_LIBRARY_DEBUG.findall(log) == []
    assert SIGNING_SECRET not in log
    assert "sk-pasted-0123456789abcdef" not in log  # a key pasted into a button's value
    assert replies  # some were answered, and no answer reached the log
    assert sorted(text for text in replies if text in log) == []
    # At most one warning line a minute per reason, however many were refused.
    minutes = int((time.monotonic() - SERVE_STARTED[0]) // 60)
    logged: dict[str, int] = {}
    for refusal in REASONS:
        lines = [line for line in log.splitlines() if refusal.says in line]
        assert len(lines) <= minutes + 1, (refusal.reason, lines)
        assert all(FRONT_DOOR_WARNING.search(line) for line in lines)
        logged[refusal.reason] = logged.get(refusal.reason, 0) + len(lines)
    assert refused["unsigned"] > 50  # the door was knocked on, hard
    for reason, count in refused.items():
        assert (logged[reason] > 0) == (count > 0), (reason, count)
