"""Answer quality on the team's evaluation set (tests/data/eval_team.jsonl), the sets written by people who never saw
the knowledge base (tests/data/eval_holdout*.jsonl; their .md files say how each was used) and ../shared/eval/dev.jsonl.

    .venv/bin/python bench/bench_answers.py            # official figures via ../shared/tools/score_answers.py
    .venv/bin/python bench/bench_answers.py --calibrate  # + how accuracy/abstention move with the answer threshold
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
sys.path.insert(0, str(REPO))
SETS = [REPO / "tests" / "data" / "eval_team.jsonl", REPO / "tests" / "data" / "eval_holdout.jsonl",
        REPO / "tests" / "data" / "eval_holdout2.jsonl", REPO / "tests" / "data" / "eval_holdout3.jsonl",
        REPO / "tests" / "data" / "eval_holdout4.jsonl", REPO / "tests" / "data" / "eval_holdout5.jsonl",
        REPO / "tests" / "data" / "eval_holdout6.jsonl", SHARED / "eval" / "dev.jsonl"]


def official():
    scorer = SHARED / "tools" / "score_answers.py"
    for s in SETS:
        if not s.is_file():
            continue
        out = subprocess.run([sys.executable, str(scorer), str(s), "--", str(REPO / ".venv" / "bin" / "madoguchi"),
                              "ask", "--jsonl"], capture_output=True, text=True)
        print(f"{s.name}: {out.stdout.strip().splitlines()[-1] if out.stdout.strip() else out.stderr[-500:]}")


def calibrate():
    """Force an answer from the best hit of every question and see, per threshold, what would pass."""
    sys.path.insert(0, str(SHARED / "tools"))
    from score_answers import judge
    from bot import answer as A
    from bot.kb.registry import get_kb
    kb = get_kb()
    rows = []
    for s in SETS:
        for line in open(s, encoding="utf-8"):
            item = json.loads(line)
            tkb = kb.get(item["tenant"])
            a = A.answer(item["tenant"], item["text"])
            hits = tkb.index.search(item["text"], a["query_language"], 5)
            if not hits or a["kind"] in ("smalltalk",) or (a["kind"] == "fallback" and "other_city" in a.get("text", "")):
                rows.append((0.0, item, False))
                continue
            base = {**a, "answered": False}
            forced = A.render_answer(tkb, kb, hits[0], hits, a["language"], base)
            ok, _ = judge({k: v for k, v in item.items() if k != "abstain"}, forced) if not item.get("abstain") else (False, "")
            rows.append((hits[0].confidence, item, ok))
    print("threshold  answer-acc  abstain-ok")
    for t in [x / 100 for x in range(30, 90, 4)]:
        ans = [r for r in rows if not r[1].get("abstain")]
        abst = [r for r in rows if r[1].get("abstain")]
        acc = sum(1 for c, _, ok in ans if c >= t and ok) / max(1, len(ans))
        ab = sum(1 for c, _, _ in abst if c < t) / max(1, len(abst))
        print(f"  {t:.2f}     {acc * 100:5.1f}%     {ab * 100:5.1f}%")


if __name__ == "__main__":
    official()
    if "--calibrate" in sys.argv:
        calibrate()
