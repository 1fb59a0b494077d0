"""The store's fixtures (a migrated database on SQLite and on PostgreSQL) for the tests of how
rules meet the store (test_stored.py)."""

from tests.store.conftest import database, empty_database

__all__ = ["database", "empty_database"]
