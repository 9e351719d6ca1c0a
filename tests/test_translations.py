"""Translation files (knowledge/<city>/translations/<lang>.yaml): they answer in the resident's language, lint follows
them like inline translations, `kb stamp` records their source, and a broken file never breaks the city."""
import shutil
import subprocess
import sys

import pytest
import yaml

from conftest import REPO

MADOGUCHI = [sys.executable, "-m", "bot.cli"]
QUESTION = "O que é o plano de colaboração de Shinjo?"
ANSWER_PT = ("O Plano de Promoção da Colaboração da Cidade de Shinjo (新庄市協働推進計画) é um plano para resolver os "
             "problemas locais trabalhando juntos.")


@pytest.fixture
def shinjo(tmp_path):
    root = tmp_path / "kb"
    shutil.copytree(REPO / "knowledge" / "shinjo", root / "shinjo")
    shutil.rmtree(root / "shinjo" / "translations", ignore_errors=True)   # only this test's file
    (root / "shinjo" / "translations").mkdir()
    return root


def write(root, records, name="pt.yaml", language="pt"):
    doc = {"language": language, "from": "en", "reviewed": False, "records": records}
    (root / "shinjo" / "translations" / name).write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False),
                                                         encoding="utf-8")


def lint(root):
    return subprocess.run([*MADOGUCHI, "kb", "lint", "--tenant", "shinjo"], capture_output=True, text=True, cwd=REPO,
                          env={"MADOGUCHI_KNOWLEDGE_PATH": str(root), "PATH": "/usr/bin:/bin"})


def test_a_translation_file_answers_in_the_residents_language(shinjo):
    from bot.answer import answer
    from bot.kb.registry import KnowledgeBase
    before = answer("shinjo", QUESTION, kb=KnowledgeBase([shinjo]))
    assert not (before.get("entry_id") == "shinjo/faq:f-plan-about" and before["language"] == "pt")
    write(shinjo, {"faq:f-plan-about": {"questions": [QUESTION], "answer": ANSWER_PT}})
    a = answer("shinjo", QUESTION, kb=KnowledgeBase([shinjo]))
    assert a["answered"] and a["language"] == "pt", a["text"][:300]
    assert a["entry_id"] == "shinjo/faq:f-plan-about"
    assert "trabalhando juntos" in a["text"] and "新庄市協働推進計画" in a["text"]


def test_the_record_itself_wins_over_the_file(shinjo):
    from bot.kb.loader import load_tenant
    inline = next(f for f in load_tenant(shinjo / "shinjo").faq if f.answer.get("pt"))
    write(shinjo, {f"faq:{inline.id}": {"answer": "outro texto"}})
    again = next(f for f in load_tenant(shinjo / "shinjo").faq if f.id == inline.id)
    assert again.answer["pt"] == inline.answer["pt"]


def test_lint_names_the_file_and_stamp_records_the_source(shinjo):
    write(shinjo, {"faq:f-plan-about": {"answer": ANSWER_PT}, "faq:no-such-entry": {"answer": "x"},
                   "program:" + "nope": {"colour": "azul"}})
    out = lint(shinjo).stdout
    assert "error: translations/pt.yaml [faq:no-such-entry]" in out
    assert "0 errors" not in out
    write(shinjo, {"faq:f-plan-about": {"answer": ANSWER_PT}})
    out = lint(shinjo).stdout
    assert "shinjo: 0 errors" in out
    assert "translations/pt.yaml [f-plan-about]: pt translation: no record of the source" in out
    assert "warning: translations/pt.yaml: 1 translations not yet reviewed by a person (f-plan-about)" in out
    r = subprocess.run([*MADOGUCHI, "kb", "stamp", "--tenant", "shinjo"], capture_output=True, text=True, cwd=REPO,
                       env={"MADOGUCHI_KNOWLEDGE_PATH": str(shinjo), "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr
    stamped = yaml.safe_load((shinjo / "shinjo" / "translations" / "pt.yaml").read_text(encoding="utf-8"))
    assert len(stamped["records"]["faq:f-plan-about"]["source_sha"]) == 8
    assert stamped["records"]["faq:f-plan-about"]["answer"] == ANSWER_PT           # the text itself is untouched
    assert "[f-plan-about]: pt translation: no record of the source" not in lint(shinjo).stdout
    # the English it was made from changes: lint says so, pointing at the translation file
    faq = shinjo / "shinjo" / "faq.yaml"
    data = yaml.safe_load(faq.read_text(encoding="utf-8"))
    en = next(r for r in data if r["id"] == "f-plan-about")["answer"]["en"]
    first = en.strip().split("\n")[0][:40]
    faq.write_text(faq.read_text(encoding="utf-8").replace(first, first + " (revised)", 1), encoding="utf-8")
    assert "translations/pt.yaml [f-plan-about]: pt translation: its en source changed" in lint(shinjo).stdout


def test_a_broken_translation_file_is_an_error_not_a_crash(shinjo):
    from bot.answer import answer
    from bot.kb.registry import KnowledgeBase
    (shinjo / "shinjo" / "translations" / "pt.yaml").write_text("records: [unclosed", encoding="utf-8")
    (shinjo / "shinjo" / "translations" / "ja.yaml").write_text("language: ja\nrecords: {}\n", encoding="utf-8")
    out = lint(shinjo).stdout
    assert "error: translations/pt.yaml: YAML syntax" in out
    assert "error: translations/ja.yaml" in out
    a = answer("shinjo", "協働推進計画の期間はいつからいつまでですか", kb=KnowledgeBase([shinjo]))
    assert a["answered"]


def test_an_unchecked_translation_says_so_until_a_person_reviews_it(shinjo):
    from bot.answer import answer
    from bot.kb.registry import KnowledgeBase
    write(shinjo, {"faq:f-plan-about": {"questions": [QUESTION], "answer": ANSWER_PT}})
    a = answer("shinjo", QUESTION, kb=KnowledgeBase([shinjo]))
    assert a["language"] == "pt" and "ainda não foi conferida" in a["text"]
    write(shinjo, {"faq:f-plan-about": {"questions": [QUESTION], "answer": ANSWER_PT, "reviewed": True}})
    a = answer("shinjo", QUESTION, kb=KnowledgeBase([shinjo]))
    assert a["language"] == "pt" and "trabalhando juntos" in a["text"] and "ainda não foi conferida" not in a["text"]
