"""Database engines and sessions: SQLite (WAL) by default, PostgreSQL by URL."""
from __future__ import annotations

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker


READ_ONLY_OPTION = "onestop_read_only"


def create_db_engine(url: str, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        return _create_sqlite_engine(url, **kwargs)
    return create_engine(url, pool_pre_ping=True, future=True, **kwargs)


def _create_sqlite_engine(url: str, **kwargs) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own handling defers it).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable at checkpoints; safe with WAL
        # Checkpoint (and fsync) every ~40 MB of WAL instead of every 4 MB: case commands write
        # ~10 pages each, and the frequent checkpoints cost a sixth of the command rate.
        cursor.execute("PRAGMA wal_autocheckpoint=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        # Every transaction takes the write lock up front. With WAL, a deferred transaction that
        # read a snapshot and then tries to write after another writer committed fails at once
        # (SQLITE_BUSY_SNAPSHOT, no waiting); IMMEDIATE makes writers queue instead. Reads of
        # other connections are not blocked. Read-only sessions begin a plain snapshot.
        # Issued on the driver's connection directly: through SQLAlchemy it costs a statement
        # execution of its own, on every command.
        driver_connection = connection.connection.driver_connection
        if connection.get_execution_options().get(READ_ONLY_OPTION):
            driver_connection.execute("BEGIN")
        else:
            driver_connection.execute("BEGIN IMMEDIATE")

    return engine


def read_only(engine: Engine) -> Engine:
    """The engine for plain reads: on SQLite they begin a snapshot instead of taking the write lock."""
    return engine.execution_options(**{READ_ONLY_OPTION: True})


def create_session_factory(engine: Engine, *, read_only: bool = False) -> sessionmaker:
    bind = engine.execution_options(**{READ_ONLY_OPTION: True}) if read_only else engine
    return sessionmaker(bind=bind, expire_on_commit=False)
