"""Recording residents' questions as 広聴 data: the glue between answers and the store.

Text is masked inside the store before any INSERT; when the database is down the record goes to the spool,
and the answer still goes out.
"""
from __future__ import annotations

import csv
import json
import logging
from pathlib import Path

from bot import config
from bot.store import Store, open_store
from bot.store.spool import record_or_spool, spool_path as _spool_path

log = logging.getLogger("madoguchi.recording")

KIND_FOR_STORE = {"answer", "choices", "fallback", "smalltalk", "handoff", "system"}


def spool_path() -> Path:
    return _spool_path()


def retention_days() -> int:
    return config.int_env("MADOGUCHI_RETENTION_DAYS", 365)


def open_default_store() -> Store:
    url = config.database_url()
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    return open_store(url)


def record_answer(store: Store, a: dict, channel: str, user_key: str | None, event_id: str | None = None,
                  reply_ms: int | None = None, kind: str | None = None) -> tuple[int | None, bool]:
    """One row per resident message; (message_id, created). A repeated event_id returns created=False."""
    k = kind or a.get("kind", "fallback")
    return record_or_spool(
        store, None, tenant=a["tenant"], channel=channel, user_key=user_key or "", kind=k if k in KIND_FOR_STORE else "system",
        text=a.get("query", ""), language=a.get("language"), entry_id=a.get("entry_id"), score=a.get("score"),
        reply_ms=reply_ms, event_id=event_id,
        review_status="open" if a.get("needs_review") else None)


EXPORT_FIELDS = ["id", "created_at", "tenant", "channel", "language", "kind", "entry_id", "score", "reply_ms",
                 "feedback", "feedback_reason", "review_status", "text"]


def export_logs(store: Store, tenant: str, since: str | None, fmt: str, encoding: str, out: Path,
                actor: str) -> int:
    """The recorded questions of a tenant, one row each, masked, without user keys; the download itself is audited."""
    n = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "jsonl":
        with open(out, "w", encoding="utf-8") as f:
            for row in store.iter_messages(tenant, since):
                f.write(json.dumps({k: row.get(k) for k in EXPORT_FIELDS}, ensure_ascii=False, default=str) + "\n")
                n += 1
    else:
        with open(out, "w", encoding=encoding, errors="replace" if encoding == "cp932" else "strict", newline="") as f:
            w = csv.DictWriter(f, fieldnames=EXPORT_FIELDS, extrasaction="ignore")
            w.writeheader()
            for row in store.iter_messages(tenant, since):
                w.writerow({k: row.get(k) for k in EXPORT_FIELDS})
                n += 1
    store.audit(tenant, actor, "download:logs", {"format": fmt, "encoding": encoding, "since": since, "rows": n})
    return n
