"""Benchmark bot.langdetect on tests/data/langdetect_queries.jsonl.

    .venv/bin/python bench/bench_langdetect.py [-v]

Prints accuracy per language, confusions, overall accuracy, import time and time per query.
-v also lists every miss.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "langdetect_queries.jsonl"
sys.path.insert(0, str(ROOT))


def import_time_ms(runs: int = 5) -> tuple[float, float]:
    """Median / max wall time of `import bot.langdetect` in a fresh interpreter (model load included)."""
    code = (
        "import time; t=time.perf_counter(); import bot.langdetect; "
        "print((time.perf_counter()-t)*1000)"
    )
    times = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(times), max(times)


def main() -> int:
    verbose = "-v" in sys.argv
    imp_med, imp_max = import_time_ms()
    from bot.langdetect import detect_language, model_available

    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    per = defaultdict(lambda: [0, 0])
    per_kind = defaultdict(lambda: [0, 0])
    confusions: Counter = Counter()
    misses = []
    times = []
    for r in rows:
        t = time.perf_counter()
        got = detect_language(r["text"])
        times.append((time.perf_counter() - t) * 1000)
        ok = got == r["lang"]
        per[r["lang"]][0] += ok
        per[r["lang"]][1] += 1
        if "kind" in r:
            per_kind[r["kind"]][0] += ok
            per_kind[r["kind"]][1] += 1
        if not ok:
            confusions[(r["lang"], got)] += 1
            misses.append((r["lang"], got, r["text"]))

    # steady-state timing on ~30-character queries
    sample = [r["text"] for r in rows if 20 <= len(r["text"]) <= 40]
    reps = 20
    t = time.perf_counter()
    for _ in range(reps):
        for s in sample:
            detect_language(s)
    per_query = (time.perf_counter() - t) * 1000 / (reps * len(sample))

    print(f"fastText model loaded: {model_available()}")
    print(f"{'lang':8} {'acc':>7} {'n':>4}")
    for lang in sorted(per, key=lambda k: (-per[k][1], k)):
        ok, n = per[lang]
        print(f"{lang:8} {100 * ok / n:6.1f}% {n:4d}")
    if per_kind:
        print("subsets:")
        for kind, (ok, n) in sorted(per_kind.items()):
            print(f"  {kind:8} {100 * ok / n:6.1f}% {n:4d}")
    print("confusions (expected -> got: count):")
    for (exp, got), c in confusions.most_common():
        print(f"  {exp} -> {got}: {c}")
    if not confusions:
        print("  none")
    total_ok = sum(v[0] for v in per.values())
    print(f"overall: {100 * total_ok / len(rows):.1f}% ({total_ok}/{len(rows)})")
    print(f"import time (fresh interpreter, incl. model load): median {imp_med:.1f} ms, max {imp_max:.1f} ms")
    times.sort()
    print(
        f"time per query: mean {per_query:.3f} ms on {len(sample)} queries of 20-40 chars; "
        f"all {len(rows)}: median {times[len(times) // 2]:.3f} ms, p99 {times[int(len(times) * 0.99)]:.3f} ms, "
        f"max {times[-1]:.3f} ms"
    )
    if verbose:
        print("misses:")
        for exp, got, text in misses:
            print(f"  [{exp} -> {got}] {text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
