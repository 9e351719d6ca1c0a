"""Storage for 広聴 (public-listening) data: messages, preferences, handoffs, staff, drafts, audit.

    store = open_store("sqlite:///data/madoguchi.db")      # or "postgresql://user@host/db"
    message_id, created = store.record_message(tenant="toyota", channel="line", user_key=key,
                                               kind="answer", text=question, event_id=event_id)

See store.py for the methods and schema.py for the tables.
"""
from __future__ import annotations

from .db import Postgres, SQLite, StoreUnavailable
from .store import Store

__all__ = ["open_store", "Store", "StoreUnavailable"]


def open_store(url: str, migrate: bool = True) -> Store:
    """sqlite:///relative/path.db, sqlite:////absolute/path.db, or postgresql://... (libpq URL)."""
    if url.startswith("sqlite:///"):
        return Store(SQLite(url[len("sqlite:///"):]), migrate=migrate)
    if url.startswith(("postgresql://", "postgres://")):
        return Store(Postgres(url), migrate=migrate)
    raise ValueError(f"unsupported store URL {url.split(':', 1)[0]!r}: use sqlite:///PATH or postgresql://...")
