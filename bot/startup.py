"""Opening the workspace store at start-up: keyring, database, migrations, and the checks that
must fail start-up with one clear sentence rather than a traceback later."""

from __future__ import annotations

import contextlib
import gc
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from bot.errors import BotError
from bot.logs import register_secret
from bot.secrets.box import SecretBox
from bot.secrets.keyring import Keyring
from bot.secrets.local_keyring import default_keyring_path, load_or_create_local_keyring
from bot.settings import Settings
from bot.store.database import Database
from bot.store.workspaces import WorkspaceStore

KEYRING_VARIABLES = "VENICE_BOT_MASTER_KEYS (or VENICE_BOT_MASTER_KEYS_FILE)"

Notice = Callable[[str], None]


class StartupError(BotError):
    """The bot cannot start as configured; the message says what to do (CLI exit 1)."""


def to_stderr(message: str) -> None:
    """How start-up tells an operator something once: a line on standard error."""
    print(message, file=sys.stderr, flush=True)


@dataclass
class OpenedStore:
    """The open database and the workspace store over it; `aclose()` closes the database."""

    database: Database
    store: WorkspaceStore
    keyring: Keyring

    async def aclose(self) -> None:
        await self.database.aclose()


def load_keyring(settings: Settings, *, notice: Notice = to_stderr) -> Keyring:
    """The configured keyring; for the embedded default, a local one (created once, announced)."""
    keyring = Keyring.from_settings(settings)
    if keyring is None:
        if not settings.embedded_database:
            raise StartupError(
                "DATABASE_URL points at PostgreSQL, which needs a keyring shared by every "
                f"process: set {KEYRING_VARIABLES}. `venice-bot keys new-master` prints a new key."
            )
        path = default_keyring_path()
        keyring, created = load_or_create_local_keyring(path)
        if created:
            notice(
                f"venice-bot: created a local master key at {path} (readable by you only). Back "
                "it up: stored Venice keys cannot be read without it. Set "
                f"{KEYRING_VARIABLES} to use your own instead."
            )
    for key_id in keyring.ids:
        master = keyring.get(key_id)
        if master is not None:
            register_secret(master.encoded().partition(":")[2])
    return keyring


async def open_database(settings: Settings, *, upgrade: bool | None = None) -> Database:
    """Open DATABASE_URL; by default migrate the embedded one and require PostgreSQL current."""
    url = settings.database_url.get_secret_value()
    _register_password(url)
    database = await Database.open(url)  # DatabaseUnavailable says what is wrong, no password
    try:
        if upgrade or (upgrade is None and settings.embedded_database):
            await database.upgrade()
        elif upgrade is None:
            await database.require_current()  # "run `venice-bot db upgrade`"
    except BaseException as error:
        await database.aclose()
        if isinstance(error, SQLAlchemyError | OSError):
            raise _unreachable(error) from None
        raise
    return database


async def open_store(
    settings: Settings, *, notice: Notice = to_stderr, check_keys: bool = True
) -> OpenedStore:
    """Keyring, database and store; with CHECK_KEYS, refuse to start if a master key is gone."""
    keyring = load_keyring(settings, notice=notice)
    database = await open_database(settings)
    store = WorkspaceStore(database, SecretBox(keyring))
    try:
        if check_keys:
            await store.require_master_keys()  # MasterKeyMissing names every missing id
    except BaseException as error:
        await database.aclose()
        if isinstance(error, SQLAlchemyError | OSError):
            raise _unreachable(error) from None
        raise
    return OpenedStore(database, store, keyring)


def _unreachable(error: BaseException) -> StartupError:
    # The class name only: driver messages can quote the URL, and with it a password.
    return StartupError(
        f"Could not open the database at DATABASE_URL ({type(error).__name__}). Check that it "
        "is running and that the URL and its credentials are right."
    )


def _register_password(url: str) -> None:
    try:
        password = make_url(url).password
    except ArgumentError:
        return
    if password:
        register_secret(str(password))


@contextlib.contextmanager
def settled_heap() -> Iterator[None]:
    """While started and working: what start-up allocated (modules, settings, clients) is
    hidden from the cyclic garbage collector, which otherwise walks all of it again on every
    full collection; measured with bench/digest.py, about 1-2 ms of CPU less per daily digest.
    Objects made meanwhile are collected as usual. Undone on exit, so a process that runs this
    more than once (the tests) frees what became garbage meanwhile."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
