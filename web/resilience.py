"""Keeping residents' questions while the database is away.

`open_store_or_defer()` opens the store even when the database is down at start-up (questions then go to the
spool instead of the service failing to start), and `spool_replay_loop()` brings the spool back into the
database once it is reachable again - not only at the next start-up.  Wired into `web.app.lifespan`.
"""
from __future__ import annotations

import asyncio
import logging

from bot import config
from bot.recording import open_default_store
from bot.store import Store, StoreUnavailable, open_store
from bot.store import schema
from bot.store.spool import replay_spool, spool_path
from bot.store.store import ts, utcnow

log = logging.getLogger("madoguchi.resilience")


def open_store_or_defer(url: str | None = None) -> tuple[Store, bool]:
    """(store, migration_pending). When the database cannot be reached, a store that connects lazily."""
    try:
        return open_default_store(), False
    except StoreUnavailable as e:
        log.error("database unavailable at start-up (%s); questions are spooled until it is back", e)
        return open_store(url or config.database_url(), migrate=False), True


def _spool_waiting() -> bool:
    p = spool_path()
    work = p.with_name(p.name + ".replaying")
    return work.exists() or (p.exists() and p.stat().st_size > 0)


def replay_once(store: Store, migration_pending: bool = False) -> tuple[bool, int, int]:
    """One pass: migrate if still pending, then replay the spool. Returns (migration_pending, replayed, dups)."""
    if migration_pending:
        schema.migrate(store.db, ts(utcnow()))
        log.info("database reachable again: schema checked")
        migration_pending = False
    replayed = dups = 0
    if _spool_waiting():
        replayed, dups = replay_spool(store, None)
        if replayed or dups:
            log.info("spool replayed: %d records (%d already recorded)", replayed, dups)
    return migration_pending, replayed, dups


async def spool_replay_loop(store: Store, migration_pending: bool = False, interval: float | None = None) -> None:
    """Every MADOGUCHI_SPOOL_REPLAY_SECONDS (default 15): replay the spool if it holds records."""
    interval = interval or config.float_env("MADOGUCHI_SPOOL_REPLAY_SECONDS", 15.0)
    while True:
        try:
            migration_pending, _, _ = await asyncio.to_thread(replay_once, store, migration_pending)
        except StoreUnavailable as e:
            log.info("spool replay postponed: database unavailable (%s)", e)
        except FileNotFoundError:          # another worker process replayed the same file meanwhile
            pass
        except Exception:
            log.exception("spool replay failed; records stay spooled")
        await asyncio.sleep(interval)
