"""In-process LocalGovFAQ ranking metrics (the same formulas as ../shared/tools/score_faq.py), for tuning runs."""
from __future__ import annotations

import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
FAQ = SHARED / "benchmarks" / "localgovfaq" / "faq.csv"
QUERIES = SHARED / "benchmarks" / "localgovfaq" / "queries-dev.jsonl"
sys.path.insert(0, str(REPO))


def metrics(ranked, rel):
    hits = [1 if d in rel else 0 for d in ranked]
    first = next((i for i, h in enumerate(hits) if h), None)
    dcg = sum(rel.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:10]))
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(sorted(rel.values(), reverse=True)[:10]))
    return {"SR@1": float(first == 0), "SR@5": float(first is not None and first < 5),
            "nDCG@10": dcg / idcg if idcg else 0.0}


def load_index(into: str | None = None):
    from bot.kb.csvio import import_csv
    from bot.kb.registry import KnowledgeBase
    into = into or tempfile.mkdtemp(prefix="lgf-")
    if not (Path(into) / "amagasaki" / "faq.yaml").exists():
        import_csv("amagasaki", Path(into), FAQ)
    return KnowledgeBase([Path(into)]).get("amagasaki")


def evaluate(search, queries=None):
    queries = queries or [json.loads(l) for l in open(QUERIES, encoding="utf-8")]
    tot = {}
    for q in queries:
        ranked = [e.rsplit("/", 1)[-1] for e in search(q["text"])]
        for k, v in metrics(ranked, {str(d): g for d, g in q["relevant"].items()}).items():
            tot[k] = tot.get(k, 0) + v
    return {k: round(v / len(queries), 4) for k, v in tot.items()}


if __name__ == "__main__":
    t = time.perf_counter()
    kb = load_index(os.environ.get("LGF_DIR"))
    print("index", round(time.perf_counter() - t, 2), "s")
    print(evaluate(lambda text: [h.entry.id for h in kb.index.search(text, "ja", 10)]))
