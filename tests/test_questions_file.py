"""questions.yaml: how residents ask for a record, kept as data. It makes the bot find the record, and lint checks it."""
import shutil
import subprocess
import sys

import yaml

from conftest import REPO

MADOGUCHI = [sys.executable, "-m", "bot.cli"]
ASKED = "うちの近所の集まりで使える部屋を借りるお金って出る？"


def test_a_residents_way_of_asking_finds_its_record_and_lint_checks_the_keys(tmp_path):
    from bot.answer import answer
    from bot.kb.loader import load_tenant
    from bot.kb.registry import KnowledgeBase
    root = tmp_path / "kb"
    shutil.copytree(REPO / "knowledge" / "shinjo", root / "shinjo")
    (root / "shinjo" / "questions.yaml").unlink(missing_ok=True)
    program = next(p for p in load_tenant(root / "shinjo").programs)
    before = answer("shinjo", ASKED, kb=KnowledgeBase([root]))
    assert before.get("entry_id") != f"shinjo/program:{program.id}"
    (root / "shinjo" / "questions.yaml").write_text(
        yaml.safe_dump({f"program:{program.id}": [ASKED], "program:no-such-thing": ["x"]}, allow_unicode=True),
        encoding="utf-8")
    a = answer("shinjo", ASKED, kb=KnowledgeBase([root]))
    assert a["answered"] and a["entry_id"] == f"shinjo/program:{program.id}"
    lint = subprocess.run([*MADOGUCHI, "kb", "lint", "--tenant", "shinjo"], capture_output=True, text=True, cwd=REPO,
                          env={"MADOGUCHI_KNOWLEDGE_PATH": str(root), "PATH": "/usr/bin:/bin"})
    assert "error: questions.yaml [program:no-such-thing]" in lint.stdout and lint.returncode == 1
