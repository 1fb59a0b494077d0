"""SecretBox: AES-256-GCM bound to workspace and purpose; any tampering or mix-up fails loudly."""

from __future__ import annotations

import pytest

from bot.secrets import (
    Keyring,
    MasterKeyMissing,
    SecretBox,
    SecretUnreadable,
    generate_master_key,
    key_id_of,
    secret_context,
)

K1, K2 = generate_master_key("K1"), generate_master_key("K2")
KEY = "VENICE_ADMIN_KEY_" + "boxtest0123456789"
HERE = secret_context("slack:T0123", "venice_key")


def test_seal_then_open_round_trips_without_the_plaintext_in_the_blob():
    box = SecretBox(Keyring((K1,)))
    blob = box.seal(KEY, context=HERE)
    assert KEY.encode() not in blob
    assert box.open(blob, context=HERE) == KEY
    assert key_id_of(blob) == "K1"


def test_context_names_workspace_purpose_and_version():
    assert HERE == "slack:T0123:venice_key:v1"
    with pytest.raises(ValueError, match="purpose"):
        secret_context("slack:T0123", "Venice Key")


def test_two_seals_of_the_same_secret_differ():
    box = SecretBox(Keyring((K1,)))
    first, second = box.seal(KEY, context=HERE), box.seal(KEY, context=HERE)
    assert first != second
    assert box.open(first, context=HERE) == box.open(second, context=HERE) == KEY


@pytest.mark.parametrize(
    "other",
    [
        secret_context("slack:T9999", "venice_key"),
        secret_context("discord:T0123", "venice_key"),
        secret_context("slack:T0123", "bot_token"),
    ],
)
def test_a_blob_bound_elsewhere_does_not_open(other: str):
    box = SecretBox(Keyring((K1,)))
    blob = box.seal(KEY, context=HERE)
    with pytest.raises(SecretUnreadable) as caught:
        box.open(blob, context=other)
    assert caught.value.workspace_id == other.rsplit(":", 2)[0]
    assert caught.value.workspace_id in str(caught.value)
    assert "Reconnect" in str(caught.value)


def test_every_altered_byte_is_detected():
    box = SecretBox(Keyring((K1, K2)))
    blob = SecretBox(Keyring((K2, K1))).seal(KEY, context=HERE)
    for position in range(len(blob)):
        altered = bytearray(blob)
        altered[position] ^= 0x01
        with pytest.raises((SecretUnreadable, MasterKeyMissing)):
            box.open(bytes(altered), context=HERE)
    for truncated in (blob[:-1], blob[:20], b"", b"\x01"):
        with pytest.raises(SecretUnreadable):
            box.open(truncated, context=HERE)


def test_the_newest_key_seals_and_any_key_opens():
    old_blob = SecretBox(Keyring((K1,))).seal(KEY, context=HERE)
    both = SecretBox(Keyring((K2, K1)))
    assert both.open(old_blob, context=HERE) == KEY
    assert key_id_of(both.seal(KEY, context=HERE)) == "K2"


def test_a_blob_under_an_absent_key_names_that_key():
    blob = SecretBox(Keyring((K2,))).seal(KEY, context=HERE)
    with pytest.raises(MasterKeyMissing) as caught:
        SecretBox(Keyring((K1,))).open(blob, context=HERE)
    assert caught.value.key_id == "K2"
    assert str(caught.value) == (
        "The stored secrets need master key 'K2', which is not in the keyring "
        "(VENICE_BOT_MASTER_KEYS or VENICE_BOT_MASTER_KEYS_FILE). Add it back, or reconnect "
        "the affected workspaces."
    )


def test_a_box_repr_shows_key_ids_only():
    shown = repr(SecretBox(Keyring((K2, K1))))
    assert "K2" in shown
    assert "K1" in shown
    assert K1.encoded().split(":")[1] not in shown
