"""Secrets never reach the logs, whichever logger writes them and in either format."""

from __future__ import annotations

import json
import logging
import secrets
import time

import pytest

from bot.logs import SecretRegistry, configure_logging, redact, register_secret

# Built from parts so the repository holds nothing a secret scanner would flag.
ADMIN_KEY = "VENICE_ADMIN_KEY_" + "abcdefghijklmnop1234"
SECRETS = [
    ADMIN_KEY,
    "VENICE_INFERENCE_KEY_" + "zyxwvutsrq9876543",
    "xoxb-" + "1234567890-abcdefghijkl",
    "xoxp-" + "1234567890-abcdefghijkl",
    "xoxe-" + "1-abcdefghijkl",
    "xapp-1-A0123-456-abcdef",
]


@pytest.mark.parametrize("secret", SECRETS)
def test_redact_masks_credentials(secret: str):
    assert secret not in redact(f"calling with {secret} now")
    assert "[redacted]" in redact(f"calling with {secret} now")


def test_redact_masks_any_bearer_token():
    assert redact("Authorization: Bearer old-style-key-123") == "Authorization: Bearer [redacted]"


@pytest.mark.parametrize("fmt", ["console", "json"])
def test_every_logger_is_redacted(fmt: str, capsys: pytest.CaptureFixture[str]):
    configure_logging("INFO", fmt)
    try:
        logging.getLogger("some.third.party").warning("header %s", "Bearer sk-live-abcdef")
        try:
            raise ValueError(f"key {ADMIN_KEY} refused")
        except ValueError:
            logging.getLogger("bot").exception("failed")
    finally:
        logging.getLogger().handlers.clear()
    err = capsys.readouterr().err
    assert "sk-live-abcdef" not in err
    assert ADMIN_KEY not in err
    assert err.count("[redacted]") >= 2
    if fmt == "json":
        lines = [json.loads(line) for line in err.splitlines() if line.strip()]
        assert {line["level"] for line in lines} == {"warning", "error"}


def test_a_registered_secret_without_a_prefix_is_masked_everywhere(
    capsys: pytest.CaptureFixture[str],
):
    # Older Venice keys have no prefix: only the registry of loaded keys can recognise them.
    old_key = "old" + secrets.token_hex(10)
    assert redact(f"key={old_key}") == f"key={old_key}"
    register_secret(old_key)
    assert redact(f"key={old_key};") == "key=[redacted];"
    configure_logging("DEBUG", "json")
    try:
        logging.getLogger("any.library").info("sent %s", {"auth": old_key})
        try:
            raise RuntimeError(f"refused {old_key}")
        except RuntimeError:
            logging.getLogger("bot").exception("failed")
    finally:
        logging.getLogger().handlers.clear()
    err = capsys.readouterr().err
    assert old_key not in err
    assert err.count("[redacted]") >= 2


def test_short_values_are_not_registered():
    register_secret("abc")
    assert redact("abc abcabc") == "abc abcabc"


def test_chat_sdk_loggers_never_go_below_info_even_at_debug(capsys: pytest.CaptureFixture[str]):
    configure_logging("DEBUG", "console")
    try:
        # At DEBUG slack-sdk logs OAuth response bodies and discord.py gateway payloads.
        for name in ("slack_sdk.oauth", "slack_bolt.App", "discord.gateway"):
            logging.getLogger(name).debug("response body %s", "would-be-token-body")
        logging.getLogger("bot.anything").debug("the bot's own debug line")
    finally:
        logging.getLogger().handlers.clear()
    err = capsys.readouterr().err
    assert "would-be-token-body" not in err
    assert "the bot's own debug line" in err


@pytest.mark.parametrize(
    "line",
    [
        "posting to https://hooks.slack.com/commands/T0123/4567/abcdefSECRETPATH",
        "body: command=%2Fvenice&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands"
        "%2FT0%2F1%2FabcdefSECRETPATH&x=1",
    ],
)
def test_slack_response_urls_are_masked(line: str):
    cleaned = redact(line)
    assert "SECRETPATH" not in cleaned
    assert "hooks.slack.com" in cleaned.replace("%2F", "/")


def test_thousands_of_registered_keys_are_each_masked_even_inside_a_longer_token():
    # One key per workspace: a bot in 2,000 workspaces registers 2,000 keys, many sharing a
    # prefix, and must still mask each one in every line without slowing every log line down.
    registry = SecretRegistry()
    keys = [f"sim-admin-team-{number:05d}-" + secrets.token_hex(6) for number in range(2000)]
    keys += ["old" + secrets.token_hex(3 + number % 12) for number in range(100)]  # 9-33 chars
    started = time.process_time()
    for key in keys:
        registry.add(key)
    for number, key in enumerate(keys):
        neighbour = keys[number - 1]
        line = f"GET /usage auth=x{key}y next={neighbour[:-1]} then {key}{neighbour}"
        masked = registry.mask(line)
        assert key not in masked
        assert neighbour not in masked
        assert masked.startswith("GET /usage auth=x[redacted]y next=")
    assert time.process_time() - started < 2.0  # one regex over every key took minutes


def test_a_key_containing_another_or_overlapping_it_is_masked_whole():
    registry = SecretRegistry()
    inner = "inner" + secrets.token_hex(8)
    outer = "outer-" + inner + "-tail"
    overlapping = inner[-8:] + secrets.token_hex(8)
    for value in (inner, outer, overlapping):
        registry.add(value)
    assert registry.mask(f"[{outer}]") == "[[redacted]]"
    # Two keys sharing characters in a line: neither shows, not even in part.
    masked = registry.mask(f"<{inner[:-8]}{overlapping}>")
    assert masked == "<[redacted]>"


@pytest.mark.parametrize(
    "library", ["slack_bolt.AsyncApp", "slack_sdk.web.async_base_client", "discord.gateway"]
)
def test_at_debug_only_the_bots_own_loggers_log_debug(
    library: str, capsys: pytest.CaptureFixture[str]
):
    configure_logging("DEBUG", "console")
    try:
        # What slack-bolt does to every logger it creates, after logging is configured.
        logging.getLogger(library).level = logging.getLogger().level
        logging.getLogger(library).debug("Responding with status: 200 body: the reply")
        logging.getLogger(library).setLevel(logging.DEBUG)  # even a level set explicitly
        logging.getLogger(library).debug("Sending a request - body: the reply")
        logging.getLogger(library).info("library info")
        logging.getLogger("bot.runtime").debug("own debug")
        logging.getLogger("adapters.slack.commands").debug("adapter debug")
    finally:
        logging.getLogger().handlers.clear()
        logging.getLogger(library).setLevel(logging.NOTSET)
    err = capsys.readouterr().err
    assert "the reply" not in err
    assert "library info" in err
    assert "own debug" in err
    assert "adapter debug" in err


def test_above_debug_the_bots_loggers_follow_the_root(capsys: pytest.CaptureFixture[str]):
    configure_logging("WARNING", "console")
    try:
        logging.getLogger("bot.runtime").info("own info")
        logging.getLogger("bot.runtime").warning("own warning")
        assert logging.getLogger("bot").level == logging.NOTSET
    finally:
        logging.getLogger().handlers.clear()
    err = capsys.readouterr().err
    assert "own info" not in err
    assert "own warning" in err
