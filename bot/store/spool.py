"""Append-only spool for messages that could not be stored while the database was down.

Records are masked before they are written (the spool is on disk too) and carry an
event_id, so replaying twice - or after a crash half-way - never duplicates a row.
"""
from __future__ import annotations

import json
import logging
import os
import threading
import uuid
from pathlib import Path

from .. import privacy
from .db import StoreUnavailable
from .store import Store, ts, utcnow

log = logging.getLogger(__name__)

SPOOL_ENV = "MADOGUCHI_SPOOL_PATH"
DEFAULT_SPOOL_PATH = "data/spool.jsonl"
_write_lock = threading.Lock()


def spool_path(path: str | os.PathLike | None = None) -> Path:
    return Path(path or os.environ.get(SPOOL_ENV) or DEFAULT_SPOOL_PATH)


def append(path: str | os.PathLike | None, record: dict) -> None:
    """Append one record as a JSON line and fsync it: it survives a crash right after."""
    target = spool_path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
    with _write_lock, open(target, "a", encoding="utf-8") as f:
        f.write(line)
        f.flush()
        os.fsync(f.fileno())


def record_or_spool(store: Store, spool: str | os.PathLike | None = None, **fields) -> tuple[int | None, bool]:
    """store.record_message(**fields), or append to the spool if the database is unavailable.

    Returns (message_id, created) from the store, or (None, True) when spooled.
    Messages without an event_id (web, cli) get a random one first, so a message
    that reached the database just before the connection failed is not stored twice.
    """
    fields = dict(fields)
    fields["text"] = privacy.mask(fields.get("text") or "")
    fields["created_at"] = ts(fields.get("created_at")) or ts(utcnow())
    if not fields.get("event_id"):
        fields["event_id"] = f"local-{uuid.uuid4().hex}"
    try:
        return store.record_message(**fields)
    except StoreUnavailable as e:
        log.warning("database unavailable (%s): spooling message %s", e, fields["event_id"])
        append(spool, fields)
        return None, True


def _replay_file(store: Store, work: Path) -> tuple[int, int]:
    replayed = duplicates = 0
    bad: list[str] = []
    with open(work, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:  # e.g. a line cut short by a crash while writing
                bad.append(line)
                continue
            try:
                _, created = store.record_message(**record)
            except StoreUnavailable:
                raise
            except Exception as e:  # refused by the database (bad data): set aside, never block the rest
                log.error("spooled record %s refused (%s): kept in %s.bad", record.get("event_id"),
                          type(e).__name__, work)
                bad.append(line)
                continue
            if created:
                replayed += 1
            else:
                duplicates += 1
    if bad:
        log.error("%d unreadable spool lines kept in %s.bad", len(bad), work)
        with open(f"{work}.bad", "a", encoding="utf-8") as f:
            f.writelines(line if line.endswith("\n") else line + "\n" for line in bad)
    # Every row is committed (each record_message commits): only now drop the file.
    work.unlink()
    return replayed, duplicates


def replay_spool(store: Store, path: str | os.PathLike | None = None) -> tuple[int, int]:
    """Insert spooled messages; returns (replayed, duplicates).

    The spool is first renamed to PATH.replaying, so new failures keep appending to
    a fresh PATH meanwhile.  If replay stops part-way (crash, database gone again),
    the .replaying file stays and the next call finishes it: rows already inserted
    come back as duplicates, not as second copies.
    """
    source = spool_path(path)
    work = source.with_name(source.name + ".replaying")
    replayed = duplicates = 0
    for _ in range(2):  # a leftover .replaying first, then the current spool
        if not work.exists():
            if not source.exists() or source.stat().st_size == 0:
                break
            os.replace(source, work)
        r, d = _replay_file(store, work)
        replayed, duplicates = replayed + r, duplicates + d
    return replayed, duplicates


__all__ = ["append", "record_or_spool", "replay_spool", "spool_path", "StoreUnavailable"]
