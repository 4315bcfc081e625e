"""Opening the index database and bringing its schema to the newest migration."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from phr_share.errors import ConfigurationError, StoreUnavailable
from phr_share.keyfile import private_file

__all__ = ["OUTBOX", "Database"]

MIGRATIONS = Path(__file__).with_name("migrations")
# The key of ``Session.info`` under which a transaction leaves what is to be done only
# once it is committed (mails of notices): handed to ``Database.committed`` after it.
OUTBOX = "outbox"


class Database:
    """An engine and session factory for one database URL."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        try:
            parsed = make_url(url)
        except exc.ArgumentError:
            raise ConfigurationError("PHR_DATABASE_URL is not a database URL") from None
        options: dict[str, Any] = {"echo": echo, "future": True}
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                _private_sqlite_file(Path(parsed.database))
            options["connect_args"] = {"timeout": 30}
        else:
            options["pool_pre_ping"] = True
        self.url = parsed
        self.engine: Engine = create_engine(parsed, **options)
        if parsed.get_backend_name() == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin_immediate)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # Called with a committed transaction's outbox; never after a rollback.
        self.committed: Callable[[list[object]], None] | None = None

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.url.get_backend_name()

    def migrate(self, revision: str = "head") -> None:
        """Apply every pending migration (up to ``revision``); StoreUnavailable when the
        server is down."""
        try:
            with self.engine.begin() as connection:
                config = _alembic_config()
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
        except exc.OperationalError as error:
            raise StoreUnavailable("the database cannot be reached") from error

    def is_current(self) -> bool:
        """True when the schema is at the newest migration."""
        head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision() == head

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
            outbox = session.info.pop(OUTBOX, None)
        except exc.OperationalError as error:
            session.rollback()
            raise StoreUnavailable("the database cannot be reached") from error
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
        # After the commit and outside the transaction: nothing done here can undo it.
        if outbox and self.committed is not None:
            self.committed(outbox)

    def check(self) -> None:
        """Health probe; raises StoreUnavailable."""
        try:
            with self.engine.connect() as connection:
                connection.exec_driver_sql("SELECT 1")
        except exc.OperationalError as error:
            raise StoreUnavailable("the database cannot be reached") from error

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _private_sqlite_file(path: Path) -> None:
    """Create the database file 0600 before SQLite does (it would use the umask), and
    narrow an older one; SQLite gives its -wal and -shm files the database file's mode."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    private_file(path)
    for journal in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if journal.exists():
            private_file(journal)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Foreign keys are off by default in SQLite; WAL lets readers run during an ingest.
    # The driver's own transaction handling is switched off: transactions start in
    # _sqlite_begin_immediate instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    # Take the write lock when a transaction starts, not at its first write: a
    # read-then-write (the audit head, the next document version) cannot interleave with
    # another writer's, in this process or another. PostgreSQL uses row locks instead.
    connection.exec_driver_sql("BEGIN IMMEDIATE")
