"""How long the staff dashboard takes to load its data with a year of 広聴 records (target: ≤ 1 s).

Fills 1,000,000 messages (5 tenants, 365 days, realistic kinds/languages/feedback, entry ids from the real
knowledge base) straight through SQL, then times web.admin.dashboard_data — every query the dashboard page
runs — for the default 30-day range and for a whole year.  SQLite always; PostgreSQL too when reachable
(in its own schema, dropped afterwards).  Prints figures, asserts nothing.

    .venv/bin/python bench/bench_dashboard.py [--rows 1000000] [--pg postgresql://postgres@127.0.0.1:5432/test]
"""
from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.kb.registry import KnowledgeBase          # noqa: E402
from bot.store import open_store                    # noqa: E402
from pg_schema import pg_schema_url                 # noqa: E402  (bench/, the script's folder)
from bot.store.store import LOCAL_TZ                # noqa: E402
from web.admin import bounds, dashboard_data        # noqa: E402

COLUMNS = ("created_at", "day", "tenant", "channel", "user_key", "language", "text", "kind", "entry_id", "score",
           "reply_ms", "event_id", "feedback", "feedback_reason", "review_status", "text_deleted")
KINDS = (["answer"] * 62 + ["choices"] * 12 + ["fallback"] * 14 + ["smalltalk"] * 8 + ["handoff"] * 2
         + ["system"] * 2)
LANGS = ["ja"] * 70 + ["ja-easy"] * 6 + ["en"] * 10 + ["zh", "ko", "vi", "vi", "tl", "pt", "pt", "ne", "id"] + [None] * 5
UNANSWERED = ["ペンギンの飼育係になりたい", "粗大ごみの出し方を教えて", "ごみの出し方は？", "市民プールは何時まで",
              "図書館の駐車場は無料ですか", "バスの時刻表がほしい", "マイナンバーカードの更新", "犬の登録はどこで",
              "保育園の空きはありますか", "Where can I throw away a sofa?", "公園でバーベキューできますか",
              "空き家を借りたい", "選挙の投票所はどこ", "住民票をコンビニで取れますか", "花火大会はいつ"]


COVERING_INDEX = ("CREATE INDEX IF NOT EXISTS bench_messages_dashboard ON messages "
                  "(tenant, created_at, day, kind, language, feedback, entry_id)")


def make_rows(kb: KnowledgeBase, n: int, end: datetime, seed: int = 1):
    rnd = random.Random(seed)
    tenants = kb.names()[:5]
    entry_ids = {t: [e.id for e in kb.get(t).entries] for t in tenants}
    titles = {t: [(e.id, (e.questions.get("ja") or [e.title.get("ja", "")])[0]) for e in kb.get(t).entries]
              for t in tenants}
    span = 365 * 86400
    # rows arrive in time order, as real messages do (and as the table's physical order then is)
    offsets = sorted((rnd.random() * span for _ in range(n)), reverse=True)
    for i, offset in enumerate(offsets):
        t = rnd.choice(tenants)
        moment = end - timedelta(seconds=offset)
        kind = rnd.choice(KINDS)
        entry_id, text, score = None, rnd.choice(UNANSWERED), None
        if kind == "answer":
            entry_id, text = rnd.choice(titles[t])
            score = round(0.3 + rnd.random() * 0.7, 3)
        elif kind == "choices":
            entry_id, score = rnd.choice(entry_ids[t]), round(0.3 + rnd.random() * 0.3, 3)
        elif kind == "smalltalk":
            text = "ありがとう"
        r = rnd.random()
        feedback = "helpful" if r < 0.12 else "not_helpful" if r < 0.16 else None
        yield (moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), moment.astimezone(LOCAL_TZ).date().isoformat(), t,
               rnd.choice(("line", "line", "line", "web")), f"u{rnd.randrange(50_000)}", rnd.choice(LANGS), text,
               kind, entry_id, score, rnd.randrange(20, 400), f"ev{i}", feedback, None,
               "open" if kind in ("fallback", "choices") and rnd.random() < 0.5 else None, 0)


def fill_sqlite(path: str, rows) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")           # bulk load only; the service runs with FULL
    # build the indexes once after the load instead of row by row: minutes faster, same end state
    indexes = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages' "
                           "AND sql IS NOT NULL").fetchall()
    conn.execute("BEGIN")
    for name, _ in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    conn.executemany(f"INSERT INTO messages ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})", rows)
    for _, sql in indexes:
        conn.execute(sql)
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


def fill_postgres(url: str, rows) -> None:
    import psycopg
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        with cur.copy(f"COPY messages ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        conn.commit()
        cur.execute("ANALYZE messages")
        conn.commit()


def time_dashboard(store, kb, tenant: str, first: date, last: date, repeat: int = 5) -> tuple[float, float]:
    dashboard_data(store, kb, tenant, first, last)                  # warm caches (Sudachi, page cache)
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        dashboard_data(store, kb, tenant, first, last)
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs), max(runs)


def time_parts(store, tenant: str, first: date, last: date) -> dict[str, float]:
    since, until = bounds(first, last)
    calls = {
        "count_by_day": lambda: store.count_by_day(tenant, since, until),
        "count_by language": lambda: store.count_by(tenant, "language", since, until),
        "count_by kind": lambda: store.count_by(tenant, "kind", since, until),
        "helpful_rate": lambda: store.helpful_rate(tenant, since, until),
        "top_entries": lambda: store.top_entries(tenant, since, until, limit=100_000),
        "review_queue(1000)": lambda: store.review_queue(tenant, limit=1000),
    }
    out = {}
    for name, f in calls.items():
        t0 = time.perf_counter()
        f()
        out[name] = time.perf_counter() - t0
    return out


def report(backend: str, store, kb, tenant: str, end_day: date) -> None:
    for label, first in (("30 days", end_day - timedelta(days=29)), ("365 days", end_day - timedelta(days=364))):
        med, worst = time_dashboard(store, kb, tenant, first, end_day)
        verdict = "OK" if med <= 1.0 else "over the 1 s target"
        print(f"  {backend:10s} dashboard, {label:8s}: median {med * 1000:7.1f} ms, worst {worst * 1000:7.1f} ms "
              f"({verdict})")
        parts = time_parts(store, tenant, first, end_day)
        print("      " + ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in parts.items()))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--pg", default=os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    ap.add_argument("--no-pg", action="store_true")
    ap.add_argument("--covering-index", action="store_true",
                    help="also time SQLite with a proposed covering index for the dashboard queries")
    a = ap.parse_args()

    kb = KnowledgeBase()
    tenant = kb.names()[0]
    end = datetime.now(timezone.utc)
    end_day = end.astimezone(LOCAL_TZ).date()
    print(f"{a.rows:,} messages over 365 days, tenants {', '.join(kb.names()[:5])}; timing tenant {tenant!r}")

    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/bench.db"
        store = open_store(f"sqlite:///{path}")
        t0 = time.perf_counter()
        fill_sqlite(path, make_rows(kb, a.rows, end))
        print(f"  sqlite     filled in {time.perf_counter() - t0:.1f} s")
        report("sqlite", store, kb, tenant, end_day)
        if a.covering_index:
            # not in the schema: shows what a covering index would give the year-long range (index-only scans)
            store.db.execute(COVERING_INDEX)
            store.db.execute("ANALYZE")
            report("sqlite+idx", store, kb, tenant, end_day)
        store.close()

    if a.no_pg:
        return 0
    with pg_schema_url(a.pg, "bench_dashboard") as url:
        if url is None:
            return 0
        store = open_store(url)
        t0 = time.perf_counter()
        fill_postgres(url, make_rows(kb, a.rows, end))
        print(f"  postgresql filled in {time.perf_counter() - t0:.1f} s")
        report("postgresql", store, kb, tenant, end_day)
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
