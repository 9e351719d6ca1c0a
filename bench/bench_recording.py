"""Recording throughput: residents' questions recorded per second through bot.recording.record_answer on one
core (target ≥ 1,000/s), on SQLite and — when reachable — PostgreSQL (own schema, dropped afterwards).

Each call is what the webhook does per message: mask the text, insert one row with its event id (one commit).
Prints figures, asserts nothing.

    .venv/bin/python bench/bench_recording.py [--n 5000] [--pg postgresql://postgres@127.0.0.1:5432/test]
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.recording import record_answer   # noqa: E402
from bot.store import open_store          # noqa: E402
from pg_schema import pg_schema_url       # noqa: E402  (bench/, the script's folder)

QUESTIONS = ["外国人の相談窓口はありますか", "移住の相談をしたいです 電話は090-1234-5678", "ごみの出し方を教えて",
             "Where can I learn Japanese?", "空き家バンクに登録したい", "市長への手紙の出し方", "保育園の空きはありますか"]


def answers(n: int, seed: int = 3):
    rnd = random.Random(seed)
    for i in range(n):
        kind = rnd.choice(["answer", "answer", "answer", "choices", "fallback", "smalltalk"])
        yield i, {"tenant": rnd.choice(["iruma", "katori", "shinjo", "toyota", "yonezawa"]),
                  "query": rnd.choice(QUESTIONS), "kind": kind, "language": "ja",
                  "entry_id": "iruma/faq:f-gaikokujin-sodan" if kind == "answer" else None,
                  "score": round(rnd.random(), 3), "needs_review": kind in ("choices", "fallback")}


def run(label: str, store, n: int) -> None:
    items = list(answers(n))
    t0 = time.perf_counter()
    for i, a in items:
        record_answer(store, a, "line", f"user-{i % 500}", event_id=f"bench-{os.getpid()}-{i}", reply_ms=42)
    secs = time.perf_counter() - t0
    rate = n / secs
    print(f"  {label:10s} {n:,} questions in {secs:.2f} s = {rate:,.0f}/s "
          f"({'OK' if rate >= 1000 else 'under the 1,000/s target'}); {secs / n * 1e6:.0f} µs each")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--pg", default=os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    ap.add_argument("--no-pg", action="store_true")
    a = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})     # one core, as the brief asks
    print(f"recording {a.n:,} questions through bot.recording.record_answer, one core")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MADOGUCHI_SPOOL_PATH"] = f"{tmp}/spool.jsonl"      # never the service's spool
        store = open_store(f"sqlite:///{tmp}/rec.db")
        run("sqlite", store, a.n)
        spooled = Path(f"{tmp}/spool.jsonl")
        if spooled.exists() and spooled.stat().st_size:
            print("  (some records went to the spool: the database refused them)")
        store.close()
        if Path("/dev/shm").is_dir():
            # the same on tmpfs, where fsync is free: separates the disk's commit cost from the CPU cost
            with tempfile.TemporaryDirectory(dir="/dev/shm") as shm:
                store = open_store(f"sqlite:///{shm}/rec.db")
                run("sqlite-ram", store, a.n)
                store.close()
        if a.no_pg:
            return 0
        with pg_schema_url(a.pg, "bench_recording") as url:
            if url is None:
                return 0
            store = open_store(url)
            run("postgresql", store, a.n)
            store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
