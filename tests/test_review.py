"""Grouping of unanswered questions (bot/review.py) and writing approved drafts (bot/kb/drafts.py)."""
from __future__ import annotations

import random
import shutil
import threading
import time
from pathlib import Path

import pytest
import yaml

from bot.kb.drafts import DraftError, build_record, publish, write_record
from bot.review import compare_key, group_questions, review_groups

REPO_KNOWLEDGE = Path(__file__).resolve().parents[1] / "knowledge"


def msgs(*texts, kind="fallback", start=1, **extra):
    return [{"id": start + i, "text": t, "kind": kind, "created_at": f"2026-05-{1 + i % 28:02d}T00:00:00Z",
             "language": "ja", **extra} for i, t in enumerate(texts)]


def test_similar_wordings_share_a_group():
    groups = group_questions(msgs("ゴミの出し方を教えて", "ごみの出し方は？", "ゴミ 出し方", "図書館の開館時間",
                                  "図書館は何時まで開いていますか", "How do I sort garbage?", "how to sort the garbage"))
    labels = {frozenset(g.texts) for g in groups}
    assert frozenset({"ゴミの出し方を教えて", "ごみの出し方は？", "ゴミ 出し方"}) in labels
    assert frozenset({"図書館の開館時間", "図書館は何時まで開いていますか"}) in labels
    assert frozenset({"How do I sort garbage?", "how to sort the garbage"}) in labels
    assert sum(g.count for g in groups) == 7


def test_groups_are_ordered_largest_first_and_counted():
    m = msgs(*(["空き家バンクに登録したい"] * 4 + ["外国人の相談窓口"] * 2 + ["ペンギンを飼いたい"]))
    groups = group_questions(m)
    assert [g.count for g in groups] == [4, 2, 1]
    assert groups[0].label == "空き家バンクに登録したい" and groups[0].reasons == {"fallback": 4}
    assert sorted(i for g in groups for i in g.message_ids) == [x["id"] for x in m]


def test_a_single_word_does_not_swallow_longer_questions():
    groups = group_questions(msgs("市", "市役所の場所はどこ", "市民税の払い方"))
    assert len(groups) == 3


def test_grouping_is_deterministic_whatever_the_input_order():
    texts = ["ゴミの出し方", "ごみの出し方は", "バスの時刻表", "バス 時刻", "保育園に入りたい", "保育園の申し込み"] * 3
    m = msgs(*texts)
    first = [(g.key, g.label, g.message_ids) for g in group_questions(m)]
    for seed in range(3):
        shuffled = m[:]
        random.Random(seed).shuffle(shuffled)
        assert [(g.key, g.label, g.message_ids) for g in group_questions(shuffled)] == first


def test_reasons_and_empty_text():
    m = (msgs("ペンギン") + msgs("ペンギン", kind="choices", start=10)
         + msgs("ペンギン", kind="answer", start=20, feedback="not_helpful")
         + msgs("ペンギン", kind="answer", start=30, score=0.2) + msgs("", start=40))
    (g,) = group_questions(m)
    assert g.reasons == {"fallback": 1, "choices": 1, "not_helpful": 1, "low_score": 1}
    assert g.count == 4


def test_compare_key_ignores_order_and_particles():
    assert compare_key("図書館の開館時間") == compare_key("開館時間、図書館")
    assert compare_key("Sort the GARBAGE!") == compare_key("garbage sort the")


def test_fast_enough_for_a_few_thousand_questions():
    words = ["ゴミ", "図書館", "保育園", "税金", "引っ越し", "バス", "病院", "公園", "子育て", "補助金", "外国人",
             "日本語", "教室", "相談", "窓口", "時間", "場所", "申し込み", "料金", "駐車場"]
    rnd = random.Random(7)
    m = msgs(*("".join(rnd.sample(words, 3)) + "について" for _ in range(3000)))
    t0 = time.perf_counter()
    groups = group_questions(m)
    assert sum(g.count for g in groups) == 3000
    assert time.perf_counter() - t0 < 10           # typically well under 1 s once Sudachi is warm


def test_review_groups_reads_the_open_queue(tmp_path):
    from bot.store import open_store
    store = open_store(f"sqlite:///{tmp_path}/r.db")
    for t in ("ペンギンを飼いたい", "ペンギンを飼いたいです", "バスの時刻"):
        store.record_message(tenant="x", channel="web", user_key="u", kind="fallback", text=t)
    done, _ = store.record_message(tenant="x", channel="web", user_key="u", kind="fallback", text="終わった質問")
    store.set_review_status("x", done, "dismissed", "staff")
    store.record_message(tenant="y", channel="web", user_key="u", kind="fallback", text="ほかの市")
    groups = review_groups(store, "x")
    assert [g.count for g in groups] == [2, 1]
    assert all("終わった" not in t and "ほかの" not in t for g in groups for t in g.texts)
    store.close()


# ------------------------------------------------------------------ approved drafts → faq_staff.yaml

def draft(entry, **kw):
    return {"id": 7, "tenant": "iruma", "entry": entry, "status": "approved", "approved_by": "boss",
            "approved_at": "2026-05-09T07:35:25.123456Z", **kw}


def test_build_record_new_and_extends():
    rec = build_record(draft({"topic": "other", "questions": {"ja": ["q"]}, "answer": {"ja": "a"}}))
    assert rec["id"] == "staff-7-20260509T073525" and rec["approved_by"] == "boss" and rec["answer"] == {"ja": "a"}
    rec = build_record(draft({"extends": "faq:f-x", "questions": {"ja": ["q"]}, "answer": {"ja": "ignored"}}))
    assert rec["extends"] == "faq:f-x" and "answer" not in rec
    with pytest.raises(DraftError):
        build_record(draft({"questions": {"ja": ["q"]}, "answer": {}}))
    with pytest.raises(DraftError):
        build_record(draft({"questions": {"xx": ["q"]}, "answer": {"ja": "a"}}))


def test_write_record_appends_atomically_keeps_comments_and_is_idempotent(tmp_path):
    (tmp_path / "faq_staff.yaml").write_text("# hand-written note\n- id: old\n  questions: {ja: [古い]}\n"
                                             "  answer: {ja: 古い答え}\n", encoding="utf-8")
    rec = build_record(draft({"questions": {"ja": ["新しい"]}, "answer": {"ja": "新しい答え"}}))
    assert write_record(tmp_path, rec) is True
    assert write_record(tmp_path, rec) is False
    text = (tmp_path / "faq_staff.yaml").read_text(encoding="utf-8")
    assert text.startswith("# hand-written note") and "新しい答え" in text
    assert [r["id"] for r in yaml.safe_load(text)] == ["old", rec["id"]]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_concurrent_writes_lose_nothing(tmp_path):
    recs = [build_record(draft({"questions": {"ja": [f"q{i}"]}, "answer": {"ja": "a"}}, id=i)) for i in range(20)]
    threads = [threading.Thread(target=write_record, args=(tmp_path, r)) for r in recs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = {r["id"] for r in yaml.safe_load((tmp_path / "faq_staff.yaml").read_text(encoding="utf-8"))}
    assert ids == {r["id"] for r in recs}


def test_publish_reloads_the_tenant(tmp_path, monkeypatch):
    from bot.answer import answer
    from bot.kb.registry import KnowledgeBase
    shutil.copytree(REPO_KNOWLEDGE / "iruma", tmp_path / "iruma")
    kb = KnowledgeBase([tmp_path])
    q = "ペンギンの飼育係になりたいのですが"
    assert answer("iruma", q, "ja", kb=kb)["kind"] != "answer"
    v = kb.version
    rec = publish(kb, draft({"topic": "other", "questions": {"ja": [q]}, "answer": {"ja": "募集はありません。"}}))
    assert kb.version == v + 1
    a = answer("iruma", q, "ja", kb=kb)
    assert a["kind"] == "answer" and a["entry_id"] == f"iruma/faq:{rec['id']}"
    with pytest.raises(DraftError):
        publish(kb, draft({"extends": "faq:nope", "questions": {"ja": ["x"]}}, id=8))
    with pytest.raises(DraftError):
        publish(kb, draft({"questions": {"ja": ["x"]}, "answer": {"ja": "y"}}, status="draft"))
