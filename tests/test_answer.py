"""The answer object residents and tools rely on, and how the bot decides to answer, offer choices or say it does not know."""
import subprocess
import sys

import pytest

from bot.answer import answer
from conftest import REPO, SHARED

KEYS = {"tenant", "query", "answered", "kind", "entry_id", "score", "language", "text", "contacts", "sources",
        "candidates"}


def test_answer_object_has_every_contract_field():
    a = answer("katori", "市長への手紙を出したい")
    assert KEYS <= set(a)
    assert a["answered"] is True and a["kind"] == "answer"
    assert a["entry_id"].startswith("katori/")
    assert 0 <= a["score"] <= 1
    assert "秘書広報課" in a["text"]
    assert a["contacts"][0]["name"] == "秘書広報課"
    assert a["sources"] and a["sources"][0]["document"]
    assert 1 <= len(a["candidates"]) <= 3
    assert a["candidates"][0]["entry_id"] == a["entry_id"]


def test_top_controls_the_number_of_candidates():
    assert len(answer("katori", "国際交流", top=7)["candidates"]) == 7


def test_thanks_and_greetings_are_small_talk():
    for text, lang in (("ありがとう", "ja"), ("Thank you!", "en"), ("こんにちは", "ja"), ("cảm ơn", "vi"),
                       ("こんにちは！お元気ですか", "ja"), ("Hello, how are you?", "en"),
                       ("ありがとう、よくわかりました！", "ja-easy")):   # all in kana: plain Japanese
        a = answer("iruma", text)
        assert a["kind"] == "smalltalk" and a["answered"] is False, text
        assert a["language"] == lang


@pytest.mark.parametrize("tenant,text", [
    ("yonezawa", "今日の夕飯なにがいい？"), ("iruma", "Who won the World Cup?"), ("katori", "ああああ"),
    ("shinjo", "明日の天気を教えて"), ("toyota", "ピザの美味しい焼き方"), ("katori", "ｗｗｗｗ"),
    # Chinese asked about what the plan does not cover: words the KB lacks (水费, 时刻表) must weigh, not vanish
    ("katori", "香取市的自来水费怎么交？"), ("toyota", "丰田市的公交车时刻表在哪里看？"),
    # the KB now speaks Portuguese and Tagalog: a word it lacks in that language is a topic it lacks
    ("katori", "Quanto custa a conta de água deste mês?"), ("iruma", "Magkano ang bayad sa ospital ng lungsod?"),
    # Vietnamese words are syllable pairs: xe buýt (bus) and giá vé (fare) are words the KB lacks
    ("toyota", "Giá vé xe buýt ở Toyota là bao nhiêu?")])
def test_out_of_scope_gets_an_honest_fallback(tenant, text):
    a = answer(tenant, text)
    assert a["kind"] == "fallback" and not a["answered"]
    assert a["needs_review"] is True
    assert a["contacts"], "the fallback names where to ask"


def test_fallback_says_it_does_not_know_and_gives_the_city_contact():
    a = answer("shinjo", "明日の天気を教えて")
    assert "わかりません" in a["text"] and "新庄市役所" in a["text"]


def test_another_citys_program_is_not_answered_here():
    a = answer("toyota", "香取市の婚活支援について教えて")
    assert not a["answered"] and "豊田市" in a["text"]


def test_english_question_gets_english_with_the_japanese_section_name():
    a = answer("katori", "How can I send my opinion to the mayor?")
    assert a["answered"] and a["language"] == "en"
    assert "秘書広報課" in a["text"] and "Mayor" in a["text"]


def test_plain_japanese_question_gets_plain_japanese_with_furigana():
    a = answer("katori", "しちょう に てがみ を だしたい です")
    assert a["answered"] and a["language"] == "ja-easy"
    assert "(" in a["text"] and "市長" in a["text"]            # 漢字(かんじ) furigana


def test_chosen_language_wins_over_the_question_language():
    a = answer("katori", "市長への手紙を出したい", lang="en")
    assert a["language"] == "en" and "Letter" in a["text"]


def test_language_without_translation_falls_back_to_plain_japanese_and_english_with_a_note():
    a = answer("katori", "Katori ano ang plano para sa SDGs?", lang="tl")
    if a["answered"] and "tl" not in a["language"]:
        assert a["language"] == "ja-easy"
        assert "Tagalog" in a["text"]


def test_a_greeting_before_a_question_does_not_hide_the_question():
    a = answer("katori", "こんにちは、移住の相談をしたいです")
    assert a["kind"] != "smalltalk" and a["answered"]


@pytest.mark.parametrize("tenant,text", [("katori", "ごみの だしかたを おしえて ください。"),
                                         ("yonezawa", "ばすの じかんを おしえて ください。"),
                                         ("shinjo", "でんしゃの のりかたを おしえて ください。")])
def test_kana_grammar_alone_does_not_make_an_answer(tenant, text):
    """「〜を おしえて ください」 is in every plain-Japanese question: only the content words may carry the match."""
    a = answer(tenant, text)
    assert not a["answered"], a["text"][:200]


@pytest.mark.parametrize("tenant,word", [("katori", "移住"), ("yonezawa", "移住"), ("katori", "広報"), ("toyota", "協働")])
def test_a_single_two_kanji_word_is_a_question_not_noise(tenant, word):
    a = answer(tenant, word)
    assert a["answered"] or a["kind"] == "choices", (word, a["kind"])


def test_a_foreign_question_quoting_a_japanese_name_finds_it_in_its_language():
    a = answer("shinjo", "O que é a ぷらっと de Shinjo?")
    assert a["answered"] and a["language"] == "pt" and "市民活動交流ひろば" in a["text"]
    a = answer("katori", "Tôi muốn học tiếng Nhật ở Katori")
    assert a["answered"] and a["language"] == "vi" and "日本語" in a["text"]


def test_a_measure_and_its_sub_measure_are_one_topic_not_a_choice():
    from bot.kb.registry import get_kb
    kb = get_kb().get("katori")
    child = next(e for e in kb.entries if e.kind == "measure" and e.parent_measure)
    parent = kb.by_id[f"katori/measure:{child.parent_measure}"]
    other = next(e for e in kb.entries if e.kind == "measure" and e.measure_id not in
                 (child.measure_id, child.parent_measure) and e.parent_measure != child.measure_id)
    assert child.same_topic(parent) and parent.same_topic(child)
    assert not child.same_topic(other)
    linked = next(e for e in kb.entries if e.kind == "faq" and e.related)
    assert linked.same_topic(kb.by_id[linked.related[0]])          # linked by the KB's authors


def test_a_plan_number_finds_its_measure():
    assert answer("shinjo", "方策７の内容を教えて")["entry_id"] == "shinjo/measure:m-hosaku-7"


def test_a_target_question_gets_the_target_figure():
    a = answer("yonezawa", "経常収支比率の目標")
    assert a["answered"] and "95" in a["text"] and "財政課" in a["text"]


def test_personal_data_in_a_question_does_not_change_the_answer():
    a = answer("katori", "市長への手紙を出したい 090-1234-5678")
    assert a["answered"] and a["entry_id"] == answer("katori", "市長への手紙を出したい")["entry_id"]


def test_kana_only_question_finds_the_kanji_entry():
    a = answer("yonezawa", "いじゅう の そうだん は どこ")
    assert a["answered"] and "地域振興課" in a["text"]


def test_team_evaluation_set_stays_above_the_floor():
    """A regression guard over the team's 335 questions (written from the seeds by someone else than the KB authors)."""
    scorer = SHARED / "tools" / "score_answers.py"
    if not scorer.exists():
        pytest.skip("no ../shared/tools")
    r = subprocess.run([sys.executable, str(scorer), str(REPO / "tests" / "data" / "eval_team.jsonl"), "--",
                        sys.executable, "-m", "bot.cli", "ask", "--jsonl"], capture_output=True, text=True, cwd=REPO)
    last = r.stdout.strip().splitlines()[-1]
    parts = last.split()
    acc, abst, lang = float(parts[2].rstrip("%")), float(parts[4].rstrip("%")), float(parts[6].rstrip("%"))
    assert acc >= 85.0 and abst >= 90.0 and lang >= 95.0, last


@pytest.mark.parametrize("second_conf,second_score,kind", [(0.46, 2.3, "answer"), (0.53, 3.2, "choices")])
def test_a_candidate_far_ahead_answers_a_close_race_offers_choices(monkeypatch, second_conf, second_score, kind):
    """Moderate confidence (between the choice and answer thresholds): a runner-up far behind is no real alternative;
    a close one is, and the resident is asked which they meant."""
    from bot.kb.registry import get_kb
    from bot.search import Hit
    kb = get_kb().get("katori")
    progs: list = []
    for e in (e for e in kb.entries if e.kind == "program"):       # three programs about different things
        if len(progs) < 3 and not any(e.same_topic(p) for p in progs):
            progs.append(e)
    hits = [Hit(progs[0], 3.3, 0.55, 0.55, 0.6, 3), Hit(progs[1], second_score, second_conf, 0.5, 0.4, 3),
            Hit(progs[2], 1.9, 0.42, 0.45, 0.3, 3)]
    monkeypatch.setattr(type(kb.index), "search", lambda self, text, lang, top=10: hits)
    a = answer("katori", "市の取り組みについて知りたい")
    assert a["kind"] == kind
    if kind == "answer":
        assert a["entry_id"] == progs[0].id
    else:
        assert [c["entry_id"] for c in a["choices"]][:2] == [progs[0].id, progs[1].id]


@pytest.mark.parametrize("tenant", ["yonezawa", "katori"])
def test_which_section_questions_name_the_measures_section(tenant):
    """「〜の担当課は」: the plan names sections on its measures, so the answer names the measure's section."""
    from bot.kb.registry import get_kb
    kb = get_kb().get(tenant)
    measures = [e for e in kb.entries if e.kind == "measure" and e.sections and e.title.get("ja")][:12]
    right = 0
    for m in measures:
        a = answer(tenant, f"{m.title['ja']}の担当課はどこですか")
        section = kb.tenant.section(m.sections[0]).name["ja"]
        right += a["answered"] and section in a["text"]
    assert right >= 0.8 * len(measures), (right, len(measures))


@pytest.mark.parametrize("tenant,text,lang", [("katori", "私の国民健康保険料はいくらですか", "ja"),
                                              ("toyota", "Has my application for the subsidy been approved?", "en"),
                                              ("iruma", "Qual é o prazo do meu imposto?", "pt")])
def test_a_question_about_ones_own_case_is_not_answered_from_the_plan(tenant, text, lang):
    """The bot holds no one's records: it says so in the resident's language and names where to ask."""
    a = answer(tenant, text)
    assert a["kind"] == "fallback" and not a["answered"] and a["language"] == lang
    assert a["contacts"]
    from bot.kb.registry import get_kb
    assert a["text"].startswith(get_kb().message("personal", lang))


def test_my_in_a_question_about_a_service_is_still_a_question():
    a = answer("yonezawa", "私の子どもが日本語を習える場所はありますか")
    assert a["answered"] and "日本語教室" in a["text"]


@pytest.mark.parametrize("text", ["제 2차 계획의 목표는 얼마인가요?", "시내 버스 요금은 얼마예요?",
                                  "What is our city's target for volunteers?", "私の町の自治会の加入率の目標は？"])
def test_numbers_and_our_city_are_not_one_residents_case(text):
    from bot.intent import personal_case
    assert not personal_case(text)


@pytest.mark.parametrize("tenant,text,lang", [
    ("katori", "あした びょういん に いきたい です。 よやく して ください", "ja-easy"),
    ("iruma", "住民票を送ってください", "ja"),
    ("toyota", "Can you book an appointment for me at city hall?", "en"),
    ("yonezawa", "Bạn gửi giúp tôi giấy tờ được không?", "vi")])
def test_a_request_to_book_or_send_gets_what_the_bot_cannot_do_and_where_to_ask(tenant, text, lang):
    a = answer(tenant, text)
    assert a["kind"] == "fallback" and a["answered"] is False and a["needs_review"] is True
    from bot.kb.registry import get_kb
    assert get_kb().message("do_for_me", lang) in a["text"]


def test_asking_how_to_book_is_still_a_question():
    from bot.intent import do_for_me
    assert not do_for_me("施設の予約はどこでできますか") and not do_for_me("How do I book the community hall?")


def test_one_topic_linked_however_far_answers_and_prefers_the_measure_unless_a_definition_is_asked():
    from bot.answer import _one_topic
    from bot.kb.entries import Entry
    from bot.search import Hit

    def hit(eid, kind, title, score, conf, measure=None, parent=None, related=(), keywords=()):
        e = Entry(id=eid, kind=kind, title={"ja": title}, body={"ja": title}, measure_id=measure,
                  parent_measure=parent, related=list(related), keywords=list(keywords))
        return Hit(e, score, conf, conf, 0.5)

    term = hit("c/term:t", "term", "自主財源", 2.6, 0.45)
    measure = hit("c/measure:m", "measure", "自主財源の確保", 2.2, 0.52, measure="m-1")
    faq = hit("c/faq:f", "faq", "ふるさと納税", 2.1, 0.50, related=["c/measure:m"])
    other = hit("c/faq:x", "faq", "ごみ", 1.2, 0.45, measure="m-9")
    strong = [term, measure, faq, other]
    assert _one_topic(strong, term, "自主財源を確保するために市は何をしますか") is measure
    assert _one_topic(strong, term, "自主財源とは") is term
    close = hit("c/faq:y", "faq", "ごみ", 2.5, 0.45, measure="m-9")       # another topic nearly as strong
    assert _one_topic([term, measure, faq, close], term, "自主財源を確保するには") is None
