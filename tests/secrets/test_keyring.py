"""The master keyring: parsed from settings or a file, newest first; errors never show material."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from bot.secrets import Keyring, KeyringError, MasterKey, generate_master_key
from bot.settings import Settings

SOURCE = "VENICE_BOT_MASTER_KEYS"


def encoded_material(fill: int) -> str:
    return base64.b64encode(bytes([fill]) * 32).decode()


def test_entries_parse_newest_first_with_commas_or_newlines():
    one, two = encoded_material(1), encoded_material(2)
    for text in (f"k2:{two},k1:{one}", f"k2:{two}\nk1:{one}\n", f" k2:{two} ,\n k1:{one} ,"):
        keyring = Keyring.parse(text, source=SOURCE)
        assert keyring.ids == ("k2", "k1")
        assert keyring.newest.id == "k2"
        assert keyring.newest.material == bytes([2]) * 32
        assert keyring.get("k1") == MasterKey("k1", bytes([1]) * 32)
        assert keyring.get("k3") is None


def test_url_safe_base64_is_accepted():
    material = bytes([0xFB, 0xFF]) * 16  # encodes with '+' and '/' in standard base64
    url_safe = base64.urlsafe_b64encode(material).decode()
    assert "-" in url_safe or "_" in url_safe
    assert Keyring.parse(f"k:{url_safe}", source=SOURCE).newest.material == material


def test_an_encoded_key_parses_back():
    key = generate_master_key()
    assert Keyring.parse(key.encoded(), source=SOURCE).newest == key


def test_generated_keys_are_random_with_dated_ids():
    first, second = generate_master_key(), generate_master_key()
    assert first.material != second.material
    assert first.id != second.id
    assert first.id.startswith("k20")
    assert generate_master_key("mine").id == "mine"


def test_reprs_hide_the_material():
    key = generate_master_key("k1")
    keyring = Keyring((key,))
    for shown in (repr(key), str(key), repr(keyring)):
        assert "k1" in shown
        assert key.encoded().split(":")[1] not in shown
        assert repr(key.material) not in shown


MATERIAL = encoded_material(7)
SHORT = base64.b64encode(b"s3cr3t-but-short").decode()


@pytest.mark.parametrize(
    ("text", "secret", "named"),
    [
        (f"good:{MATERIAL},{MATERIAL}", MATERIAL, "entry 2"),  # the id was forgotten
        (f"{MATERIAL}:good", MATERIAL, "entry 1"),  # id and material swapped
        (f"k1:{SHORT}", SHORT, "'k1'"),
        ("k1:not base64 at all!", "not base64 at all!", "'k1'"),
        (f"bad id:{MATERIAL}", MATERIAL, "entry 1"),
        (f"k1:{MATERIAL},k1:{encoded_material(8)}", MATERIAL, "'k1' appears twice"),
    ],
)
def test_parse_errors_name_source_and_entry_never_material(text: str, secret: str, named: str):
    with pytest.raises(KeyringError) as caught:
        Keyring.parse(text, source=SOURCE)
    message = str(caught.value)
    assert SOURCE in message
    assert named in message
    assert secret not in message
    assert secret[:12] not in message


@pytest.mark.parametrize("text", ["", " , \n", "# only a comment\n"])
def test_an_empty_keyring_is_refused(text: str):
    with pytest.raises(KeyringError, match="holds no master keys"):
        Keyring.parse(text, source=SOURCE)


def test_settings_prefer_the_variable_then_the_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    from_env, from_file = generate_master_key("env"), generate_master_key("file")
    keyring_file = tmp_path / "keys"
    keyring_file.write_text(f"# mounted secret\n{from_file.encoded()}\n")
    monkeypatch.delenv("VENICE_BOT_MASTER_KEYS", raising=False)
    monkeypatch.delenv("VENICE_BOT_MASTER_KEYS_FILE", raising=False)
    assert Keyring.from_settings(Settings()) is None

    monkeypatch.setenv("VENICE_BOT_MASTER_KEYS_FILE", str(keyring_file))
    assert Keyring.from_settings(Settings()) == Keyring((from_file,))

    monkeypatch.setenv("VENICE_BOT_MASTER_KEYS", from_env.encoded())
    assert Keyring.from_settings(Settings()) == Keyring((from_env,))


def test_an_unreadable_keyring_file_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    missing = tmp_path / "no-such-keyring"
    monkeypatch.delenv("VENICE_BOT_MASTER_KEYS", raising=False)
    monkeypatch.setenv("VENICE_BOT_MASTER_KEYS_FILE", str(missing))
    with pytest.raises(KeyringError) as caught:
        Keyring.from_settings(Settings())
    assert str(missing) in str(caught.value)
    assert "VENICE_BOT_MASTER_KEYS_FILE" in str(caught.value)


def test_a_bad_entry_in_the_file_names_the_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    keyring_file = tmp_path / "keys"
    keyring_file.write_text(f"k1:{SHORT}\n")
    monkeypatch.delenv("VENICE_BOT_MASTER_KEYS", raising=False)
    monkeypatch.setenv("VENICE_BOT_MASTER_KEYS_FILE", str(keyring_file))
    with pytest.raises(KeyringError) as caught:
        Keyring.from_settings(Settings())
    assert str(keyring_file) in str(caught.value)
    assert "entry 1" in str(caught.value)
    assert SHORT not in str(caught.value)
