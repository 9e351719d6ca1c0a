"""Tests for the furigana renderer and 分かち書き."""
import re

import pytest

from bot.easyja import render_furigana, strip_furigana, wakachi


def test_sudachi_fallback_reading():
    assert render_furigana("市役所に行きます。") == "市役所(しやくしょ)に行(い)きます。"


def test_okurigana_stays_outside():
    assert render_furigana("取り扱い") == "取(と)り扱(あつか)い"


def test_curated_readings_win():
    assert render_furigana("説明会を行ってください。", {"行って": "おこなって"}) == \
        "説明会(せつめいかい)を行(おこな)ってください。"
    # a program name with an unusual reading
    assert render_furigana("すこやか健診を受けます。", {"すこやか健診": "すこやかけんしん", "健診": "けんこう"}) == \
        "すこやか健診(けんしん)を受(う)けます。"
    # place name (Sudachi would say something else or nothing)
    assert render_furigana("四十物町に住んでいます。", {"四十物町": "あいものまち"}).startswith("四十物町(あいものまち)に")


def test_longest_curated_key_wins():
    r = render_furigana("一日中", {"一日": "ついたち", "一日中": "いちにちじゅう"})
    assert r == "一日中(いちにちじゅう)"


def test_curated_readings_in_katakana_are_converted():
    assert render_furigana("米沢", {"米沢": "ヨネザワ"}) == "米沢(よねざわ)"


def test_day_readings_curated_and_builtin():
    assert render_furigana("14日に来てください。", {"14日": "じゅうよっか"}).startswith("14日(じゅうよっか)に")
    assert render_furigana("4月14日") == "4月(がつ)14日(じゅうよっか)"
    assert render_furigana("4月1日") == "4月(がつ)1日(ついたち)"
    assert render_furigana("一日に来てください。", {"一日": "ついたち"}).startswith("一日(ついたち)に")
    # the curated key must not match inside a longer number
    assert not render_furigana("114日", {"14日": "じゅうよっか"}).startswith("114日(じゅうよっか)")
    assert "(じゅうよっか)" not in render_furigana("114日", {"14日": "じゅうよっか"})
    assert render_furigana("3日間") == "3日(みっか)間(かん)"
    assert render_furigana("10分") == "10分(ぷん)"
    assert render_furigana("5分") == "5分(ふん)"


@pytest.mark.parametrize("text", ["ひらがなだけです。", "カタカナ", "1234", "", "あしたは あめです。\nかさを もって ください。"])
def test_kana_only_text_unchanged(text):
    assert render_furigana(text) == text


def test_existing_reading_is_not_added_twice():
    assert render_furigana("市役所(しやくしょ)に行きます。") == "市役所(しやくしょ)に行(い)きます。"
    assert render_furigana("漢字（かんじ）を書きます。") == "漢字（かんじ）を書(か)きます。"
    assert render_furigana("行って(おこなって)ください") == "行って(おこなって)ください"
    twice = render_furigana(render_furigana("市役所で説明会を行います。"))
    assert twice == render_furigana("市役所で説明会を行います。")


SAMPLES = [
    "令和7年4月14日の13時30分から、市役所で説明会を行います。",
    "ゴミの出し方について、コミュニティセンターで説明します。",
    "詳しくは市民課（電話 0238-22-5111）までお問い合わせください。",
    "地震が起きたら、机の下に入ってください。",
    "東京都千代田区で１４日に会いましょう",
    "子育て支援課は3階です。2人で来てください。",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_strip_of_output_equals_input(text):
    out = render_furigana(text, {"行います": "おこないます"})
    assert strip_furigana(out) == text


@pytest.mark.parametrize("text", SAMPLES)
def test_every_kanji_run_gets_a_reading(text):
    out = render_furigana(text)
    # after stripping okurigana, every kanji run is followed by "(かな)"
    for m in re.finditer(r"[\u4e00-\u9fff々]+", out):
        rest = out[m.end():]
        assert re.match(r"[\u3041-\u3096]{0,4}[(（][\u3041-\u3096ー]+[)）]", rest), (out, m.group(0))


def test_wakachi():
    assert wakachi("市役所に行ってください。") == "市役所に 行って ください。"
    assert wakachi("ゴミを出す日は月曜日です。") == "ゴミを 出す 日は 月曜日です。"
    assert wakachi("確認してください。") == "確認して ください。"


def test_wakachi_keeps_furigana_and_is_idempotent():
    assert wakachi("市役所(しやくしょ)に行(い)ってください。") == "市役所(しやくしょ)に 行(い)って ください。"
    once = wakachi("あしたはあめがふります。")
    assert wakachi(once) == once
    assert once.replace(" ", "") == "あしたはあめがふります。"


def test_wakachi_keeps_spaces_next_to_latin_text():
    assert wakachi("割合（市民調べ） KPI") .endswith("） KPI")


def test_thread_safe():
    from concurrent.futures import ThreadPoolExecutor
    texts = [f"市役所で{i}日に説明会を行います。" for i in range(1, 40)]
    with ThreadPoolExecutor(4) as ex:
        got = list(ex.map(render_furigana, texts))
    assert got == [render_furigana(t) for t in texts]
