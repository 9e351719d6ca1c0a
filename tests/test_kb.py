"""The curated knowledge base: lint, counts against hand counts from the seeds, CSV import/export, live reload."""
import json
import shutil
import subprocess
import sys

import pytest
import yaml

from conftest import REPO, SHARED

TENANTS = ["yonezawa", "shinjo", "iruma", "toyota", "katori"]
MADOGUCHI = [sys.executable, "-m", "bot.cli"]


def run(*args, **kw):
    return subprocess.run([*MADOGUCHI, *args], capture_output=True, text=True, cwd=REPO, **kw)


def test_lint_passes_for_every_city_and_lists_the_to_do():
    r = run("kb", "lint")
    assert r.returncode == 0, r.stdout[-3000:]
    for t in TENANTS:
        assert f"{t}: 0 errors" in r.stdout
    assert "to-do for the city" in r.stdout          # empty contact fields are listed, not errors


def test_every_entry_has_japanese_plain_japanese_and_english():
    from bot.kb.entries import build_entries
    from bot.kb.loader import discover, load_tenant
    found = discover()
    for t in TENANTS:
        for e in build_entries(load_tenant(found[t], t)):
            for lang in ("ja", "ja-easy", "en"):
                assert e.body.get(lang), f"{e.id} has no {lang} text"


def test_stats_hold_every_measure_and_target_row_of_the_seeds():
    """Hand counts written down from each seed (tests/data/seed_counts) against `madoguchi kb stats --json`."""
    r = run("kb", "stats", "--json")
    stats = json.loads(r.stdout)
    for t in TENANTS:
        hand = json.loads((REPO / "tests" / "data" / "seed_counts" / f"{t}.json").read_text(encoding="utf-8"))
        s = stats[t]
        excluded = sum(s["measures_by_level"].get(level, 0) for level in hand.get("exclude_levels", []))
        assert s["measures"] - excluded == hand["measures"], t
        assert s["targets"] == hand["targets"], t


def test_targets_keep_the_exact_figures_of_the_tables():
    from bot.answer import answer
    a = answer("katori", "住民自治協議会の数の目標は？")
    assert a["answered"] and "24団体" in a["text"]


def test_a_bad_row_in_the_middle_imports_nothing_and_is_named(tmp_path):
    csv = tmp_path / "faq.csv"
    csv.write_text("id,question,answer\n1,ごみの日は？,月曜日です\n2,,空の質問\n3,粗大ごみは？,予約制です\n",
                   encoding="utf-8-sig")
    r = run("kb", "import", "--tenant", "testcity", "--into", str(tmp_path / "kb"), str(csv))
    assert r.returncode == 1
    assert "line 3" in r.stderr and "empty question" in r.stderr
    assert not (tmp_path / "kb" / "testcity").exists()


def test_cp932_csv_from_excel_imports(tmp_path):
    csv = tmp_path / "faq.csv"
    csv.write_bytes("id,question,answer\nA1,住民票の写しはどこで取れますか,市民課の窓口で取れます\n".encode("cp932"))
    r = run("kb", "import", "--tenant", "excel", "--into", str(tmp_path / "kb"), str(csv))
    assert r.returncode == 0, r.stderr
    data = yaml.safe_load((tmp_path / "kb" / "excel" / "faq.yaml").read_text(encoding="utf-8"))
    assert data[0]["questions"]["ja"] == ["住民票の写しはどこで取れますか"]


@pytest.mark.skipif(not (SHARED / "benchmarks" / "localgovfaq" / "faq.csv").exists(), reason="no ../shared")
def test_localgovfaq_imports_all_entries_and_answers_with_its_ids(tmp_path):
    r = run("kb", "import", "--tenant", "amagasaki", "--into", str(tmp_path),
            str(SHARED / "benchmarks" / "localgovfaq" / "faq.csv"))
    assert r.returncode == 0 and "imported 1786 entries" in r.stdout
    env = {"MADOGUCHI_KNOWLEDGE_PATH": str(tmp_path), "PATH": "/usr/bin:/bin", "MADOGUCHI_EMBEDDINGS": "0"}
    r = subprocess.run([*MADOGUCHI, "ask", "--jsonl", "--top", "10"], input=json.dumps(
        {"tenant": "amagasaki", "text": "戸籍謄本の発行手数料はいくらですか"}, ensure_ascii=False) + "\n",
        capture_output=True, text=True, cwd=REPO, env=env)
    a = json.loads(r.stdout)
    assert len(a["candidates"]) == 10
    assert all(c["entry_id"].startswith("amagasaki/") for c in a["candidates"])


def test_export_is_excel_friendly(tmp_path):
    out = tmp_path / "katori.csv"
    assert run("kb", "export", "--tenant", "katori", str(out)).returncode == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")                 # UTF-8 BOM: Excel opens Japanese correctly
    assert "市長への手紙" in raw.decode("utf-8-sig")
    out2 = tmp_path / "katori-sjis.csv"
    assert run("kb", "export", "--tenant", "katori", "--encoding", "cp932", str(out2)).returncode == 0
    out2.read_bytes().decode("cp932")


def test_export_then_import_round_trips(tmp_path):
    out = tmp_path / "katori.csv"
    run("kb", "export", "--tenant", "katori", str(out))
    r = run("kb", "import", "--tenant", "katori2", "--into", str(tmp_path / "kb"), str(out))
    assert r.returncode == 0
    data = yaml.safe_load((tmp_path / "kb" / "katori2" / "faq.yaml").read_text(encoding="utf-8"))
    assert any("市長への手紙" in (d["answer"].get("ja", "")) for d in data)
    assert any(d["answer"].get("en") for d in data)        # other languages survive the round trip


def test_a_changed_folder_is_picked_up_without_restart(tmp_path):
    from bot.answer import answer
    from bot.kb.registry import KnowledgeBase
    root = tmp_path / "kb"
    shutil.copytree(REPO / "knowledge" / "shinjo", root / "shinjo")
    kb = KnowledgeBase([root])
    q = "雪まつりの屋台の出店申し込みはどこですか"
    assert not answer("shinjo", q, kb=kb)["answered"]
    staff = [{"id": "f-yuki-matsuri", "questions": {"ja": [q]},
              "answer": {"ja": "テスト用の回答です。", "ja-easy": "テストの こたえ です。", "en": "A test answer."},
              "sections": ["city-hall"], "source": {"document": kb.get("shinjo").tenant.city.documents[0].id,
                                                    "section": "test"}}]
    (root / "shinjo" / "faq_staff.yaml").write_text(yaml.safe_dump(staff, allow_unicode=True), encoding="utf-8")
    assert kb.changed()
    kb.reload()
    a = answer("shinjo", q, kb=kb)
    assert a["answered"] and a["entry_id"] == "shinjo/faq:f-yuki-matsuri"


def test_tenants_are_isolated():
    from bot.answer import answer
    a = answer("toyota", "香取市の市長への手紙はどう出しますか")
    assert not a["answered"]
    for c in answer("toyota", "市長への手紙")["candidates"]:
        assert c["entry_id"].startswith("toyota/")


def test_lint_lists_translations_whose_source_changed_and_stamp_keeps_the_layout(tmp_path):
    root = tmp_path / "kb"
    shutil.copytree(REPO / "knowledge" / "toyota", root / "toyota")
    env = {"MADOGUCHI_KNOWLEDGE_PATH": str(root), "PATH": "/usr/bin:/bin"}
    faq = root / "toyota" / "faq.yaml"
    text = faq.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    rec = next(r for r in data if r.get("review"))
    old_en = rec["answer"]["en"]
    first_line = old_en.strip().split("\n")[0][:40]
    assert first_line in text
    faq.write_text(text.replace(first_line, first_line + " (revised)", 1), encoding="utf-8")
    lint = subprocess.run([*MADOGUCHI, "kb", "lint", "--tenant", "toyota"], capture_output=True, text=True,
                          cwd=REPO, env=env)
    assert f"[{rec['id']}]" in lint.stdout and "source changed since it was made" in lint.stdout
    stamp = subprocess.run([*MADOGUCHI, "kb", "stamp", "--tenant", "toyota"], capture_output=True, text=True,
                           cwd=REPO, env=env)
    assert stamp.returncode == 0
    after = faq.read_text(encoding="utf-8")
    assert after.splitlines()[0] == text.splitlines()[0]          # the file's own comment is kept
    lint = subprocess.run([*MADOGUCHI, "kb", "lint", "--tenant", "toyota"], capture_output=True, text=True,
                          cwd=REPO, env=env)
    assert "source changed since it was made" not in lint.stdout
