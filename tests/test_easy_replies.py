"""やさしい日本語 replies: furigana from the curated readings, 分かち書き on request, and a checker-clean knowledge base."""
import re

from bot.answer import answer
from bot.easyja import check, render_furigana, strip_furigana
from bot.kb.lint import allowlist, easy_texts
from bot.kb.loader import discover, load_tenant

TENANTS = ["yonezawa", "shinjo", "iruma", "toyota", "katori"]


def test_city_and_section_names_read_from_the_curated_readings():
    for t in TENANTS:
        tenant = load_tenant(discover()[t], t)
        city = tenant.city.name["ja"]
        reading = tenant.readings.get(city)
        assert reading, f"{t}: no curated reading for {city}"
        assert render_furigana(city, tenant.readings) == f"{city}({reading})"


def test_curated_reading_wins_over_the_analyser():
    # 行って reads おこなって in 「調査を行って」; the analyser alone says いって
    assert "行(おこな)って" in render_furigana("調査を行って", {"行って": "おこなって"})
    assert "14日(じゅうよっか)" in render_furigana("14日に開きます", {})


def test_plain_japanese_reply_has_furigana_and_strips_back_to_the_text():
    a = answer("katori", "しちょう に てがみ を だしたい です")
    assert a["language"] == "ja-easy"
    assert re.search(r"[一-龥]+\([ぁ-ゖ]+\)", a["text"])
    assert "(" not in strip_furigana(a["body"].split("▼")[0])


def test_wakachi_setting_adds_spaces_between_phrases(monkeypatch):
    plain = answer("katori", "しちょう に てがみ を だしたい です")["body"].split("\n")[1]
    monkeypatch.setenv("MADOGUCHI_WAKACHI", "1")
    spaced = answer("katori", "しちょう に てがみ を だしたい です")["body"].split("\n")[1]
    assert spaced.count(" ") > plain.count(" ")


def test_every_plain_japanese_text_of_the_five_cities_passes_the_checker():
    for t in TENANTS:
        tenant = load_tenant(discover()[t], t)
        allow = allowlist(tenant)
        errors = [(rid, i.rule, i.sentence) for _f, rid, text in easy_texts(tenant)
                  for i in check(text, allowlist=allow) if i.level == "error"]
        assert errors == [], f"{t}: {errors[:5]}"


def test_a_word_split_by_the_analyser_gets_one_reading():
    # Sudachi cuts 市長 into 市 + 長; readers expect 市長(しちょう), not 市(し)長(ちょう)
    assert render_furigana("市長に会います", {}).startswith("市長(しちょう)")
    assert render_furigana("3日間", {}) == "3日(みっか)間(かん)"      # a number's reading stays with it
