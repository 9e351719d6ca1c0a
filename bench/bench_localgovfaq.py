"""LocalGovFAQ: import ../shared/benchmarks/localgovfaq/faq.csv into a temporary folder, rank the development
queries with Madoguchi and with plain BM25 in the same run, both scored by ../shared/tools/score_faq.py.

    .venv/bin/python bench/bench_localgovfaq.py
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
LGF = SHARED / "benchmarks" / "localgovfaq"


def main():
    d = tempfile.mkdtemp(prefix="lgf-")
    py = str(REPO / ".venv" / "bin" / "python") if (REPO / ".venv" / "bin" / "python").exists() else sys.executable
    subprocess.run([py, "-m", "bot.cli", "kb", "import", "--tenant", "amagasaki", "--into", d, str(LGF / "faq.csv")],
                   check=True, cwd=REPO)
    env = {**os.environ, "MADOGUCHI_KNOWLEDGE_PATH": d}
    score = [sys.executable, str(SHARED / "tools" / "score_faq.py"), str(LGF / "queries-dev.jsonl"), "amagasaki", "--"]
    for name, cmd in (("madoguchi", [py, "-m", "bot.cli", "ask", "--jsonl"]),
                      ("plain BM25", [py, str(REPO / "bench" / "baseline_bm25.py")])):
        r = subprocess.run(score + cmd, capture_output=True, text=True, cwd=REPO, env=env)
        print(f"{name:11} {r.stdout.strip() or r.stderr[-800:]}")


if __name__ == "__main__":
    main()
