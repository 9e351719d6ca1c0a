"""Thin database adapters: one SQL dialect ("?" placeholders, common subset) on SQLite and PostgreSQL.

Each thread gets its own connection (sqlite3 and psycopg connections are not meant
to be shared between threads); a broken PostgreSQL connection is dropped and
reopened on next use.  Connection-level failures surface as StoreUnavailable so
callers can fall back to the spool.
"""
from __future__ import annotations

import functools
import os
import sqlite3
import threading
from contextlib import contextmanager
from typing import Any, Iterator, Sequence

import sqlite_utils

Params = Sequence[Any]


class StoreUnavailable(RuntimeError):
    """The database cannot be reached (or is locked/full); the operation did not happen."""


class _Base:
    name = ""

    def __init__(self) -> None:
        self._local = threading.local()
        self._all: list[Any] = []
        self._lock = threading.Lock()

    # -- to be provided by subclasses --
    def _connect(self) -> Any: ...
    def _is_usable(self, conn: Any) -> bool: return True
    def _query(self, conn: Any, sql: str, params: Params) -> list[dict]: ...
    def _execute(self, conn: Any, sql: str, params: Params) -> int: ...
    def _begin(self, conn: Any): ...

    def _conn(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None or not self._is_usable(conn):
            conn = self._connect()
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # already broken
                pass

    # Outside a transaction each statement commits on its own.
    def query(self, sql: str, params: Params = ()) -> list[dict]:
        tx = getattr(self._local, "tx", None)
        if tx is not None:
            return tx.query(sql, params)
        with self._errors():
            return self._query(self._conn(), sql, params)

    def execute(self, sql: str, params: Params = ()) -> int:
        tx = getattr(self._local, "tx", None)
        if tx is not None:
            return tx.execute(sql, params)
        with self._errors():
            return self._execute(self._conn(), sql, params)

    @contextmanager
    def transaction(self) -> Iterator["_Tx"]:
        """All statements inside commit together, or none do.  Not re-entrant."""
        if getattr(self._local, "tx", None) is not None:
            raise RuntimeError("nested transaction")
        with self._errors():
            conn = self._conn()
            with self._begin(conn):
                tx = _Tx(self, conn)
                self._local.tx = tx
                try:
                    yield tx
                finally:
                    self._local.tx = None

    def close(self) -> None:
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            try:
                conn.close()
            except Exception:
                pass
        self._local = threading.local()

    @contextmanager
    def _errors(self):
        yield


class _Tx:
    def __init__(self, db: _Base, conn: Any) -> None:
        self.db, self.conn = db, conn

    def query(self, sql: str, params: Params = ()) -> list[dict]:
        return self.db._query(self.conn, sql, params)

    def execute(self, sql: str, params: Params = ()) -> int:
        return self.db._execute(self.conn, sql, params)


# ---------------------------------------------------------------------------

# sqlite3.OperationalError also covers SQL mistakes; only these mean "not available now".
_SQLITE_UNAVAILABLE = ("locked", "unable to open", "disk i/o", "readonly", "disk is full", "busy")


def _sqlite_sync() -> str:
    v = (os.environ.get("MADOGUCHI_SQLITE_SYNC") or "NORMAL").upper()
    return v if v in ("NORMAL", "FULL", "EXTRA") else "NORMAL"


def _dict_row(cursor: sqlite3.Cursor, row: tuple) -> dict:
    return {col[0]: value for col, value in zip(cursor.description, row)}


class SQLite(_Base):
    name = "sqlite"

    def __init__(self, path: str, busy_timeout_ms: int = 5000) -> None:
        super().__init__()
        if path in ("", ":memory:"):
            raise ValueError("in-memory SQLite is per connection; use a file (e.g. under tmp_path)")
        self.path = path
        self.busy_timeout_ms = busy_timeout_ms

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self.path, timeout=self.busy_timeout_ms / 1000, isolation_level=None)
        except sqlite3.OperationalError as e:
            raise StoreUnavailable(f"cannot open SQLite database {self.path}: {e}") from e
        db = sqlite_utils.Database(conn, execute_plugins=False)
        if db.journal_mode != "wal":
            db.enable_wal()  # readers never block the webhook writer
        for pragma in (f"busy_timeout = {int(self.busy_timeout_ms)}",
                       "secure_delete = ON",   # deleted/purged text must not linger in free pages
                       # WAL + NORMAL: a commit survives a crash of the service; only a power loss or OS crash
                       # can drop the last commits. FULL (MADOGUCHI_SQLITE_SYNC=FULL) costs ~4x in throughput.
                       f"synchronous = {_sqlite_sync()}"):
            conn.execute(f"PRAGMA {pragma}")
        conn.row_factory = _dict_row
        return conn

    def _query(self, conn, sql, params):
        return conn.execute(sql, tuple(params)).fetchall()

    def _execute(self, conn, sql, params):
        return conn.execute(sql, tuple(params)).rowcount

    @contextmanager
    def _begin(self, conn):
        # IMMEDIATE takes the write lock up front: no deadlock-prone lock upgrades.
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextmanager
    def _errors(self):
        try:
            yield
        except sqlite3.OperationalError as e:
            if any(word in str(e).lower() for word in _SQLITE_UNAVAILABLE):
                raise StoreUnavailable(str(e)) from e
            raise

    def checkpoint(self) -> None:
        """Move WAL pages into the main file and truncate the WAL, so purged text is gone from both."""
        with self._errors():
            self._conn().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()


# ---------------------------------------------------------------------------

@functools.lru_cache(maxsize=256)
def _to_pyformat(sql: str) -> str:
    # Our SQL never holds '?' or '%' inside literals (values are always parameters).
    assert "%" not in sql, "literal % in SQL: pass it as a parameter"
    return sql.replace("?", "%s")


class Postgres(_Base):
    name = "postgresql"

    def __init__(self, url: str, connect_timeout: int = 5) -> None:
        super().__init__()
        import psycopg  # only needed for this backend

        self._psycopg = psycopg
        self.url = url
        self.connect_timeout = connect_timeout

    def _connect(self):
        from psycopg.rows import dict_row

        try:
            return self._psycopg.connect(self.url, autocommit=True, row_factory=dict_row,
                                         connect_timeout=self.connect_timeout)
        except self._psycopg.OperationalError as e:
            raise StoreUnavailable(f"cannot connect to PostgreSQL: {e}") from e

    def _is_usable(self, conn) -> bool:
        return not (conn.closed or conn.broken)

    def _query(self, conn, sql, params):
        cur = conn.execute(_to_pyformat(sql), tuple(params))
        return cur.fetchall() if cur.description else []

    def _execute(self, conn, sql, params):
        return conn.execute(_to_pyformat(sql), tuple(params)).rowcount

    def _begin(self, conn):
        return conn.transaction()

    @contextmanager
    def _errors(self):
        psycopg = self._psycopg
        try:
            yield
        except (psycopg.OperationalError, psycopg.InterfaceError) as e:
            conn = getattr(self._local, "conn", None)
            if conn is None or not self._is_usable(conn):
                self._drop()  # reconnect on next use
                raise StoreUnavailable(str(e)) from e
            raise

    def checkpoint(self) -> None:
        pass  # PostgreSQL reclaims dead tuples with (auto)vacuum
