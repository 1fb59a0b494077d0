"""Secrets never reach the logs, whichever logger writes them and in either format."""

from __future__ import annotations

import json
import logging
import secrets

import pytest

from bot.logs import configure_logging, redact, register_secret

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
        logging.getLogger("any.library").debug("sent %s", {"auth": old_key})
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
