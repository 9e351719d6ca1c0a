"""Plain Okapi BM25 over SudachiPy tokens of each FAQ's question and answer: the baseline the engine must beat.

Reads the same JSON lines as `madoguchi ask --jsonl` ({"tenant", "text", "top"}) and prints {"candidates": [...]}.
    MADOGUCHI_KNOWLEDGE_PATH=DIR python bench/baseline_bm25.py < queries
"""
from __future__ import annotations

import json
import math
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot import textproc as tp  # noqa: E402
from bot.kb.loader import discover, load_tenant  # noqa: E402

K1, B = 1.2, 0.75


def main():
    indexes = {}
    for line in sys.stdin:
        q = json.loads(line)
        tid = q["tenant"]
        if tid not in indexes:
            t = load_tenant(discover()[tid], tid)
            docs = [(f.id, Counter(tp.ja_tokens((f.questions.get("ja") or [""])[0] + "\n" + f.answer.get("ja", ""))))
                    for f in t.faq]
            df = Counter(tok for _, c in docs for tok in c)
            avg = sum(sum(c.values()) for _, c in docs) / max(1, len(docs))
            indexes[tid] = (docs, df, avg)
        docs, df, avg = indexes[tid]
        n = len(docs)
        qt = tp.ja_tokens(q["text"])
        scores = []
        for did, c in docs:
            dl = sum(c.values())
            s = 0.0
            for tok in qt:
                tf = c.get(tok, 0)
                if tf:
                    idf = math.log(1 + (n - df[tok] + 0.5) / (df[tok] + 0.5))
                    s += idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * dl / avg))
            scores.append((s, did))
        scores.sort(reverse=True)
        top = q.get("top") or 10
        print(json.dumps({"candidates": [{"entry_id": f"{tid}/{d}", "score": s} for s, d in scores[:top]]}))


if __name__ == "__main__":
    main()
