"""A migrated, empty index database for the query tests (SQLite, or PostgreSQL when
PHR_TEST_DATABASE_URL names one); a module seeds it by overriding ``db``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from phr_share.db import Database


@pytest.fixture
def blank_db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture
def db(blank_db: Database) -> Database:
    return blank_db
