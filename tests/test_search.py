"""The ranking engine on a small knowledge base of its own (bot/search.py), apart from the cities' data."""
from __future__ import annotations

from bot.kb.entries import Entry
from bot.search import Index


def _entry(i: int, title: str, body: str) -> Entry:
    return Entry(id=f"t/{i}", kind="faq", title={"ja": title}, body={"ja": body}, questions={"ja": [title]})


ENTRIES = [
    _entry(1, "引っ越しの手続き", "引っ越しをしたら14日以内に市民課で手続きをしてください。"),
    _entry(2, "保育所の入所", "保育所の入所申し込みはこども課で受け付けます。"),
    _entry(3, "ごみの出し方", "燃えるごみは月曜日と木曜日に出してください。"),
]


def test_a_word_the_kb_does_not_use_finds_its_sudachi_synonym():
    # no synonym list is given: 転居 ~ 引っ越し and 保育園 ~ 保育所 come from Sudachi's own synonym groups
    ix = Index(ENTRIES)
    for query, want in (("転居したときの手続きは", "t/1"), ("保育園に入りたい", "t/2")):
        hits = ix.search(query, "ja")
        assert hits and hits[0].entry.id == want, query
        assert hits[0].coverage > 0.5, query       # the synonym stands in for the word as a covered topic


def test_a_synonym_does_not_make_an_unrelated_question_look_answered():
    ix = Index(ENTRIES)
    hits = ix.search("粗大ごみの手数料はいくら", "ja")
    assert hits[0].entry.id == "t/3"
    assert hits[0].confidence < 0.58               # 粗大 and 手数料 are not in the KB: no answer


def _foreign(i: int, lang: str, title: str, body: str) -> Entry:
    return Entry(id=f"f/{i}", kind="faq", title={"ja": title, lang: title}, body={"ja": title, lang: body},
                 questions={lang: [title]})


def test_an_inflected_word_finds_its_entry_in_nepali_portuguese_and_indonesian():
    # the question inflects the word the entry uses: a postposition (विदेशी + हरूले), a plural, an affix
    entries = [
        _foreign(1, "ne", "विदेशी परामर्श", "विदेशी बासिन्दाका लागि परामर्श कक्ष छ।"),
        _foreign(2, "ne", "फोहोर", "फोहोर सोमबार फाल्नुहोस्।"),
        _foreign(3, "pt", "consulta para mulheres", "Há um balcão de consulta para mulher."),
        _foreign(4, "pt", "lixo", "O lixo é coletado às segundas."),
        _foreign(5, "id", "pertukaran internasional", "Kota mendukung pertukaran internasional."),
        _foreign(6, "id", "sampah", "Sampah dibuang hari Senin."),
    ]
    ix = Index(entries)
    for query, lang, want in (("विदेशीहरूले परामर्शको लागि", "ne", "f/1"),
                              ("consultas para as mulheres", "pt", "f/3"),
                              ("bertukar internasional", "id", "f/5")):
        hits = ix.search(query, lang)
        assert hits[0].entry.id == want, query
        assert hits[0].coverage > 0.9, query


def test_a_korean_compound_is_not_covered_by_one_of_its_pieces():
    entries = [_foreign(1, "ko", "커뮤니티센터 정비", "커뮤니티센터 정비는 사회교육과가 담당합니다."),
               _foreign(2, "ko", "이주 상담 센터", "이주 상담은 센터에서 합니다.")]
    ix = Index(entries)
    hits = {h.entry.id: h for h in ix.search("커뮤니티센터는 어느 과 담당이에요?", "ko")}
    assert hits["f/1"].coverage > 0.9            # the particle (는) and the question words do not count against it
    assert hits.get("f/2") is None or hits["f/2"].coverage < 0.5   # 센터 alone is not 커뮤니티센터


def test_a_loanword_written_in_hiragana_finds_its_entry():
    # the loanword is only in the answers: readings of the titles alone would pick the other entry (参加)
    entries = [_entry(1, "市民活動の割合", "ボランティア活動に参加する市民の割合です。"),
               _entry(2, "参加の方法", "イベントに参加する方法です。")]
    hits = Index(entries).search("ぼらんてぃあ に さんか", "ja-easy")
    assert max(hits, key=lambda h: h.confidence).entry.id == "t/1"     # the confidence decides what answers


def test_an_english_word_in_a_tagalog_question_finds_the_english_text():
    entries = [Entry(id="e/1", kind="faq", title={"ja": "協働推進計画", "en": "Cooperation promotion plan"},
                     body={"ja": "協働推進計画です。", "en": "The plan promotes cooperation between residents and the city."}),
               Entry(id="e/2", kind="faq", title={"ja": "ごみ", "en": "Garbage"}, body={"ja": "ごみです。", "en": "Garbage days."})]
    hits = Index(entries).search("Ano ang cooperation plan ng lungsod?", "tl")
    assert hits[0].entry.id == "e/1" and hits[0].coverage > 0.6


def test_plain_japanese_words_in_kana_find_the_kanji_words_they_mean():
    # やさしい日本語 writes words apart in kana; the analyser alone reads しやくしょ as し / やく / しょ
    entries = [_entry(1, "市役所の窓口", "市役所の窓口は平日に開いています。"),
               _entry(2, "申込件数", "ふるさと納税の申込件数の目標です。"),
               _entry(3, "ごみの出し方", "燃えるごみは月曜日に出してください。")]
    ix = Index(entries)
    words = {t for t, _w, _c in ix.expand("しやくしょ の まどぐち は どこ", "ja-easy")}
    assert {"市役所", "窓口"} <= words
    words = {t for t, _w, _c in ix.expand("もうしこみけんすう の もくひょう", "ja-easy")}
    assert {"申込", "件数"} & words and "件数" in words      # two words read together
    hit = ix.search("しやくしょ の まどぐち は どこ", "ja-easy")[0]
    assert hit.entry.id == "t/1" and hit.coverage > 0.9
